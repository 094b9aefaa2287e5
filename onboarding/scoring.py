"""Tiers, segments and health, computed for many merchants at once from public tables.

Every measure comes from the ledger (analytics.DailyMerchantStats / MerchantEvent) or from
onboarding's own tables; see docs/architecture.md ("Onboarding") for the definitions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from analytics.events import EventKind
from core.stored_text import stored_message, stored_params
from onboarding.models import (
    HealthOverride,
    HealthScore,
    HealthWeights,
    Journey,
    Segment,
    Stage,
    Task,
    TaskSource,
    Tier,
    TierAssignment,
    TierThreshold,
    TimelineEntry,
    TimelineKind,
)
from onboarding.selectors import overdue_invoice_counts
from onboarding.services import create_system_tasks
from tenants.models import Merchant, MerchantStatus

DEFAULT_THRESHOLDS = {
    # Monthly average net GMV (merchant's currency) and active physical stores.
    Tier.SKA: (Decimal("1000000"), 20),
    Tier.KA: (Decimal("200000"), 5),
    Tier.A: (Decimal("50000"), 2),
    Tier.B: (Decimal("10000"), 1),
    Tier.C: (Decimal("0"), 0),
}


@dataclass(frozen=True)
class Bar:
    tier: str
    min_monthly_gmv: Decimal
    min_active_outlets: int


def current_bars() -> list[Bar]:
    """The thresholds, SKA first; defaults for tiers an admin has not set."""
    saved = {t.tier: t for t in TierThreshold.objects.all()}
    bars = []
    for tier in Tier.values:
        if tier in saved:
            bars.append(Bar(tier, saved[tier].min_monthly_gmv, saved[tier].min_active_outlets))
        else:
            gmv, outlets = DEFAULT_THRESHOLDS[tier]
            bars.append(Bar(tier, gmv, outlets))
    return bars


def tier_for(monthly_avg_gmv: Decimal, active_outlets: int, bars: Sequence[Bar]) -> str:
    """The highest tier whose GMV bar and outlet bar are both met; C otherwise."""
    for bar in bars:
        if monthly_avg_gmv >= bar.min_monthly_gmv and active_outlets >= bar.min_active_outlets:
            return bar.tier
    return Tier.C


def segment_for(*, setup_done: bool, trained: bool, orders_30d: int) -> str:
    if not setup_done or not trained:
        return Segment.NEEDS_TRAINING
    if orders_30d < settings.ONBOARDING_LOW_ACTIVITY_ORDERS:
        return Segment.NEEDS_OPERATIONS
    return Segment.ACTIVE


def tier_window(signed_up: date, today: date) -> tuple[date, date]:
    """The last 3 full calendar months, not before signup; a merchant with no full month
    yet (tiered at day 30) is measured on the last 30 days. End is exclusive."""
    period = today.replace(day=1)
    year, month = period.year, period.month - 3
    if month < 1:
        year, month = year - 1, month + 12
    start = max(date(year, month, 1), signed_up)
    if (period - start).days < 28:
        return today - timedelta(days=30), today
    return start, period


def months_in(start: date, end: date) -> Decimal:
    return max(Decimal(1), (Decimal((end - start).days) / 30).quantize(Decimal(1), ROUND_HALF_UP))


@dataclass(frozen=True)
class TierFigures:
    merchant_id: int
    monthly_avg_gmv: Decimal
    active_outlets: int
    setup_done: bool
    trained: bool
    orders_30d: int


def _ids_array(ids: Sequence[int]) -> list[int]:
    return [int(i) for i in ids]


def tier_figures(merchant_ids: Sequence[int], now: datetime) -> list[TierFigures]:
    """Figures for many merchants in five queries (no per-merchant query)."""
    ids = _ids_array(merchant_ids)
    if not ids:
        return []
    today = now.date()
    signed_up = dict(Merchant.objects.filter(pk__in=ids).values_list("pk", "created_at"))
    windows = {mid: tier_window(signed_up[mid].date(), today) for mid in ids}
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT w.merchant_id, COALESCE(SUM(s.gmv - s.refunds), 0)
            FROM unnest(%s::bigint[], %s::date[], %s::date[]) AS w(merchant_id, starts, ends)
            LEFT JOIN analytics_dailymerchantstats s
              ON s.merchant_id = w.merchant_id AND s.date >= w.starts AND s.date < w.ends
            GROUP BY w.merchant_id
            """,
            [ids, [windows[i][0] for i in ids], [windows[i][1] for i in ids]],
        )
        gmv = dict(cursor.fetchall())
        cursor.execute(
            """
            SELECT DISTINCT ON (merchant_id) merchant_id,
                   COALESCE((payload->>'active_store_outlets')::int, 0)
            FROM analytics_merchantevent
            WHERE kind = %s AND merchant_id = ANY(%s) AND occurred_at <= %s
            ORDER BY merchant_id, occurred_at DESC, id DESC
            """,
            [EventKind.OUTLETS_CHANGED.value, ids, now],
        )
        outlets = dict(cursor.fetchall())
        cursor.execute(
            """
            SELECT DISTINCT merchant_id FROM analytics_merchantevent
            WHERE kind = %s AND merchant_id = ANY(%s)
            """,
            [EventKind.STORE_SETUP_COMPLETED.value, ids],
        )
        setup_done = {row[0] for row in cursor.fetchall()}
        cursor.execute(
            """
            SELECT j.merchant_id FROM onboarding_journey j
            JOIN onboarding_milestone m ON m.journey_id = j.id
            WHERE m.stage = %s AND m.completed_at IS NOT NULL AND j.merchant_id = ANY(%s)
            UNION
            SELECT merchant_id FROM onboarding_trainingregistration
            WHERE attended_at IS NOT NULL AND merchant_id = ANY(%s)
            """,
            [Stage.TRAINING.value, ids, ids],
        )
        trained = {row[0] for row in cursor.fetchall()}
        cursor.execute(
            """
            SELECT merchant_id, SUM(orders) FROM analytics_dailymerchantstats
            WHERE merchant_id = ANY(%s) AND date > %s AND date <= %s
            GROUP BY merchant_id
            """,
            [ids, today - timedelta(days=30), today],
        )
        orders = dict(cursor.fetchall())
    return [
        TierFigures(
            merchant_id=mid,
            monthly_avg_gmv=(Decimal(gmv.get(mid, 0)) / months_in(*windows[mid])).quantize(
                Decimal("0.01"), ROUND_HALF_UP
            ),
            active_outlets=int(outlets.get(mid, 0)),
            setup_done=mid in setup_done,
            trained=mid in trained,
            orders_30d=int(orders.get(mid, 0) or 0),
        )
        for mid in ids
    ]


