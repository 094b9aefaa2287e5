"""The onboarding sweep over 10,000 merchants' journeys (goal: <= 30 s); run by
bench/onboarding_sweep.py on a database of its own.

Merchants are inserted straight into the public tables (no schemas: the sweep never reads
one), with owners, journeys spread over days 0-45 of onboarding, 20 CSMs under two
managers, and the ledger facts a real fleet would have written: store set-ups, first POS
orders, campaigns, outlet counts and three months of sales. Each run resets the journeys
and times a first sweep (completions, tiering, alerts, NPS waves, every email) and a
second, steady one.

Last line: `RESULT onboarding_sweep_s=… merchants=10000 surveys_opened=… survey_emails=…` (300
at `BENCH_SCALE=smoke`).
"""

import time
from datetime import timedelta
from decimal import Decimal

from _setup import sized
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core import mail
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Notification, PlatformRole, User
from analytics.models import DailyMerchantStats, MerchantEvent
from onboarding.models import (
    CsmProfile,
    Journey,
    Milestone,
    NpsSurvey,
    Stage,
    TierAssignment,
    TimelineEntry,
)
from onboarding.services import NewJourney, create_journeys
from onboarding.sweep import run_sweep
from tenants.models import Membership, Merchant

COUNT = sized(10_000, 300)
PREFIX = "obench"


