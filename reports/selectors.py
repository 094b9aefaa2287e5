"""The inputs of the platform's metrics, gathered with a fixed number of set-wide queries
(the count does not grow with merchants). The formulas live in analytics.metrics."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext_lazy as _

from analytics.events import EVENT_TYPES, EventKind
from analytics.models import MerchantEvent
from billing.models import (
    BillingInterval,
    InvoiceLine,
    InvoiceStatus,
    Plan,
    PlanChange,
    PluginPrice,
    Subscription,
    SubscriptionEvent,
)
from onboarding.models import Journey, NpsResponse, Stage
from reports.models import MarketingSpend, MonthlyMerchantStats
from tenants.models import Merchant

ZERO = Decimal("0")


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_end(first: date) -> date:
    return add_months(first, 1) - timedelta(days=1)


def last_months(until: date, count: int) -> list[date]:
    """The first days of the `count` months ending with `until`'s month, oldest first."""
    return [add_months(month_start(until), -offset) for offset in range(count - 1, -1, -1)]


def currencies() -> list[str]:
    return sorted(
        set(Merchant.objects.exclude(schema_name="public").values_list("currency", flat=True))
    )


# -- GMV ----------------------------------------------------------------------------------


def gmv_by_month(currency: str, months: list[date]) -> dict[date, Decimal]:
    rows = (
        MonthlyMerchantStats.objects.filter(currency=currency, month__in=months)
        .values("month")
        .annotate(gmv=Sum("gmv"), refunds=Sum("refunds"))
    )
    found = {row["month"]: row["gmv"] - row["refunds"] for row in rows}
    return {month: found.get(month, ZERO) for month in months}


@dataclass(frozen=True)
class Share:
    label: str
    gmv: Decimal
    merchants: int


def gmv_by_plan(currency: str, month: date) -> list[Share]:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT coalesce(p.name, '—'), sum(m.gmv - m.refunds), count(*)
            FROM public.reports_monthlymerchantstats m
            LEFT JOIN public.billing_subscription s ON s.merchant_id = m.merchant_id
            LEFT JOIN public.billing_plan p ON p.id = s.plan_id
            WHERE m.month = %s AND m.currency = %s
            GROUP BY 1 ORDER BY 2 DESC
            """,
            [month, currency],
        )
        return [Share(label, gmv, count) for label, gmv, count in cursor.fetchall()]


def gmv_by_tier(currency: str, month: date) -> list[Share]:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT coalesce(nullif(j.tier, ''), '—'), sum(m.gmv - m.refunds), count(*)
            FROM public.reports_monthlymerchantstats m
            LEFT JOIN public.onboarding_journey j ON j.merchant_id = m.merchant_id
            WHERE m.month = %s AND m.currency = %s
            GROUP BY 1 ORDER BY 2 DESC
            """,
            [month, currency],
        )
        return [Share(label, gmv, count) for label, gmv, count in cursor.fetchall()]


def top_merchants(currency: str, month: date, limit: int = 10) -> list[Share]:
    rows = (
        MonthlyMerchantStats.objects.filter(currency=currency, month=month)
        .select_related("merchant")
        .order_by("-gmv")[:limit]
    )
    return [Share(row.merchant.name, row.gmv - row.refunds, 1) for row in rows]


def commission_by_month(currency: str, months: list[date]) -> dict[date, Decimal]:
    rows = (
        InvoiceLine.objects.filter(
            invoice__currency=currency,
            invoice__period_start__in=months,
            kind__in=("commission", "true_up"),
        )
        .exclude(invoice__status=InvoiceStatus.VOID)
        .values("invoice__period_start")
        .annotate(total=Sum("amount"))
    )
    found = {row["invoice__period_start"]: row["total"] for row in rows}
    return {month: found.get(month, ZERO) for month in months}


# -- recurring revenue ---------------------------------------------------------------------


@dataclass
class RecurringSnapshot:
    """Who pays what a month on a given day: subscription fees (trials excluded) and paid
    plugins not included in the plan."""

    on: date
    subscription_mrr: Decimal = ZERO
    plugin_mrr: Decimal = ZERO
    paying_accounts: set[int] = field(default_factory=set)

    @property
    def mrr(self) -> Decimal:
        return self.subscription_mrr + self.plugin_mrr