# System timeline entries, stored as catalogue messages (core.stored_text).
TIER_AND_SEGMENT = gettext_noop("%(tier)s · %(segment)s")
HEALTH_TURNED_RED = gettext_noop("Health turned red")
# The CSM's task when health turns red, stored as a message: shown in each reader's language.
FIND_OUT_WHY = gettext_noop("Health turned red: find out why")


def assign_tiers(merchant_ids: Sequence[int], *, now: datetime, reason: str) -> int:
    """Tier and segment for each merchant: history rows, the journey's copy, the timeline.

    Monthly runs are once per merchant and month (a unique constraint); day-30 and
    on-demand runs add a row each time.
    """
    figures = tier_figures(merchant_ids, now)
    if not figures:
        return 0
    bars = current_bars()
    period = now.date().replace(day=1)
    rows = [
        TierAssignment(
            merchant_id=f.merchant_id,
            tier=tier_for(f.monthly_avg_gmv, f.active_outlets, bars),
            segment=segment_for(
                setup_done=f.setup_done, trained=f.trained, orders_30d=f.orders_30d
            ),
            monthly_avg_gmv=f.monthly_avg_gmv,
            active_outlets=f.active_outlets,
            period=period,
            reason=reason,
            computed_at=now,
        )
        for f in figures
    ]
    with transaction.atomic():
        before = dict(
            Journey.objects.filter(merchant_id__in=[r.merchant_id for r in rows]).values_list(
                "merchant_id", "tier"
            )
        )
        if reason == "monthly":
            done = set(
                TierAssignment.objects.filter(
                    merchant_id__in=[r.merchant_id for r in rows], period=period, reason="monthly"
                ).values_list("merchant_id", flat=True)
            )
            rows = [r for r in rows if r.merchant_id not in done]
        TierAssignment.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
        with connection.cursor() as cursor:
            cursor.execute(
                """
                UPDATE onboarding_journey j SET tier = v.tier, segment = v.segment
                FROM unnest(%s::bigint[], %s::text[], %s::text[]) AS v(merchant_id, tier, segment)
                WHERE j.merchant_id = v.merchant_id
                """,
                [
                    [r.merchant_id for r in rows],
                    [r.tier for r in rows],
                    [r.segment for r in rows],
                ],
            )
        TimelineEntry.objects.bulk_create(
            [
                TimelineEntry(
                    merchant_id=r.merchant_id,
                    kind=TimelineKind.TIER,
                    detail=f"{r.tier} · {Segment(r.segment).label}",
                    # Shown in the reader's language (the segment's label translated then).
                    message=TIER_AND_SEGMENT,
                    params=stored_params(tier=r.tier, segment=Segment(r.segment).label),
                    at=now,
                )
                for r in rows
                if before.get(r.merchant_id) != r.tier
            ],
            batch_size=5000,
        )
    return len(rows)


