"""The platform metrics page, computed: selectors give the inputs, analytics.metrics the
definitions. A fixed number of queries whatever the number of merchants."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from analytics import metrics
from reports import selectors
from reports.models import MetricSettings
from reports.selectors import add_months, last_months, month_end
from tenants.money import round_money

# What each headline figure is called on the page (the keys stay stable for tests and CSS).
LABELS = {
    "gmv": _("GMV"),
    "commission": _("Commission revenue"),
    "mrr": _("MRR"),
    "arr": _("ARR"),
    "arpa": _("ARPA"),
    "logo_churn": _("Logo churn"),
    "grr": _("Gross revenue retention"),
    "nrr": _("Net revenue retention"),
    "renewal_rate": _("Renewal rate"),
    "ltv": _("LTV"),
    "cac": _("CAC"),
    "ltv_cac": _("LTV / CAC"),
    "nps": _("NPS"),
}


@dataclass(frozen=True)
class Figure:
    key: str
    value: Decimal | int | None
    unit: str = ""  # "%", a currency code, or ""

    @property
    def label(self) -> str:
        return str(LABELS.get(self.key, self.key))

    @property
    def definition(self) -> str:
        return str(metrics.DEFINITIONS.get(self.key, ""))


@dataclass(frozen=True)
class MonthRow:
    month: date
    gmv: Decimal
    commission: Decimal
    mrr: Decimal
    new_merchants: int
    spend: Decimal | None
    nps: Decimal | None
    respondents: int


@dataclass
class MetricsPage:
    currency: str
    month: date
    headline: list[Figure]
    months: list[MonthRow]
    by_plan: list[selectors.Share]
    by_tier: list[selectors.Share]
    top_merchants: list[selectors.Share]
    funnel_signed_up: int
    funnel: list[tuple[str, str, int, Decimal | None]]  # stage, label, reached, median days
    tiers: dict[str, int]
    cohort_months: list[date]
    cohorts: list[tuple[date, int, list[Decimal | None]]]
    gross_margin: Decimal
    retention_since: date | None = None  # the day retention is measured from (None: nobody paid)
    computed_at: datetime | None = None

    @property
    def definitions(self) -> dict[str, str]:
        """In the reader's language (a cached page may have been built in another)."""
        return {key: str(text) for key, text in metrics.DEFINITIONS.items()}


def last_full_month(today: date | None = None) -> date:
    today = today or timezone.now().date()
    return add_months(today.replace(day=1), -1)


CAC_MONTHS = 3  # spend and signups of the last three months (one month is too few signups)
ZERO = Decimal("0")

GENERATION_KEY = "reports:metrics:generation"


def invalidate_cached_pages() -> None:
    """New inputs (the roll-up refreshed, spend or margin entered): recompute on next view."""
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:
        cache.set(GENERATION_KEY, 1, None)


def cached_build(currency: str, month: date) -> MetricsPage:
    """`build`, kept for REPORTS_METRICS_CACHE_SECONDS: at 5,000 merchants a build takes 100-200
    ms, while its main input changes every 15 minutes (the roll-up task, which rebuilds it)
    or when an admin enters spend or margin (which invalidate it)."""
    if settings.REPORTS_METRICS_CACHE_SECONDS <= 0:
        return build(currency, month)
    generation = cache.get(GENERATION_KEY, 0)
    key = f"reports:metrics:{generation}:{currency}:{month.isoformat()}"
    page = cache.get(key)
    if page is None:
        page = build(currency, month)
        page.computed_at = timezone.now()
        cache.set(key, page, settings.REPORTS_METRICS_CACHE_SECONDS)
    return page