def recurring_snapshots(currency: str, days: list[date]) -> dict[date, RecurringSnapshot]:
    """MRR on each given day, in four queries whatever the number of days or merchants.

    Rows come as plain tuples and a subscription's value is worked out once unless its plan
    or plugins changed: at 5,000 merchants and 13 days this is most of the metrics page.
    """
    plans = {
        plan_id: (monthly_fee, yearly_fee, frozenset(included))
        for plan_id, monthly_fee, yearly_fee, included in Plan.objects.values_list(
            "id", "monthly_fee", "yearly_fee", "included_plugins"
        )
    }
    subscriptions = Subscription.objects.filter(merchant__currency=currency).values_list(
        "id", "merchant_id", "plan_id", "interval", "started_on", "trial_ends_on", "ended_on"
    )
    changes: dict[int, list[tuple[date, int, int]]] = defaultdict(list)
    for subscription_id, effective_on, from_plan, to_plan in (
        PlanChange.objects.filter(subscription__merchant__currency=currency)
        .order_by("effective_on", "id")
        .values_list("subscription_id", "effective_on", "from_plan_id", "to_plan_id")
    ):
        changes[subscription_id].append((effective_on, from_plan, to_plan))
    plugin_fees = dict(PluginPrice.objects.values_list("plugin", "monthly_fee"))
    switches: dict[int, list[tuple[date, str, str]]] = defaultdict(list)
    for merchant_id, kind, payload, day in (
        MerchantEvent.objects.filter(
            merchant__currency=currency,
            kind__in=(EventKind.PLUGIN_ENABLED, EventKind.PLUGIN_DISABLED),
        )
        .order_by("occurred_at", "id")
        .values_list("merchant_id", "kind", "payload", "local_date")
    ):
        switch = EVENT_TYPES[EventKind(kind)].from_payload(payload)
        switches[merchant_id].append((day, kind, switch.plugin))

    def value_on(plan_id: int, interval: str, plugins: set[str]) -> tuple[Decimal, Decimal]:
        monthly_fee, yearly_fee, included = plans[plan_id]
        fee = yearly_fee / 12 if interval == BillingInterval.YEAR else monthly_fee
        extras = sum((plugin_fees.get(p, ZERO) for p in plugins if p not in included), ZERO)
        return fee, extras

    snapshots = {day: RecurringSnapshot(on=day) for day in days}
    for (
        sub_id,
        merchant_id,
        plan_id,
        interval,
        started_on,
        trial_ends_on,
        ended_on,
    ) in subscriptions:
        plan_changes = changes.get(sub_id, [])
        merchant_switches = switches.get(merchant_id, [])
        steady = None
        if not plan_changes and not merchant_switches:
            steady = value_on(plan_id, interval, set())
        for day, snapshot in snapshots.items():
            if started_on > day or (ended_on and ended_on < day):
                continue
            if trial_ends_on and trial_ends_on >= day:
                continue
            fee, extras = steady or value_on(
                _plan_on(plan_id, plan_changes, day), interval, _plugins_on(merchant_switches, day)
            )
            snapshot.subscription_mrr += fee
            snapshot.plugin_mrr += extras
            snapshot.paying_accounts.add(merchant_id)
    return snapshots


def _plan_on(plan_id: int, changes: list[tuple[date, int, int]], day: date) -> int:
    plan = changes[0][1] if changes else plan_id
    for effective_on, _from_plan, to_plan in changes:
        if effective_on <= day:
            plan = to_plan
    return plan


def _plugins_on(switches: list[tuple[date, str, str]], day: date) -> set[str]:
    on: set[str] = set()
    for when, kind, plugin in switches:
        if when > day:
            break
        if kind == EventKind.PLUGIN_ENABLED:
            on.add(plugin)
        else:
            on.discard(plugin)
    return on


@dataclass(frozen=True)
class Movements:
    """Subscription revenue moves in a window, of the accounts paying at its start."""

    expansion: Decimal
    contraction: Decimal
    churned_mrr: Decimal
    churned_accounts: int
    renewed: int
    expired: int


def movements(currency: str, start: date, end: date, accounts: set[int]) -> Movements:
    events = SubscriptionEvent.objects.filter(
        merchant__currency=currency, occurred_on__gte=start, occurred_on__lte=end
    )
    of_start = events.filter(merchant_id__in=accounts)
    totals = of_start.aggregate(
        expansion=Sum("mrr_after", filter=Q(kind="expansion"))
        - Sum("mrr_before", filter=Q(kind="expansion")),
        contraction=Sum("mrr_before", filter=Q(kind="contraction"))
        - Sum("mrr_after", filter=Q(kind="contraction")),
        churned=Sum("mrr_before", filter=Q(kind__in=("expired", "cancelled"))),
        churned_accounts=Count(
            "merchant", filter=Q(kind__in=("expired", "cancelled")), distinct=True
        ),
    )
    renewals = events.aggregate(
        renewed=Count("id", filter=Q(kind="renewed")),
        expired=Count("id", filter=Q(kind__in=("expired", "cancelled"))),
    )
    return Movements(
        expansion=totals["expansion"] or ZERO,
        contraction=totals["contraction"] or ZERO,
        churned_mrr=totals["churned"] or ZERO,
        churned_accounts=totals["churned_accounts"] or 0,
        renewed=renewals["renewed"],
        expired=renewals["expired"],
    )