def monthly_tiers(now: datetime | None = None) -> int:
    """Every active merchant, once a month (beat on the 1st)."""
    now = now or timezone.now()
    ids = list(
        Merchant.objects.filter(status=MerchantStatus.ACTIVE)
        .exclude(schema_name="public")
        .values_list("pk", flat=True)
    )
    return assign_tiers(ids, now=now, reason="monthly")


# ---------------------------------------------------------------------------- health

HEALTH_WEIGHTS = {
    "gmv_trend": 25,
    "orders": 20,
    "activity": 10,
    "onboarding": 20,
    "nps": 15,
    "invoices": 10,
}
# 30 paid orders in 30 days earn every "orders" point; 15 selling days every "activity" one.
HEALTHY_ORDERS_30D = 30
HEALTHY_SELLING_DAYS_30D = 15


@dataclass(frozen=True)
class HealthMeasures:
    net_gmv_30d: Decimal = Decimal(0)
    net_gmv_prev_30d: Decimal = Decimal(0)
    orders_30d: int = 0
    selling_days_30d: int = 0
    # "none" (no journey: onboarded before this existed), "on_track", "done", "behind", "stuck"
    onboarding: str = "none"
    nps_score: int | None = None
    # Filled by billing (issued invoices past their due date); see selectors.overdue_invoice_counts.
    overdue_invoices: int = 0
    # Which weights score this merchant: its current onboarding stage, then its tier.
    stage: str = ""
    tier: str = ""


def health_quality(m: HealthMeasures) -> dict[str, Fraction]:
    """How well the merchant does on each factor, from 0 (worst) to 1 (best)."""
    if m.net_gmv_prev_30d <= 0:
        trend = Fraction(1 if m.net_gmv_30d > 0 else 0)
    else:
        ratio = m.net_gmv_30d / m.net_gmv_prev_30d
        if ratio >= Decimal("1.1"):
            trend = Fraction(1)
        elif ratio >= Decimal("0.9"):
            trend = Fraction(18, 25)
        elif ratio >= Decimal("0.5"):
            trend = Fraction(8, 25)
        else:
            trend = Fraction(0)
    if m.nps_score is None or 7 <= m.nps_score <= 8:
        nps = Fraction(8, 15)
    else:
        nps = Fraction(1 if m.nps_score >= 9 else 0)
    return {
        "gmv_trend": trend,
        "orders": min(Fraction(1), Fraction(m.orders_30d, HEALTHY_ORDERS_30D)),
        "activity": min(Fraction(1), Fraction(m.selling_days_30d, HEALTHY_SELLING_DAYS_30D)),
        "onboarding": {
            "none": Fraction(1),
            "done": Fraction(1),
            "on_track": Fraction(1),
            "behind": Fraction(1, 2),
            "stuck": Fraction(0),
        }[m.onboarding],
        "nps": nps,
        "invoices": {0: Fraction(1), 1: Fraction(1, 2)}.get(m.overdue_invoices, Fraction(0)),
    }


