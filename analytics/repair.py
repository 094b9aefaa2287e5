"""Setting a merchant's ledger days to figures recomputed elsewhere (the ledger truth).

Analytics owns the ledger tables, so analytics writes them: a caller that can rebuild the
true figures of some days (commerce, from its orders and refunds) hands over a `rebuild`
callable and this module locks the days, compares, rewrites the drifted rows and appends a
`ledger_repaired` event per day, all in one transaction. Tables are schema-qualified, so
this runs from any tenant schema (the rebuild usually needs the merchant's own).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from analytics.events import EventKind, LedgerRepaired
from analytics.ledger import STAT_COLUMNS, StatsDelta, record_event
from tenants.models import Merchant


@dataclass(frozen=True)
class DayDrift:
    """One column of one local day where the ledger differs from the rebuilt truth."""

    date: date
    column: str
    ledger: Decimal | int
    rebuilt: Decimal | int

    def __str__(self) -> str:
        return (
            f"{self.date.isoformat()} {self.column}: ledger {self.ledger}, rebuilt {self.rebuilt}"
        )


def ledger_days(
    merchant: Merchant, start: date, end: date, *, lock: bool = False
) -> dict[date, StatsDelta]:
    """The merchant's DailyMerchantStats rows in the range (schema-qualified: works from
    any schema). `lock` holds them until the transaction ends, so a writer adding to an
    existing day waits for a repair instead of being overwritten by it."""
    columns = ", ".join(STAT_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT date, {columns} FROM public.analytics_dailymerchantstats
            WHERE merchant_id = %s AND date BETWEEN %s AND %s
            ORDER BY date {"FOR UPDATE" if lock else ""}
            """,
            [merchant.pk, start, end],
        )
        return {
            row[0]: StatsDelta(**dict(zip(STAT_COLUMNS, row[1:], strict=True)))
            for row in cursor.fetchall()
        }


def compare_days(
    start: date, end: date, ledger: dict[date, StatsDelta], rebuilt: dict[date, StatsDelta]
) -> list[DayDrift]:
    """Drifted columns by day then column; a missing row counts as zeros."""
    empty = StatsDelta()
    drifts = []
    for day in sorted(set(ledger) | set(rebuilt)):
        if not start <= day <= end:
            continue
        have, want = ledger.get(day, empty), rebuilt.get(day, empty)
        drifts.extend(
            DayDrift(day, column, getattr(have, column), getattr(want, column))
            for column in STAT_COLUMNS
            if getattr(have, column) != getattr(want, column)
        )
    return drifts


def repair_days(
    merchant: Merchant,
    start: date,
    end: date,
    *,
    rebuild: Callable[[], dict[date, StatsDelta]],
) -> list[DayDrift]:
    """Set drifted days to the rebuilt figures, in one transaction, and return what was
    fixed. Each repaired day appends one `ledger_repaired` event (before/after per
    drifted column); other ledger events are never touched. No drift: nothing is written.

    The day rows in range are locked before `rebuild` runs, so a concurrent order_paid on an
    existing day waits and then adds on top of the repaired figure; a day whose row appears
    meanwhile is skipped (not reported as repaired)."""
    repaired: list[DayDrift] = []
    with transaction.atomic():
        ledger = ledger_days(merchant, start, end, lock=True)
        rebuilt = rebuild()
        by_day: dict[date, list[DayDrift]] = {}
        for drift in compare_days(start, end, ledger, rebuilt):
            by_day.setdefault(drift.date, []).append(drift)
        now = timezone.now()
        with connection.cursor() as cursor:
            for day, day_drifts in by_day.items():
                target = rebuilt.get(day, StatsDelta())
                if not _write_day(cursor, merchant, day, target, exists=day in ledger):
                    continue
                digest = _fix_digest(
                    day, ledger.get(day), target, _repairs_of_day(cursor, merchant, day)
                )
                kind = EventKind.LEDGER_REPAIRED
                record_event(
                    merchant=merchant,
                    event=LedgerRepaired(
                        day=day,
                        columns={
                            drift.column: {
                                "ledger": str(drift.ledger),
                                "rebuilt": str(drift.rebuilt),
                            }
                            for drift in day_drifts
                        },
                    ),
                    idempotency_key=f"{merchant.schema_name}:{kind}:{day.isoformat()}:{digest}",
                    occurred_at=now,
                )
                repaired.extend(day_drifts)
    return repaired


def _fix_digest(day: date, ledger: StatsDelta | None, rebuilt: StatsDelta, nth: int) -> str:
    """What the fix was (before and after) and how many fixes of the day came before it:
    the same repair run twice at once records one event, a later identical drift another."""
    fix = {
        "day": day.isoformat(),
        "before": None if ledger is None else {c: str(getattr(ledger, c)) for c in STAT_COLUMNS},
        "after": {c: str(getattr(rebuilt, c)) for c in STAT_COLUMNS},
        "nth": nth,
    }
    return hashlib.sha256(json.dumps(fix, sort_keys=True).encode()).hexdigest()[:24]


def _write_day(cursor, merchant: Merchant, day: date, rebuilt: StatsDelta, exists: bool) -> bool:
    """Set one day's row to the rebuilt figures; False when a writer created the row after
    the rows were read (the day is then left alone and shows up again next time)."""
    if rebuilt.is_empty():
        cursor.execute(
            "DELETE FROM public.analytics_dailymerchantstats WHERE merchant_id = %s AND date = %s",
            [merchant.pk, day],
        )
        return True
    values = [getattr(rebuilt, column) for column in STAT_COLUMNS]
    if exists:
        assignments = ", ".join(f"{column} = %s" for column in STAT_COLUMNS)
        cursor.execute(
            f"""
            UPDATE public.analytics_dailymerchantstats SET {assignments}, updated_at = now()
            WHERE merchant_id = %s AND date = %s
            """,
            [*values, merchant.pk, day],
        )
        return True
    columns = ", ".join(STAT_COLUMNS)
    placeholders = ", ".join(["%s"] * len(STAT_COLUMNS))
    cursor.execute(
        f"""
        INSERT INTO public.analytics_dailymerchantstats (merchant_id, date, {columns}, updated_at)
        VALUES (%s, %s, {placeholders}, now())
        ON CONFLICT (merchant_id, date) DO NOTHING
        RETURNING id
        """,
        [merchant.pk, day, *values],
    )
    return cursor.fetchone() is not None


def _repairs_of_day(cursor, merchant: Merchant, day: date) -> int:
    cursor.execute(
        """
        SELECT COUNT(*) FROM public.analytics_merchantevent
        WHERE merchant_id = %s AND kind = %s AND payload ->> 'day' = %s
        """,
        [merchant.pk, EventKind.LEDGER_REPAIRED.value, day.isoformat()],
    )
    return cursor.fetchone()[0]
