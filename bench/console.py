"""Console pages at 50 and at 5,000 merchants, each merchant with a year of daily ledger rows.

Each size gets a database of its own (public schema only: console pages never open a shop's
schema), seeded once and kept: merchants on the three plans with upgrades and churn, 365
ledger days each, journeys with milestones and tiers, NPS answers, last month invoiced.
For each console page: p95 of 30 requests (in-process client, logged-in platform admin) and
its query count; growth = queries at 5,000 minus queries at 50. At `BENCH_SCALE=smoke`: 5 and
50 merchants, 3 requests a page.

Goals: p95 <= 150 ms; the query count does not grow with merchants
(`RESULT console_p95_ms=<worst page at 5,000> console_queries_growth=<worst page>`).
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from _scale import SMOKE, sized

PAGES = [
    "/console/metrics/",
    "/console/billing/",
    "/console/onboarding/",
    "/console/onboarding/board/",
    "/console/merchants/",
    # Uncached: the NPS chain is built on every request.
    "/console/metrics/nps/",
]
SIZES = sized((50, 5000), (5, 50))
SAMPLES = sized(30, 3)


def measure(size: int) -> dict:
    """Seed and measure one size in a process of its own (its own database)."""
    from devstack.services import ensure_database, with_database

    # Named after the bench database, so a smoke run never reuses a full run's seed. At smoke
    # size both sizes share one database (grown from the first to the second: the seed
    # only adds what is missing), which saves a migration; its figures mean nothing anyway.
    bench_database = urlsplit(os.environ["DATABASE_URL"]).path.lstrip("/")
    name = f"{bench_database}_console" if SMOKE else f"{bench_database}_console_{size}"
    url = with_database(os.environ["DATABASE_URL"], name)
    ensure_database(url)
    env = {**os.environ, "DATABASE_URL": url, "BENCH_CONSOLE_SIZE": str(size)}
    output = subprocess.run(
        [sys.executable, __file__, "--worker"], env=env, capture_output=True, text=True
    )
    sys.stderr.write(output.stderr[-3000:])
    if output.returncode != 0:
        raise SystemExit(f"console bench at {size} merchants failed")
    return json.loads(output.stdout.strip().splitlines()[-1])


def worker() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import _setup  # noqa: F401  (sets Django up on this size's database)
    from django.core.management import call_command

    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
    size = int(os.environ["BENCH_CONSOLE_SIZE"])
    seed(size)
    print(json.dumps(time_pages()))


def seed(size: int) -> None:
    from datetime import date, timedelta

    from django.db import connection

    from billing.models import Invoice
    from billing.run import run_billing
    from reports.rollups import refresh_monthly_stats
    from tenants.models import Merchant

    # The billing run is the last step: without its invoices a seed was cut short (each
    # step below is idempotent, so it simply runs again).
    if Merchant.objects.exclude(schema_name="public").count() >= size and Invoice.objects.exists():
        return
    print(f"seeding {size} merchants with a year of ledger…", file=sys.stderr, flush=True)
    today = date.today()
    year_ago = today - timedelta(days=365)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO tenants_merchant (schema_name, slug, slug_skeleton, name, status,
                timezone, currency, language, db_alias, stripe_charges_enabled, created_at)
            SELECT 'm_console_' || g, 'console-' || g, 'console~' || g, 'Console Shop ' || g,
                   'active',
                   'Asia/Shanghai', 'CNY', 'zh-hans', 'default', false,
                   now() - ((g * 7919) %% 400 || ' days')::interval
            FROM generate_series(1, %(size)s) g
            ON CONFLICT DO NOTHING
            """,
            {"size": size},
        )
        cursor.execute(
            """
            INSERT INTO billing_subscription (merchant_id, plan_id, interval, status, started_on,
                trial_ends_on, term_start, term_end, auto_renew, past_due_since, ended_on,
                updated_at)
            SELECT m.id,
                   (SELECT id FROM billing_plan ORDER BY sort_order
                    OFFSET (m.id %% 3) LIMIT 1),
                   'month',
                   CASE WHEN m.id %% 17 = 0 THEN 'expired' ELSE 'active' END,
                   m.created_at::date, NULL, date_trunc('month', now())::date,
                   (date_trunc('month', now()) + interval '1 month - 1 day')::date,
                   m.id %% 17 <> 0, NULL,
                   CASE WHEN m.id %% 17 = 0 THEN (now() - interval '40 days')::date END,
                   now()
            FROM tenants_merchant m
            WHERE m.schema_name <> 'public'
            ON CONFLICT DO NOTHING
            """,
            {},
        )
        cursor.execute(
            """
            INSERT INTO billing_subscriptionevent (subscription_id, merchant_id, kind,
                occurred_on, mrr_before, mrr_after, unique_key, created_at)
            SELECT s.id, s.merchant_id,
                   CASE WHEN s.status = 'expired' THEN 'expired' ELSE 'expansion' END,
                   coalesce(s.ended_on + 1, (now() - interval '100 days')::date),
                   299, CASE WHEN s.status = 'expired' THEN 0 ELSE 999 END,
                   'bench:' || s.id, now()
            FROM billing_subscription s WHERE s.merchant_id %% 5 = 0 OR s.status = 'expired'
            ON CONFLICT DO NOTHING
            """,
            {},
        )
        cursor.execute(
            """
            INSERT INTO analytics_dailymerchantstats (merchant_id, date, gmv, refunds,
                prior_period_refunds, orders, refund_count, cancelled_orders, online_orders,
                online_gmv, in_store_orders, in_store_gmv, groupbuy_orders, groupbuy_gmv,
                new_customers, returning_customers, updated_at)
            SELECT m.id, d::date, 100 + (m.id * 31 + extract(doy FROM d)::int) %% 900, 0, 0,
                   5, 0, 0, 3, 60, 2, 40, 0, 0, 1, 4, now()
            FROM tenants_merchant m
            CROSS JOIN generate_series(%(start)s::date, %(end)s::date, interval '1 day') d
            WHERE m.schema_name <> 'public'
            ON CONFLICT DO NOTHING
            """,
            {"start": year_ago, "end": today},
        )
        cursor.execute(
            """
            INSERT INTO onboarding_journey (merchant_id, csm_id, started_at, completed_at, tier,
                segment, system_contact, store_role_owners, created_at)
            SELECT m.id, NULL, m.created_at, NULL,
                   (ARRAY['SKA','KA','A','B','C'])[1 + m.id %% 5], 'active', '', '', now()
            FROM tenants_merchant m WHERE m.schema_name <> 'public'
            ON CONFLICT DO NOTHING
            """,
            {},
        )
        cursor.execute(
            """
            INSERT INTO onboarding_milestone (journey_id, stage, opens_at, due_at, completed_at,
                completed_via, completed_by_id, reopened_at, note)
            SELECT j.id, st.stage, j.started_at, j.started_at + st.due,
                   CASE WHEN j.merchant_id %% (st.n + 1) = 0
                        THEN j.started_at + st.due - interval '1 day' END,
                   'ledger', NULL, NULL, ''
            FROM onboarding_journey j CROSS JOIN (VALUES
                ('first_contact', interval '2 days', 1), ('store_setup', interval '7 days', 2),
                ('training', interval '14 days', 3), ('go_live', interval '30 days', 4),
                ('tiering', interval '31 days', 5)) AS st(stage, due, n)
            ON CONFLICT DO NOTHING
            """,
            {},
        )
        cursor.execute(
            """
            INSERT INTO onboarding_npssurvey (merchant_id, wave, sent_at, emailed_at, reminded_at)
            SELECT m.id, 1, now() - interval '60 days', NULL, NULL
            FROM tenants_merchant m WHERE m.schema_name <> 'public' AND m.id %% 3 = 0
            ON CONFLICT DO NOTHING
            """,
            {},
        )
        cursor.execute(
            """
            INSERT INTO onboarding_npsresponse (survey_id, score, comment, answered_by_id,
                answered_at)
            SELECT s.id, s.merchant_id %% 11, '', NULL, s.sent_at + interval '2 days'
            FROM onboarding_npssurvey s
            ON CONFLICT DO NOTHING
            """,
            {},
        )
        for table in (
            "analytics_dailymerchantstats",
            "billing_subscription",
            "onboarding_journey",
            "onboarding_milestone",
            "tenants_merchant",
        ):
            cursor.execute(f"ANALYZE {table}")
    refresh_monthly_stats(year_ago.replace(day=1))
    if not Invoice.objects.exists():
        last = today.replace(day=1) - timedelta(days=1)
        run_billing(last.year, last.month)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def time_pages() -> dict:
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    from accounts.models import PlatformRole, User

    admin, _created = User.objects.get_or_create(
        email="bench-admin@platform.test",
        defaults={"platform_roles": [PlatformRole.PLATFORM_ADMIN]},
    )
    client = Client(HTTP_HOST="localhost")
    client.force_login(admin)
    results = {}
    for path in PAGES:
        for _warm in range(2):
            assert client.get(path).status_code == 200, path
        with CaptureQueriesContext(connection) as queries:
            client.get(path)
        # Read now: the next request's request_started signal empties the query log.
        query_count = len(queries)
        samples = []
        for _run in range(SAMPLES):
            started = time.perf_counter()
            client.get(path)
            samples.append((time.perf_counter() - started) * 1000)
        results[path] = {"p95_ms": p95(samples), "queries": query_count}
    # The metrics page is served from a 5-minute cache; what a build costs when it is not:
    cold = []
    with override_settings(REPORTS_METRICS_CACHE_SECONDS=0):
        for _run in range(max(SAMPLES // 3, 2)):
            started = time.perf_counter()
            client.get(PAGES[0])
            cold.append((time.perf_counter() - started) * 1000)
    results["metrics_cold"] = {"p95_ms": p95(cold)}
    return results


def p95(samples: list[float]) -> float:
    return sorted(samples)[int(0.95 * (len(samples) - 1))]


def main() -> None:
    small, large = (measure(size) for size in SIZES)
    growth = 0
    for path in PAGES:
        grew = large[path]["queries"] - small[path]["queries"]
        growth = max(growth, grew)
        print(
            f"{path:32} p95 {small[path]['p95_ms']:7.1f} ms at {SIZES[0]:,}, "
            f"{large[path]['p95_ms']:7.1f} ms at {SIZES[1]:,}; queries {small[path]['queries']} → "
            f"{large[path]['queries']}"
        )
    worst = max(large[path]["p95_ms"] for path in PAGES)
    cold = large["metrics_cold"]["p95_ms"]
    print(
        f"/console/metrics/ uncached build p95 {small['metrics_cold']['p95_ms']:.1f} ms at {SIZES[0]:,}, "
        f"{cold:.1f} ms at {SIZES[1]:,}"
    )
    nps_chain = large["/console/metrics/nps/"]["p95_ms"]
    print(
        f"RESULT console_p95_ms={worst:.1f} console_queries_growth={growth} "
        f"console_metrics_uncached_p95_ms={cold:.1f} console_nps_chain_p95_ms={nps_chain:.1f}"
    )


if __name__ == "__main__":
    if "--worker" in sys.argv:
        worker()
    else:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        main()
