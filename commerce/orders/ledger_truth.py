"""Ledger truth: rebuild a merchant's DailyMerchantStats from its own tenant tables.

The public ledger is a running sum written by tenant code in the same transaction as each
change (mark_paid, cancel_order, payments._complete). A sum can still drift: a hand-edited
row, a restore of one side only, a bug in a writer. Billing and platform metrics read only
the ledger, so this module recomputes every StatsDelta column per local day from the
orders and refunds themselves, with the exact rules of the writers, reports the days that
differ and can have analytics set them right (analytics.repair, recording each fix as an
append-only `ledger_repaired` event).

Rules mirrored from the writers (change them together):
- `order_paid` (mark_paid): on the local day of `paid_at`, every order with `paid_at`
  (whatever happened to it since: refunds and cancellations are their own events). In
  store when `channel == in_store`, online otherwise; group-buy when its tags contain
  "groupbuy"; new/returning only for orders with a customer, by `is_new_customer`.
  Group-buy virtual fill adds seat rows without orders, so it never counts.
- `order_cancelled` (cancel_order): one per order on the local day of `cancelled_at`.
- `order_refunded` (payments._complete): SUCCEEDED refunds on the local day they
  completed; `prior_period_refunds` when the order's local paid month differs from the
  refund's local month.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import fields
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import connection

from analytics.ledger import StatsDelta
from analytics.repair import DayDrift, compare_days, ledger_days, repair_days
from commerce.orders.models import Channel
from commerce.payments.models import RefundStatus
from tenants.models import Merchant

MONEY_COLUMNS = frozenset(
    field.name for field in fields(StatsDelta) if isinstance(field.default, Decimal)
)


@contextmanager
def _in_schema(merchant: Merchant) -> Iterator[None]:
    """Enter the merchant's schema unless the connection is there already (nesting is safe,
    but a no-op keeps the search_path calls down when a caller loops days)."""
    if connection.schema_name == merchant.schema_name:
        yield
        return
    with merchant:
        yield


def _utc_bounds(merchant: Merchant, start: date, end: date) -> tuple[datetime, datetime]:
    """A slightly wide [lower, upper) instant range around the local days start..end.

    Only to let PostgreSQL use the timestamp columns' order; the exact filter is on the
    local date itself (a DST jump at local midnight cannot lose an event)."""
    zone = ZoneInfo(merchant.timezone)
    lower = datetime.combine(start, time.min, tzinfo=zone) - timedelta(days=1)
    upper = datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone) + timedelta(days=1)
    return lower, upper


_PAID_SQL = """
    SELECT (o.paid_at AT TIME ZONE %(tz)s)::date AS day,
           COUNT(*) AS orders,
           SUM(o.total) AS gmv,
           COUNT(*) FILTER (WHERE o.channel <> %(in_store)s) AS online_orders,
           COALESCE(SUM(o.total) FILTER (WHERE o.channel <> %(in_store)s), 0) AS online_gmv,
           COUNT(*) FILTER (WHERE o.channel = %(in_store)s) AS in_store_orders,
           COALESCE(SUM(o.total) FILTER (WHERE o.channel = %(in_store)s), 0) AS in_store_gmv,
           COUNT(*) FILTER (WHERE 'groupbuy' = ANY(o.tags)) AS groupbuy_orders,
           COALESCE(SUM(o.total) FILTER (WHERE 'groupbuy' = ANY(o.tags)), 0) AS groupbuy_gmv,
           COUNT(*) FILTER (WHERE 'groupbuy' = ANY(o.tags)
                              AND o.customer_id IS NOT NULL AND o.is_new_customer)
               AS groupbuy_new_customers,
           COUNT(*) FILTER (WHERE o.customer_id IS NOT NULL AND o.is_new_customer)
               AS new_customers,
           COUNT(*) FILTER (WHERE o.customer_id IS NOT NULL AND NOT o.is_new_customer)
               AS returning_customers
    FROM orders_order o
    WHERE o.paid_at >= %(lower)s AND o.paid_at < %(upper)s
      AND (o.paid_at AT TIME ZONE %(tz)s)::date BETWEEN %(start)s AND %(end)s
    GROUP BY 1