def build(currency: str, month: date) -> MetricsPage:
    def money(amount: Decimal | None) -> Decimal | None:
        """Headline amounts in the currency's minor unit, half-up (the exact sums stay in
        the month table's inputs)."""
        return None if amount is None else round_money(amount, currency)

    months = last_months(month, 12)
    window_start = months[0] - timedelta(days=1)  # the day before the 12 months began
    month_ends = [month_end(first) for first in months]
    snapshots = selectors.recurring_snapshots(currency, [window_start, *month_ends])
    now, start_of_month = snapshots[month_ends[-1]], snapshots[month_ends[-2]]

    gmv = selectors.gmv_by_month(currency, months)
    commission = selectors.commission_by_month(currency, months)
    new_merchants = selectors.new_merchants_by_month(currency, months)
    spend = selectors.spend_by_month(currency, months)
    nps_scores = selectors.nps_scores_by_month(months)

    this_month = selectors.movements(
        currency, month, month_end(month), start_of_month.paying_accounts
    )
    # Retention is measured over the 12 months to the month's end, or, on a younger platform,
    # from the first month end anyone paid: a window that starts before the first paying
    # merchant has nothing to retain, and would show "—" for a platform with real history.
    base_day = next(
        (day for day in [window_start, *month_ends[:-1]] if snapshots[day].paying_accounts), None
    )
    window = snapshots[base_day] if base_day else snapshots[window_start]
    window_ends = [end for end in month_ends if base_day and end > base_day]
    year = selectors.movements(
        currency,
        (base_day or window_start) + timedelta(days=1),
        month_end(month),
        window.paying_accounts,
    )
    renewals = selectors.movements(currency, months[0], month_end(month), set())
    average_accounts = (
        Decimal(sum(len(snapshots[end].paying_accounts) for end in window_ends)) / len(window_ends)
        if window_ends
        else ZERO
    )
    churn = metrics.monthly_churn(year.churned_accounts, average_accounts, len(window_ends))
    margin = MetricSettings.current().gross_margin_percent
    arpa = metrics.arpa(now.mrr, len(now.paying_accounts))
    ltv = metrics.ltv(arpa, margin / 100, churn)
    cac_months = months[-CAC_MONTHS:]
    spent = [spend[first] for first in cac_months if spend[first] is not None]
    cac = metrics.cac(
        sum(spent, ZERO) if spent else None,
        sum(new_merchants[first] for first in cac_months if spend[first] is not None),
    )
    all_scores = [score for scores in nps_scores.values() for score in scores]

    headline = [
        Figure("gmv", money(gmv[month]), currency),
        Figure("commission", money(commission[month]), currency),
        Figure("mrr", money(now.mrr), currency),
        Figure("arr", money(metrics.arr(now.mrr)), currency),
        Figure("arpa", money(arpa), currency),
        Figure(
            "logo_churn",
            metrics.logo_churn_rate(
                len(start_of_month.paying_accounts), this_month.churned_accounts
            ),
            "%",
        ),
        Figure(
            "grr",
            metrics.gross_revenue_retention(
                window.subscription_mrr, year.contraction, year.churned_mrr
            ),
            "%",
        ),
        Figure(
            "nrr",
            metrics.net_revenue_retention(
                window.subscription_mrr, year.expansion, year.contraction, year.churned_mrr
            ),
            "%",
        ),
        Figure(
            "renewal_rate",
            metrics.renewal_rate(renewals.renewed + renewals.expired, renewals.renewed),
            "%",
        ),
        Figure("ltv", money(ltv), currency),
        Figure("cac", money(cac), currency),
        Figure("ltv_cac", metrics.ltv_to_cac(ltv, cac)),
        Figure("nps", metrics.nps(all_scores)),
    ]
    rows = [
        MonthRow(
            month=first,
            gmv=gmv[first],
            commission=commission[first],
            mrr=snapshots[month_end(first)].mrr.quantize(Decimal("0.01")),
            new_merchants=new_merchants[first],
            spend=spend[first],
            nps=metrics.nps(nps_scores[first]),
            respondents=len(nps_scores[first]),
        )
        for first in months
    ]
    signed_up, funnel = selectors.onboarding_funnel(months[0])
    cohort_rows = selectors.cohorts(currency, months)
    today = timezone.now().date()
    retention = metrics.cohort_retention(
        {cohort: size for cohort, size, _alive in cohort_rows},
        {
            cohort: [
                count if month_end(first) < today else None
                for first, count in zip([m for m in months if m >= cohort], alive, strict=False)
            ]
            for cohort, _size, alive in cohort_rows
        },
    )
    return MetricsPage(
        currency=currency,
        month=month,
        headline=headline,
        months=rows,
        by_plan=selectors.gmv_by_plan(currency, month),
        by_tier=selectors.gmv_by_tier(currency, month),
        top_merchants=selectors.top_merchants(currency, month),
        funnel_signed_up=signed_up,
        funnel=funnel,
        tiers=selectors.tier_distribution(),
        cohort_months=months,
        cohorts=[(cohort, size, retention[cohort]) for cohort, size, _alive in cohort_rows],
        gross_margin=margin,
        retention_since=base_day + timedelta(days=1) if base_day else None,
    )
