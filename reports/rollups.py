"""Refreshing the monthly roll-up from the ledger's daily rows (set-based, idempotent)."""

from datetime import date

from django.db import connection

from reports.figures import invalidate_cached_pages


def refresh_monthly_stats(since: date) -> int:
    """Recompute every merchant's months from `since` (a first of month) onwards."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO public.reports_monthlymerchantstats AS m
                (merchant_id, month, currency, gmv, refunds, orders, online_gmv, in_store_gmv,
                 groupbuy_gmv, new_customers, refreshed_at)
            SELECT d.merchant_id, date_trunc('month', d.date)::date, t.currency,
                   sum(d.gmv), sum(d.refunds), sum(d.orders), sum(d.online_gmv),
                   sum(d.in_store_gmv), sum(d.groupbuy_gmv), sum(d.new_customers), now()
            FROM public.analytics_dailymerchantstats d
            JOIN public.tenants_merchant t ON t.id = d.merchant_id
            WHERE d.date >= %s
            GROUP BY d.merchant_id, date_trunc('month', d.date), t.currency
            ON CONFLICT (merchant_id, month) DO UPDATE SET
                currency = EXCLUDED.currency, gmv = EXCLUDED.gmv, refunds = EXCLUDED.refunds,
                orders = EXCLUDED.orders, online_gmv = EXCLUDED.online_gmv,
                in_store_gmv = EXCLUDED.in_store_gmv, groupbuy_gmv = EXCLUDED.groupbuy_gmv,
                new_customers = EXCLUDED.new_customers, refreshed_at = now()
            """,
            [since],
        )
        refreshed = cursor.rowcount
    invalidate_cached_pages()
    return refreshed
