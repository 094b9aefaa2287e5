"""The monthly billing run for 1,000 merchants, with 10k and with 1M orders' worth of ledger.

Two past months are seeded once (and kept): September 2025 with 10,000 paid orders and
October 2025 with 1,000,000, spread over the same 1,000 merchants, as the shops would have
written them (an `order_paid` event per order, 1% refunded, a few of them late refunds of the
month before; daily rows summed from those events; some plugins switched on). Each timed run
starts with no invoices for its month and bills every merchant.

Goals: the run takes <= 10 s and the 1M month costs <= 1.5x the 10k month
(`RESULT billing_s=<1M-month seconds> billing_ratio=<1M / 10k>`). At `BENCH_SCALE=smoke`: 10
merchants, 200 and 20,000 orders (the same labels).
"""

import time

from _setup import ensure_merchants, sized
from django.db import connection, transaction

from billing.models import CreditNote, Invoice
from billing.run import run_billing
from billing.subscriptions import start_missing_subscriptions
from tenants.models import Merchant

MERCHANTS = sized(1000, 10)
MONTHS = sized(
    {"10k": (2025, 9, 10_000), "1M": (2025, 10, 1_000_000)},
    {"10k": (2025, 9, 200), "1M": (2025, 10, 20_000)},
)


def seed_month(label: str, year: int, month: int, orders: int, merchant_ids: list[int]) -> None:
    prefix = f"bench-billing:{label}:"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM analytics_merchantevent WHERE idempotency_key LIKE %s",
            [prefix + "%"],
        )
        if cursor.fetchone()[0] >= orders:
            return
        print(f"seeding {orders:,} orders for {year}-{month:02d}…", flush=True)
        cursor.execute("CREATE TEMP TABLE bench_ids (n int primary key, merchant_id int)")
        cursor.executemany("INSERT INTO bench_ids VALUES (%s, %s)", list(enumerate(merchant_ids)))
        days = 30 if month in (4, 6, 9, 11) else 31
        # One order_paid event per order, spread over merchants and days.
        cursor.execute(
            """
            INSERT INTO analytics_merchantevent
                (merchant_id, kind, idempotency_key, payload, occurred_at, local_date, recorded_at)
            SELECT b.merchant_id, 'order_paid', %(prefix)s || g,
                   jsonb_build_object('total', (50 + g %% 400)::text, 'channel', 'online', 'order', g),
                   make_timestamptz(%(year)s, %(month)s, 1 + g %% %(days)s, 4, 0, 0, 'UTC'),
                   make_date(%(year)s, %(month)s, 1 + g %% %(days)s), now()
            FROM generate_series(1, %(orders)s) AS g
            JOIN bench_ids b ON b.n = g %% %(merchants)s
            ON CONFLICT (idempotency_key) DO NOTHING
            """,
            {
                "prefix": prefix,
                "year": year,
                "month": month,
                "days": days,
                "orders": orders,
                "merchants": len(merchant_ids),
            },
        )
        # 1% refunded; every fifth refund is of an order paid the month before (a late one).
        cursor.execute(
            """
            INSERT INTO analytics_merchantevent
                (merchant_id, kind, idempotency_key, payload, occurred_at, local_date, recorded_at)
            SELECT b.merchant_id, 'order_refunded', %(prefix)s || 'refund:' || g,
                   jsonb_build_object(
                       'order', g,
                       'amount', (10 + g %% 40)::text,
                       'paid_on', CASE WHEN g %% 5 = 0
                           THEN make_date(%(year)s, %(month)s, 1) - 3
                           ELSE make_date(%(year)s, %(month)s, 1 + g %% %(days)s) END),
                   make_timestamptz(%(year)s, %(month)s, 1 + g %% %(days)s, 6, 0, 0, 'UTC'),
                   make_date(%(year)s, %(month)s, 1 + g %% %(days)s), now()
            FROM generate_series(1, %(refunds)s) AS g
            JOIN bench_ids b ON b.n = g %% %(merchants)s
            ON CONFLICT (idempotency_key) DO NOTHING
            """,
            {
                "prefix": prefix,
                "year": year,
                "month": month,
                "days": days,
                "refunds": max(orders // 100, 1),
                "merchants": len(merchant_ids),
            },
        )
        # The daily rows, summed from those events as record_event would have.
        cursor.execute(
            """
            INSERT INTO analytics_dailymerchantstats AS s
                (merchant_id, date, gmv, refunds, prior_period_refunds, orders, refund_count,
                 cancelled_orders, online_orders, online_gmv, in_store_orders, in_store_gmv,
                 groupbuy_orders, groupbuy_gmv, new_customers, returning_customers, updated_at)
            SELECT merchant_id, local_date,
                   sum(CASE WHEN kind = 'order_paid' THEN (payload->>'total')::numeric ELSE 0 END),
                   sum(CASE WHEN kind = 'order_refunded'
                       THEN (payload->>'amount')::numeric ELSE 0 END),
                   sum(CASE WHEN kind = 'order_refunded'
                            AND (payload->>'paid_on')::date < make_date(%(year)s, %(month)s, 1)
                       THEN (payload->>'amount')::numeric ELSE 0 END),
                   count(*) FILTER (WHERE kind = 'order_paid'),
                   count(*) FILTER (WHERE kind = 'order_refunded'),
                   0,
                   count(*) FILTER (WHERE kind = 'order_paid'),
                   sum(CASE WHEN kind = 'order_paid' THEN (payload->>'total')::numeric ELSE 0 END),
                   0, 0, 0, 0, 0, 0, now()
            FROM analytics_merchantevent
            WHERE idempotency_key LIKE %(like)s
            GROUP BY merchant_id, local_date
            ON CONFLICT (merchant_id, date) DO NOTHING
            """,
            {"year": year, "month": month, "like": prefix + "%"},
        )
        cursor.execute("DROP TABLE bench_ids")
        cursor.execute("ANALYZE analytics_merchantevent")
        cursor.execute("ANALYZE analytics_dailymerchantstats")


def timed_run(year: int, month: int) -> tuple[float, int]:
    with transaction.atomic():
        CreditNote.objects.filter(invoice__period_start__year=year).delete()
        Invoice.objects.filter(period_start__year=year, period_start__month=month).delete()
    started = time.perf_counter()
    summary = run_billing(year, month)
    return time.perf_counter() - started, summary.created


def main() -> None:
    ensure_merchants(MERCHANTS)
    merchant_ids = list(
        Merchant.objects.exclude(schema_name="public")
        .order_by("id")
        .values_list("id", flat=True)[:MERCHANTS]
    )
    start_missing_subscriptions()
    from billing.models import Subscription

    Subscription.objects.filter(merchant_id__in=merchant_ids).update(
        started_on="2025-01-01", trial_ends_on=None, status="active"
    )
    for label, (year, month, orders) in MONTHS.items():
        seed_month(label, year, month, orders, merchant_ids)
    timed_run(*MONTHS["10k"][:2])  # warm-up: caches, plans, connection
    small, small_created = timed_run(*MONTHS["10k"][:2])
    large, large_created = timed_run(*MONTHS["1M"][:2])
    print(f"10k orders: {small_created} invoices in {small:.2f} s")
    print(f"1M orders:  {large_created} invoices in {large:.2f} s")
    print(f"RESULT billing_s={large:.2f} billing_ratio={large / small:.2f}")


if __name__ == "__main__":
    main()