def health_score(
    m: HealthMeasures, weights: dict[str, int] | None = None
) -> tuple[int, dict[str, int]]:
    """0-100: each factor's weight (HEALTH_WEIGHTS unless tuned) times its quality, rounded
    down per factor; returns the score and its parts."""
    weights = weights or HEALTH_WEIGHTS
    parts = {
        factor: int(weights[factor] * quality) for factor, quality in health_quality(m).items()
    }
    return sum(parts.values()), parts


def weights_for(m: HealthMeasures, tuned: dict[str, dict[str, int]]) -> dict[str, int]:
    """The stage's weights while onboarding, else the tier's, else the default."""
    for scope in (f"stage:{m.stage}" if m.stage else "", f"tier:{m.tier}" if m.tier else ""):
        if scope and scope in tuned:
            return tuned[scope]
    return tuned.get("default", HEALTH_WEIGHTS)


def tuned_weights() -> dict[str, dict[str, int]]:
    return {row.scope: row.as_dict() for row in HealthWeights.objects.all()}


def health_measures(merchant_ids: Sequence[int], now: datetime) -> dict[int, HealthMeasures]:
    ids = _ids_array(merchant_ids)
    today = now.date()
    stuck_before = now - timedelta(days=settings.ONBOARDING_STUCK_AFTER_DAYS)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT merchant_id,
              COALESCE(SUM(gmv - refunds) FILTER (WHERE date > %(recent)s), 0),
              COALESCE(SUM(gmv - refunds) FILTER (WHERE date <= %(recent)s), 0),
              COALESCE(SUM(orders) FILTER (WHERE date > %(recent)s), 0),
              COUNT(*) FILTER (WHERE date > %(recent)s AND orders > 0)
            FROM analytics_dailymerchantstats
            WHERE merchant_id = ANY(%(ids)s) AND date > %(start)s AND date <= %(today)s
            GROUP BY merchant_id
            """,
            {
                "ids": ids,
                "recent": today - timedelta(days=30),
                "start": today - timedelta(days=60),
                "today": today,
            },
        )
        stats = {row[0]: row[1:] for row in cursor.fetchall()}
        cursor.execute(
            """
            SELECT j.merchant_id,
              CASE
                WHEN j.completed_at IS NOT NULL THEN 'done'
                WHEN bool_or(m.completed_at IS NULL AND m.due_at < %(stuck)s) THEN 'stuck'
                WHEN bool_or(m.completed_at IS NULL AND m.due_at < %(now)s) THEN 'behind'
                ELSE 'on_track'
              END
            FROM onboarding_journey j JOIN onboarding_milestone m ON m.journey_id = j.id
            WHERE j.merchant_id = ANY(%(ids)s)
            GROUP BY j.merchant_id, j.completed_at
            """,
            {"ids": ids, "stuck": stuck_before, "now": now},
        )
        onboarding = dict(cursor.fetchall())
        cursor.execute(
            """
            SELECT DISTINCT ON (s.merchant_id) s.merchant_id, r.score
            FROM onboarding_npsresponse r JOIN onboarding_npssurvey s ON s.id = r.survey_id
            WHERE s.merchant_id = ANY(%s)
            ORDER BY s.merchant_id, r.answered_at DESC
            """,
            [ids],
        )
        nps = dict(cursor.fetchall())
        cursor.execute(
            """
            SELECT DISTINCT ON (j.merchant_id) j.merchant_id, m.stage
            FROM onboarding_journey j JOIN onboarding_milestone m ON m.journey_id = j.id
            WHERE j.merchant_id = ANY(%(ids)s) AND j.completed_at IS NULL
              AND m.completed_at IS NULL
            ORDER BY j.merchant_id, m.opens_at, m.id
            """,
            {"ids": ids},
        )
        stages = dict(cursor.fetchall())
        cursor.execute(
            """
            SELECT DISTINCT ON (merchant_id) merchant_id, tier FROM onboarding_tierassignment
            WHERE merchant_id = ANY(%s) ORDER BY merchant_id, computed_at DESC, id DESC
            """,
            [ids],
        )
        tiers = dict(cursor.fetchall())
    overdue = overdue_invoice_counts(ids)
    measures = {}
    for mid in ids:
        recent, previous, orders, days = stats.get(mid, (0, 0, 0, 0))
        measures[mid] = HealthMeasures(
            net_gmv_30d=Decimal(recent),
            net_gmv_prev_30d=Decimal(previous),
            orders_30d=int(orders),
            selling_days_30d=int(days),
            onboarding=onboarding.get(mid, "none"),
            nps_score=nps.get(mid),
            overdue_invoices=overdue.get(mid, 0),
            stage=stages.get(mid, ""),
            tier=tiers.get(mid, ""),
        )
    return measures


def compute_health(now: datetime | None = None) -> int:
    """Today's score for every active merchant (daily, beat). A merchant past its first 30
    days whose score turns red gets a task for its CSM (once per red turn)."""
    now = now or timezone.now()
    today = now.date()
    merchants = list(
        Merchant.objects.filter(status=MerchantStatus.ACTIVE)
        .exclude(schema_name="public")
        .values_list("pk", "created_at")
    )
    ids = [mid for mid, _created in merchants]
    if not ids:
        return 0
    measures = health_measures(ids, now)
    red_below = settings.ONBOARDING_HEALTH_RED_BELOW
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT DISTINCT ON (merchant_id) merchant_id, COALESCE(override_score, score)
            FROM onboarding_healthscore
            WHERE merchant_id = ANY(%s) AND computed_on < %s
            ORDER BY merchant_id, computed_on DESC
            """,
            [ids, today],
        )
        previous = dict(cursor.fetchall())
    tuned = tuned_weights()
    overrides = active_overrides(ids, now)
    rows = []
    for mid in ids:
        weights = weights_for(measures[mid], tuned)
        score, parts = health_score(measures[mid], weights)
        override = overrides.get(mid)
        rows.append(
            HealthScore(
                merchant_id=mid,
                computed_on=today,
                score=score,
                components={**parts, "weights": weights, "measures": _jsonable(measures[mid])},
                override=override,
                override_score=override.score if override else None,
            )
        )
    signed_up = dict(merchants)
    turned_red = [
        row.merchant_id
        for row in rows
        if row.effective_score < red_below
        and previous.get(row.merchant_id, 100) >= red_below
        and now - signed_up[row.merchant_id] >= timedelta(days=30)
    ]
    keys = {mid: f"health:{mid}:{today}" for mid in turned_red}
    already = set(
        Task.objects.filter(source_key__in=keys.values()).values_list("source_key", flat=True)
    )
    turned_red = [mid for mid in turned_red if keys[mid] not in already]
    with transaction.atomic():
        HealthScore.objects.bulk_create(
            rows,
            batch_size=2000,
            update_conflicts=True,
            unique_fields=["merchant", "computed_on"],
            update_fields=["score", "components", "override", "override_score"],
        )
        csms = dict(
            Journey.objects.filter(merchant_id__in=turned_red).values_list("merchant_id", "csm_id")
        )
        create_system_tasks(
            [(mid, stored_message(FIND_OUT_WHY), keys[mid], csms.get(mid)) for mid in turned_red],
            TaskSource.HEALTH,
        )
        TimelineEntry.objects.bulk_create(
            [
                TimelineEntry(
                    merchant_id=mid,
                    kind=TimelineKind.HEALTH,
                    detail=_("Health turned red"),
                    message=HEALTH_TURNED_RED,
                    at=now,
                )
                for mid in turned_red
            ]
        )
    return len(rows)


def active_overrides(merchant_ids: Sequence[int], now: datetime) -> dict[int, HealthOverride]:
    """The newest override in force per merchant."""
    found: dict[int, HealthOverride] = {}
    for override in HealthOverride.objects.filter(
        merchant_id__in=merchant_ids, withdrawn_at__isnull=True, expires_at__gt=now
    ).order_by("merchant_id", "-created_at", "-id"):
        found.setdefault(override.merchant_id, override)
    return found


def _jsonable(measures: HealthMeasures) -> dict:
    return {k: str(v) if isinstance(v, Decimal) else v for k, v in asdict(measures).items()}
