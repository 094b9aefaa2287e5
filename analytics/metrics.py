"""What every platform figure means: one pure function per metric, on plain numbers.

The console shows DEFINITIONS beside each figure (on hover and in footnotes), so the words
there and the arithmetic here are kept together. Money and ratios are Decimal; percentages
are rounded half-up to one decimal place, money to two. A ratio whose denominator is zero is
None (shown as "—"), never zero or infinity.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from statistics import median

from django.utils.translation import gettext_lazy as _

ZERO = Decimal("0")
HUNDRED = Decimal("100")
ONE_PLACE = Decimal("0.1")
CENTS = Decimal("0.01")

DEFINITIONS = {
    "gmv": _("GMV: totals of orders paid in the period, less refunds made in it."),
    "commission": _(
        "Commission revenue: commission and minimum-commitment true-up lines of the period's "
        "invoices (void invoices excluded)."
    ),
    "mrr": _(
        "MRR: subscription fees a month (a yearly fee counts as a twelfth; trials excluded) "
        "plus paid plugins not included in the plan, on the last day of the month. "
        "Commission is reported separately."
    ),
    "arr": _("ARR: MRR × 12."),
    "logo_churn": _(
        "Logo churn: paying merchants whose subscription ended in the month, over paying "
        "merchants at its start."
    ),
    "grr": _(
        "Gross revenue retention: (MRR at the start − contraction − churned MRR) / MRR at the "
        "start, of the merchants paying at the start, over the last 12 months (or since the "
        "first month that ended with paying merchants, on a younger platform); expansion not "
        "counted; at most 100%."
    ),
    "nrr": _(
        "Net revenue retention: (MRR at the start + expansion − contraction − churned MRR) / "
        "MRR at the start, of the merchants paying at the start, over the same window as "
        "gross revenue retention."
    ),
    "renewal_rate": _(
        "Renewal rate: terms renewed over terms that came to an end (renewed + expired) in "
        "the last 12 months."
    ),
    "arpa": _("ARPA: MRR / paying merchants."),
    "ltv": _(
        "LTV: ARPA × gross margin / monthly logo churn (merchants lost over the retention "
        "window, per month, over the average paying merchants at its month ends); none while "
        "nobody churns."
    ),
    "cac": _(
        "CAC: sales and marketing spend of the last three months (months with spend entered) "
        "/ merchants who signed up in those months."
    ),
    "ltv_cac": _("LTV / CAC."),
    "nps": _(
        "NPS: the share of promoters (9-10) minus the share of detractors (0-6) among respondents; passives "
        "(7-8) count only as respondents. Never an average of scores."
    ),
    "funnel": _(
        "Onboarding funnel: journeys started in the last 12 months and how many completed "
        "each stage; median days from day 0 to completing it."
    ),
    "cohorts": _(
        "Cohorts: merchants by signup month, and how many still had a live subscription at "
        "the end of each later month."
    ),
}


def _percent(part: Decimal, whole: Decimal) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class NpsFigure:
    """The answers behind an NPS: how many responded and in which band. The one NPS rule of
    the platform lives in `score`; counts grouped in SQL (customer success's reports) and
    plain lists of scores (`nps_figure`, `nps`) both end there."""

    respondents: int
    promoters: int  # 9-10
    passives: int  # 7-8
    detractors: int  # 0-6

    @property
    def score(self) -> Decimal | None:
        """% promoters minus % detractors over all respondents (passives count only as
        respondents), never an average of the scores. Rounded half up to one decimal place,
        like every percentage here: 5 promoters, 3 passives, 2 detractors -> 30.0; 1 of 3
        -> 33.3; 1 of 8 -> 12.5. None without respondents."""
        if not self.respondents:
            return None
        return (Decimal(self.promoters - self.detractors) * HUNDRED / self.respondents).quantize(
            ONE_PLACE, rounding=ROUND_HALF_UP
        )


def nps_figure(scores: Iterable[int]) -> NpsFigure:
    """Count answers (0-10) into an NpsFigure; a score outside 0-10 is a ValueError."""
    answers = list(scores)
    if any(not 0 <= score <= 10 for score in answers):
        raise ValueError("NPS scores run from 0 to 10")
    return NpsFigure(
        respondents=len(answers),
        promoters=sum(1 for score in answers if score >= 9),
        passives=sum(1 for score in answers if 7 <= score <= 8),
        detractors=sum(1 for score in answers if score <= 6),
    )


def nps(scores: Iterable[int]) -> Decimal | None:
    """The NPS of a list of answers (NpsFigure.score); None without any."""
    return nps_figure(scores).score


def logo_churn_rate(accounts_at_start: int, lost: int) -> Decimal | None:
    """Percent of the accounts at the start that were lost."""
    return _percent(Decimal(lost), Decimal(accounts_at_start))


def gross_revenue_retention(
    start_mrr: Decimal, contraction: Decimal, churned_mrr: Decimal
) -> Decimal | None:
    """Percent of the starting MRR kept, expansion not counted (at most 100)."""
    if not start_mrr:
        return None
    kept = max(ZERO, start_mrr - contraction - churned_mrr)
    return _percent(min(kept, start_mrr), start_mrr)


def net_revenue_retention(
    start_mrr: Decimal, expansion: Decimal, contraction: Decimal, churned_mrr: Decimal
) -> Decimal | None:
    """Percent of the starting MRR the same accounts pay now, expansion included."""
    if not start_mrr:
        return None
    return _percent(start_mrr + expansion - contraction - churned_mrr, start_mrr)


def renewal_rate(up_for_renewal: int, renewed: int) -> Decimal | None:
    return _percent(Decimal(renewed), Decimal(up_for_renewal))


def arpa(mrr: Decimal, accounts: int) -> Decimal | None:
    if not accounts:
        return None
    return (Decimal(mrr) / accounts).quantize(CENTS, rounding=ROUND_HALF_UP)


def arr(mrr: Decimal) -> Decimal:
    return (Decimal(mrr) * 12).quantize(CENTS, rounding=ROUND_HALF_UP)


def monthly_churn(churned_in_window: int, average_accounts: Decimal, months: int) -> Decimal | None:
    """Average monthly logo churn as a fraction (0.02 = 2% a month)."""
    if not average_accounts or not months:
        return None
    return Decimal(churned_in_window) / Decimal(average_accounts) / months


def ltv(arpa_value: Decimal | None, gross_margin: Decimal, churn: Decimal | None) -> Decimal | None:
    """ARPA * gross margin (a fraction) / monthly churn (a fraction). None while nobody
    churns: the formula would promise an infinite lifetime."""
    if arpa_value is None or not churn:
        return None
    return (arpa_value * gross_margin / churn).quantize(CENTS, rounding=ROUND_HALF_UP)


def cac(spend: Decimal | None, new_accounts: int) -> Decimal | None:
    if spend is None or not new_accounts:
        return None
    return (Decimal(spend) / new_accounts).quantize(CENTS, rounding=ROUND_HALF_UP)


def ltv_to_cac(ltv_value: Decimal | None, cac_value: Decimal | None) -> Decimal | None:
    if ltv_value is None or not cac_value:
        return None
    return (ltv_value / cac_value).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)


def cohort_retention(
    signups: Mapping[date, int], alive: Mapping[date, Sequence[int | None]]
) -> dict[date, list[Decimal | None]]:
    """Per cohort, the percent of its signups still alive at each later month end."""
    return {
        cohort: [
            None if count is None else _percent(Decimal(count), Decimal(signups[cohort]))
            for count in alive.get(cohort, [])
        ]
        for cohort in signups
    }


def median_days(durations: Iterable[Decimal | float]) -> Decimal | None:
    values = [Decimal(str(value)) for value in durations]
    if not values:
        return None
    return Decimal(median(values)).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)