"""

_CANCELLED_SQL = """
    SELECT (o.cancelled_at AT TIME ZONE %(tz)s)::date AS day, COUNT(*) AS cancelled_orders
    FROM orders_order o
    WHERE o.cancelled_at >= %(lower)s AND o.cancelled_at < %(upper)s
      AND (o.cancelled_at AT TIME ZONE %(tz)s)::date BETWEEN %(start)s AND %(end)s
    GROUP BY 1
"""

# Refunds completed before Refund.completed_at existed fall back to their "refunded"
# timeline event (written in the same transaction as the ledger event), then to creation.
_REFUNDS_SQL = """
    WITH done AS (
        SELECT r.amount,
               COALESCE(r.completed_at, ev.created_at, r.created_at) AS refunded_at,
               o.paid_at
        FROM payments_refund r
        JOIN orders_order o ON o.id = r.order_id
        LEFT JOIN LATERAL (
            SELECT MIN(e.created_at) AS created_at
            FROM orders_orderevent e
            WHERE r.completed_at IS NULL
              AND e.order_id = r.order_id
              AND e.kind = 'refunded'
              AND e.data ->> 'refund' = r.id::text
        ) ev ON TRUE
        WHERE r.status = %(succeeded)s AND r.created_at < %(upper)s
    )
    SELECT (refunded_at AT TIME ZONE %(tz)s)::date AS day,
           COUNT(*) AS refund_count,
           SUM(amount) AS refunds,
           COALESCE(SUM(amount) FILTER (
               WHERE paid_at IS NOT NULL
                 AND date_trunc('month', paid_at AT TIME ZONE %(tz)s)
                     <> date_trunc('month', refunded_at AT TIME ZONE %(tz)s)
           ), 0) AS prior_period_refunds
    FROM done
    WHERE refunded_at >= %(lower)s AND refunded_at < %(upper)s
      AND (refunded_at AT TIME ZONE %(tz)s)::date BETWEEN %(start)s AND %(end)s
    GROUP BY 1
"""


def _grouped(sql: str, params: dict) -> Iterator[dict]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column.name for column in cursor.description]
        for row in cursor.fetchall():
            yield dict(zip(names, row, strict=True))


def rebuild_days(merchant: Merchant, start: date, end: date) -> dict[date, StatsDelta]:
    """Every local day from start to end (inclusive) that has figures, recomputed from the
    tenant schema: three grouped queries (paid, cancelled, refunded), no per-order loop.

    Call inside `with merchant:`: the tables are the tenant's own. Days without any
    activity are left out (the ledger has no row for them either)."""
    if connection.schema_name != merchant.schema_name:
        raise RuntimeError(f"rebuild_days needs `with merchant:` ({merchant.schema_name})")
    lower, upper = _utc_bounds(merchant, start, end)
    params = {
        "tz": merchant.timezone,
        "start": start,
        "end": end,
        "lower": lower,
        "upper": upper,
        "in_store": Channel.IN_STORE.value,
        "succeeded": RefundStatus.SUCCEEDED.value,
    }
    days: dict[date, dict] = {}
    for sql in (_PAID_SQL, _CANCELLED_SQL, _REFUNDS_SQL):
        for row in _grouped(sql, params):
            days.setdefault(row.pop("day"), {}).update(row)
    return {
        day: StatsDelta(
            **{
                column: Decimal(value) if column in MONEY_COLUMNS else int(value)
                for column, value in values.items()
            }
        )
        for day, values in sorted(days.items())
    }


def find_drift(merchant: Merchant, start: date, end: date) -> list[DayDrift]:
    """Columns of days where the ledger differs from the rebuilt truth, by day then column
    (a missing ledger row counts as zeros). Reads only; callable from any schema."""
    with _in_schema(merchant):
        rebuilt = rebuild_days(merchant, start, end)
        return compare_days(start, end, ledger_days(merchant, start, end), rebuilt)


def repair(merchant: Merchant, start: date, end: date) -> list[DayDrift]:
    """Set drifted days to the figures rebuilt from the shop's orders and refunds, and return
    what was fixed. Analytics writes its own tables (analytics.repair.repair_days: locks the
    days first, one `ledger_repaired` event per repaired day, nothing when nothing drifted);
    commerce only supplies the truth."""
    with _in_schema(merchant):
        return repair_days(merchant, start, end, rebuild=lambda: rebuild_days(merchant, start, end))