def seed_merchants(now) -> list[int]:
    existing = Merchant.objects.filter(slug__startswith=f"{PREFIX}-").count()
    if existing < COUNT:
        Merchant.objects.bulk_create(
            [
                # `~` keeps the skeletons unique: it is never in a real address's skeleton.
                Merchant(
                    schema_name=f"{PREFIX}_{n}",
                    slug=f"{PREFIX}-{n}",
                    slug_skeleton=f"{PREFIX}~{n}",
                    name=f"Bench {n}",
                )
                for n in range(existing, COUNT)
            ],
            batch_size=2000,
            ignore_conflicts=True,
        )
        password = make_password("bench-pass-2026")
        User.objects.bulk_create(
            [
                User(
                    email=f"owner@{PREFIX}-{n}.test",
                    username=f"owner@{PREFIX}-{n}.test",
                    password=password,
                )
                for n in range(COUNT)
            ],
            batch_size=2000,
            ignore_conflicts=True,
        )
        users = dict(
            User.objects.filter(email__startswith=f"owner@{PREFIX}-").values_list("email", "pk")
        )
        merchants = dict(
            Merchant.objects.filter(slug__startswith=f"{PREFIX}-").values_list("slug", "pk")
        )
        Membership.objects.bulk_create(
            [
                Membership(user_id=users[f"owner@{slug}.test"], merchant_id=pk, role="owner")
                for slug, pk in merchants.items()
            ],
            batch_size=2000,
            ignore_conflicts=True,
        )
    ids = list(
        Merchant.objects.filter(slug__startswith=f"{PREFIX}-")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    # ignore_conflicts above hides a row the database refused: say so here, not later.
    assert len(ids) >= COUNT, f"only {len(ids)} of {COUNT} bench merchants could be inserted"
    # Day 0 spread over the last 46 days (every stage of the journey is represented).
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE tenants_merchant SET created_at = %s - ((id %% 46) * interval '1 day')
                                                       - ((id %% 7) * interval '1 hour')
            WHERE slug LIKE %s
            """,
            [now, f"{PREFIX}-%"],
        )
    return ids


def seed_csms() -> None:
    password = make_password("bench-pass-2026")
    managers = []
    for n in range(2):
        manager, _ = User.objects.get_or_create(
            email=f"lead{n}@{PREFIX}.test",
            defaults={"password": password, "platform_roles": [PlatformRole.CSM]},
        )
        managers.append(manager)
        CsmProfile.objects.update_or_create(user=manager, defaults={"accepts_new_merchants": False})
    for n in range(20):
        csm, _ = User.objects.get_or_create(
            email=f"csm{n}@{PREFIX}.test",
            defaults={"password": password, "platform_roles": [PlatformRole.CSM]},
        )
        CsmProfile.objects.update_or_create(user=csm, defaults={"manager": managers[n % 2]})


def seed_ledger(ids: list[int], now) -> None:
    """Facts the shops would have written, once (idempotency keys keep reruns equal)."""
    if MerchantEvent.objects.filter(idempotency_key__startswith=f"{PREFIX}:").exists():
        return
    created = dict(Merchant.objects.filter(pk__in=ids).values_list("pk", "created_at"))
    events, stats = [], []
    for mid in ids:
        day0 = created[mid]
        age = (now - day0).days

        def event(kind: str, days: float, payload=None, mid=mid, day0=day0):
            at = day0 + timedelta(days=days)
            events.append(
                MerchantEvent(
                    merchant_id=mid,
                    kind=kind,
                    idempotency_key=f"{PREFIX}:{mid}:{kind}",
                    payload=payload or {},
                    occurred_at=at,
                    local_date=at.date(),
                )
            )

        if age >= 6 and mid % 5:
            event("store_setup_completed", 5)
        if age >= 20 and mid % 3:
            event("first_in_store_order", 18)
            event("campaign_launched", 19, {"plugin": "groupbuy"})
            event("outlets_changed", 17, {"active_store_outlets": 1 + mid % 8})
        for back in (35, 65, 95):
            stats.append(
                DailyMerchantStats(
                    merchant_id=mid,
                    date=(now - timedelta(days=back)).date(),
                    gmv=Decimal(mid % 97) * 1000,
                    orders=mid % 40,
                )
            )
    MerchantEvent.objects.bulk_create(events, batch_size=5000, ignore_conflicts=True)
    DailyMerchantStats.objects.bulk_create(stats, batch_size=5000, ignore_conflicts=True)


def reset_journeys(ids: list[int], now) -> None:
    """Fresh journeys; first contact logged for four in five merchants past day 1."""
    with transaction.atomic():
        for model in (TimelineEntry, NpsSurvey, TierAssignment):
            model.objects.filter(merchant_id__in=ids).delete()
        Journey.objects.filter(merchant_id__in=ids).delete()
        Notification.objects.filter(recipient__email__endswith=f"@{PREFIX}.test").delete()
        created = dict(Merchant.objects.filter(pk__in=ids).values_list("pk", "created_at"))
        create_journeys([NewJourney(mid, created[mid]) for mid in ids])
        with connection.cursor() as cursor:
            cursor.execute(
                """
                UPDATE onboarding_milestone m SET completed_at = j.started_at + interval '20 hours',
                       completed_via = 'contact'
                FROM onboarding_journey j
                WHERE m.journey_id = j.id AND m.stage = %s AND j.merchant_id = ANY(%s)
                  AND j.merchant_id %% 5 <> 0 AND j.started_at < %s - interval '1 day'
                """,
                [Stage.FIRST_CONTACT.value, ids, now],
            )
            cursor.execute(
                """
                UPDATE onboarding_milestone m SET completed_at = j.started_at + interval '10 days',
                       completed_via = 'training'
                FROM onboarding_journey j
                WHERE m.journey_id = j.id AND m.stage = %s AND j.merchant_id = ANY(%s)
                  AND j.merchant_id %% 4 <> 0 AND j.started_at < %s - interval '11 days'
                """,
                [Stage.TRAINING.value, ids, now],
            )


def main() -> None:
    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
    # Every email is built as it would be for SMTP, kept in memory instead of sent.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    now = timezone.now()
    started = time.perf_counter()
    seed_csms()
    ids = seed_merchants(now)
    seed_ledger(ids, now)
    reset_journeys(ids, now)
    # Fresh planner statistics, as autovacuum would have them after such a bulk load.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"seeded {len(ids)} merchants' journeys in {time.perf_counter() - started:.1f} s")
    assert Journey.objects.filter(merchant_id__in=ids).count() == COUNT
    assert Milestone.objects.filter(journey__merchant_id__in=ids).count() == COUNT * 5

    mail.outbox = []
    started = time.perf_counter()
    first = run_sweep(now)
    first_s = time.perf_counter() - started
    print(f"first sweep: {first_s:.2f} s  {first}")
    print(f"emails built: {len(mail.outbox)}")
    started = time.perf_counter()
    second = run_sweep(now + timedelta(minutes=3))
    second_s = time.perf_counter() - started
    print(f"steady sweep (3 minutes later): {second_s:.2f} s  {second}")
    print("goal: <= 30 s for 10,000 merchants")
    # The survey waves (and go-live/renewal surveys) are timed inside the sweep.
    print(
        f"RESULT onboarding_sweep_s={first_s:.2f} merchants={COUNT} "
        f"surveys_opened={first.surveys_opened} survey_emails={first.survey_emails}"
    )


if __name__ == "__main__":
    main()