def new_merchants_by_month(currency: str, months: list[date]) -> dict[date, int]:
    rows = (
        Merchant.objects.exclude(schema_name="public")
        .filter(currency=currency, created_at__date__gte=months[0])
        .annotate(month=TruncMonth("created_at"))
        .values("month")
        .annotate(count=Count("id"))
    )
    found = {
        row["month"].date() if hasattr(row["month"], "date") else row["month"]: row["count"]
        for row in rows
    }
    return {month: found.get(month, 0) for month in months}


def spend_by_month(currency: str, months: list[date]) -> dict[date, Decimal | None]:
    found = dict(
        MarketingSpend.objects.filter(currency=currency, month__in=months).values_list(
            "month", "amount"
        )
    )
    return {month: found.get(month) for month in months}


# -- customer success ----------------------------------------------------------------------


def nps_scores_by_month(months: list[date]) -> dict[date, list[int]]:
    found: dict[date, list[int]] = {month: [] for month in months}
    for answered, score in NpsResponse.objects.filter(
        answered_at__date__gte=months[0], answered_at__date__lte=month_end(months[-1])
    ).values_list("answered_at", "score"):
        key = month_start(answered.date())
        if key in found:
            found[key].append(score)
    return found


@dataclass(frozen=True)
class FunnelStep:
    stage: str
    label: str
    reached: int
    median_days: Decimal | None


FUNNEL = (
    (Stage.FIRST_CONTACT, _("Contacted")),
    (Stage.STORE_SETUP, _("Set up")),
    (Stage.TRAINING, _("Trained")),
    (Stage.GO_LIVE, _("Live")),
    (Stage.TIERING, _("Tiered")),
)


def onboarding_funnel(since: date) -> tuple[int, list[tuple[str, int, Decimal | None]]]:
    """Journeys started since `since`; per stage how many completed it and the median days
    from day 0 to completing it."""
    journeys = Journey.objects.filter(started_at__date__gte=since)
    signed_up = journeys.count()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT ms.stage, count(*),
                   percentile_cont(0.5) WITHIN GROUP (
                       ORDER BY extract(epoch FROM ms.completed_at - j.started_at) / 86400)
            FROM public.onboarding_milestone ms
            JOIN public.onboarding_journey j ON j.id = ms.journey_id
            WHERE j.started_at >= %s AND ms.completed_at IS NOT NULL
            GROUP BY ms.stage
            """,
            [since],
        )
        rows = {stage: (count, median) for stage, count, median in cursor.fetchall()}
    steps = []
    for stage, label in FUNNEL:
        count, median = rows.get(stage, (0, None))
        steps.append(
            (
                stage,
                label,
                count,
                Decimal(str(median)).quantize(Decimal("0.1")) if median is not None else None,
            )
        )
    return signed_up, steps


def tier_distribution() -> dict[str, int]:
    return dict(Journey.objects.exclude(tier="").values_list("tier").annotate(count=Count("id")))


def cohorts(currency: str, months: list[date]) -> list[tuple[date, int, list[int | None]]]:
    """Per signup month: merchants signed up, and how many still had a live subscription
    at the end of each following month (None for months not yet over)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH cohort AS (
                SELECT m.id, date_trunc('month', m.created_at)::date AS month,
                       s.started_on, s.ended_on
                FROM public.tenants_merchant m
                LEFT JOIN public.billing_subscription s ON s.merchant_id = m.id
                WHERE m.schema_name <> 'public' AND m.currency = %(currency)s
                  AND m.created_at >= %(first)s
            ), ends AS (
                SELECT (generate_series(%(first)s::date, %(last)s::date, interval '1 month')
                        + interval '1 month' - interval '1 day')::date AS month_end
            )
            SELECT c.month, e.month_end,
                   count(*) FILTER (WHERE c.ended_on IS NULL OR c.ended_on >= e.month_end),
                   count(*)
            FROM cohort c JOIN ends e ON e.month_end >= c.month
            GROUP BY c.month, e.month_end ORDER BY 1, 2
            """,
            {"currency": currency, "first": months[0], "last": months[-1]},
        )
        rows = cursor.fetchall()
    table: dict[date, dict[date, int]] = defaultdict(dict)
    size: dict[date, int] = {}
    for cohort_month, end, alive, total in rows:
        table[cohort_month][month_start(end)] = alive
        size[cohort_month] = total
    result = []
    for cohort_month in months:
        if cohort_month not in size:
            continue
        row = [table[cohort_month].get(month) for month in months if month >= cohort_month]
        result.append((cohort_month, size[cohort_month], row))
    return result
