"""Keeping the public index of due shops (`DueShop`) in step with the shops' deadlines.

Race-free by locks on the one index row of (kind, shop):
- `note_due` runs in the transaction that creates a deadline and takes the row FOR KEY
  SHARE: concurrent checkouts of a shop share it (they never wait for each other), and it
  only writes when the new deadline is earlier than the one recorded, which with deadlines
  of one length is rare;
- `reschedule` (the sweep, after handling a shop's due work) takes the row FOR UPDATE, which
  waits for every open transaction that noted a deadline, and only then reads the shop's
  next deadline: a deadline committed meanwhile is seen, one still being written waits for
  the lock and lowers the time afterwards. No deadline is ever left out of the index.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.db import connection, transaction

# Schema-qualified: the callers run in a shop's schema.
_TABLE = "public.deadlines_dueshop"


def note_due(*, kind: str, merchant_id: int, due_at: datetime) -> None:
    """Record, in the caller's transaction, that the shop has a deadline of `kind` at
    `due_at` (the earliest one recorded stays)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT due_at FROM {_TABLE} WHERE kind = %s AND merchant_id = %s FOR KEY SHARE",
            [kind, merchant_id],
        )
        row = cursor.fetchone()
        if row is not None and row[0] is not None and row[0] <= due_at:
            return
        # LEAST ignores NULL: an empty row takes the new time.
        cursor.execute(
            f"""
            INSERT INTO {_TABLE} AS d (kind, merchant_id, due_at) VALUES (%s, %s, %s)
            ON CONFLICT (kind, merchant_id) DO UPDATE SET due_at = LEAST(d.due_at, EXCLUDED.due_at)
            """,
            [kind, merchant_id, due_at],
        )


def due_merchant_ids(*, kind: str, now: datetime, limit: int) -> list[int]:
    """Shops with a deadline of `kind` due by `now`, the longest overdue first."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT merchant_id FROM {_TABLE}
            WHERE kind = %s AND due_at IS NOT NULL AND due_at <= %s
            ORDER BY due_at, merchant_id LIMIT %s
            """,
            [kind, now, limit],
        )
        return [merchant_id for (merchant_id,) in cursor.fetchall()]


def reschedule(
    *, kind: str, merchant_id: int, next_due: Callable[[], datetime | None]
) -> datetime | None:
    """Set the shop's recorded time to `next_due()` (its earliest open deadline, None for
    none), read under the row lock (see the module's docstring). Returns it."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 1 FROM {_TABLE} WHERE kind = %s AND merchant_id = %s FOR UPDATE",
            [kind, merchant_id],
        )
        if cursor.fetchone() is None:
            return None
        due_at = next_due()
        cursor.execute(
            f"UPDATE {_TABLE} SET due_at = %s WHERE kind = %s AND merchant_id = %s",
            [due_at, kind, merchant_id],
        )
        return due_at
