"""The chain from NPS to money, for /console/metrics/nps/: NPS over time and by tier,
service segment, CSM and signup cohort; renewal rate and 12-month revenue of promoters,
passives and detractors; referral share beside NPS by month; new merchants and CAC by
signup channel. Every figure is computed from public tables (onboarding's surveys and
signup sources, billing's subscription events and invoices, reports' channel spend)."""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from django.db.models import Case, OuterRef, Q, Subquery, Sum, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from analytics.metrics import NpsFigure, nps_figure
from billing.models import Invoice, InvoiceStatus, SubscriptionEvent, SubscriptionEventKind
from onboarding.models import NpsResponse, SignupSource, TierAssignment
from reports.models import ChannelSpend
from reports.selectors import add_months, month_end, month_start
from tenants.models import Merchant
from tenants.signup import SignupChannel

CATEGORIES = ("promoter", "passive", "detractor")
RENEWED = {SubscriptionEventKind.RENEWED}
CHURNED = {SubscriptionEventKind.CANCELLED, SubscriptionEventKind.EXPIRED}
BILLED = (InvoiceStatus.OPEN, InvoiceStatus.PAID, InvoiceStatus.SETTLED)


def category(score: int) -> str:
    return "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"


@dataclass(frozen=True)
class GroupNps:
    label: str
    figure: NpsFigure


@dataclass(frozen=True)
class CategoryMoney:
    category: str
    merchants: int
    decisions: int  # renewals + churns decided in the window
    renewed: int
    revenue_12m: Decimal  # per merchant, issued invoices of the window

    @property
    def renewal_rate(self) -> Decimal | None:
        if not self.decisions:
            return None
        return (Decimal(100) * self.renewed / self.decisions).quantize(
            Decimal("0.1"), ROUND_HALF_UP
        )


@dataclass(frozen=True)
class MonthChain:
    month: date
    nps: NpsFigure
    new_merchants: int
    referrals: int

    @property
    def referral_share(self) -> Decimal | None:
        if not self.new_merchants:
            return None
        return (Decimal(100) * self.referrals / self.new_merchants).quantize(
            Decimal("0.1"), ROUND_HALF_UP
        )


@dataclass(frozen=True)
class ChannelRow:
    channel: str
    label: str
    new_merchants: int
    share: Decimal | None
    spend: Decimal | None
    cac: Decimal | None


@dataclass(frozen=True)
class NpsChain:
    start: date
    end: date
    currency: str
    overall: NpsFigure
    months: list[MonthChain]
    by_tier: list[GroupNps]
    by_segment: list[GroupNps]
    by_csm: list[GroupNps]
    by_cohort: list[GroupNps]
    money: list[CategoryMoney]
    channels: list[ChannelRow]


def _aware(day: date, end: bool = False) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.max if end else time.min))


def _grouped(rows: Iterable[tuple[str, int]]) -> list[GroupNps]:
    scores: dict[str, list[int]] = defaultdict(list)
    for label, score in rows:
        scores[label or "—"].append(score)
    return [GroupNps(label, nps_figure(values)) for label, values in sorted(scores.items())]


class Answer(NamedTuple):
    """One NPS answer as the chain reads it. Tier, segment and CSM are read for the answers
    of the window only (the groups); earlier answers serve the categories' history."""

    merchant_id: int
    answered_at: datetime
    score: int
    tier: str | None
    segment: str | None
    csm: str | None
    merchant_created_at: datetime


def answers_until(window: tuple[datetime, datetime]) -> list[Answer]:
    """Every answer up to the window's end, oldest first: the chain's one read of the
    survey answers (the window's groups and each merchant's answer history both use it)."""
    start_at, end_at = window
    latest_tier = TierAssignment.objects.filter(merchant=OuterRef("survey__merchant")).order_by(
        "-computed_at", "-id"
    )
    in_window = Q(answered_at__gte=start_at)
    return [
        Answer(*row)
        for row in NpsResponse.objects.filter(answered_at__lte=end_at)
        .annotate(
            tier=Case(When(in_window, then=Subquery(latest_tier.values("tier")[:1]))),
            service_segment=Case(When(in_window, then=Subquery(latest_tier.values("segment")[:1]))),
        )
        .values_list(
            "survey__merchant_id",
            "answered_at",
            "score",
            "tier",
            "service_segment",
            "survey__merchant__journey__csm__email",
            "survey__merchant__created_at",
        )
        .order_by("answered_at", "id")
    ]


def build_chain(*, last_month: date, currency: str, months: int = 12) -> NpsChain:
    """The twelve months ending with `last_month` (a first-of-month date)."""
    start = add_months(month_start(last_month), -(months - 1))
    end = month_end(month_start(last_month))
    window = (_aware(start), _aware(end, end=True))
    history = answers_until(window)
    answers = [answer for answer in history if answer.answered_at >= window[0]]
    by_month: dict[date, list[int]] = defaultdict(list)
    for answer in answers:
        by_month[month_start(timezone.localdate(answer.answered_at))].append(answer.score)
    new_by_month: dict[date, int] = defaultdict(int)
    for created in (
        Merchant.objects.exclude(schema_name="public")
        .filter(created_at__range=window)
        .values_list("created_at", flat=True)
    ):
        new_by_month[month_start(timezone.localdate(created))] += 1
    referrals_by_month: dict[date, int] = defaultdict(int)
    channel_counts: dict[str, int] = defaultdict(int)
    for created, channel in SignupSource.objects.filter(
        merchant__created_at__range=window
    ).values_list("merchant__created_at", "channel"):
        channel_counts[channel] += 1
        if channel == SignupChannel.REFERRAL:
            referrals_by_month[month_start(timezone.localdate(created))] += 1
    month_list = [add_months(start, index) for index in range(months)]
    return NpsChain(
        start=start,
        end=end,
        currency=currency,
        overall=nps_figure(answer.score for answer in answers),
        months=[
            MonthChain(
                month=month,
                nps=nps_figure(by_month.get(month, [])),
                new_merchants=new_by_month.get(month, 0),
                referrals=referrals_by_month.get(month, 0),
            )
            for month in month_list
        ],
        by_tier=_grouped((answer.tier, answer.score) for answer in answers),
        by_segment=_grouped((answer.segment, answer.score) for answer in answers),
        by_csm=_grouped((answer.csm, answer.score) for answer in answers),
        by_cohort=_grouped(
            (f"{timezone.localdate(answer.merchant_created_at):%Y-%m}", answer.score)
            for answer in answers
        ),
        money=category_money(history=history, start=start, end=end, currency=currency),
        channels=channel_rows(
            counts=channel_counts,
            total=sum(new_by_month.values()),
            start=start,
            end=end,
            currency=currency,
        ),
    )


def category_money(
    *, history: Sequence[Answer], start: date, end: date, currency: str
) -> list[CategoryMoney]:
    """Renewal rate: of the renewals and churns decided in the window, the share renewed,
    each decision counted under the merchant's latest NPS answer before it. 12-month
    revenue: what the merchants whose latest answer (by the window's end) falls in the
    category were billed in the window (issued invoices, voided ones excluded), per merchant.
    `history`: every answer up to the window's end, oldest first (`answers_until`)."""
    by_merchant: dict[int, list[tuple[date, int]]] = defaultdict(list)
    for answer in history:
        by_merchant[answer.merchant_id].append(
            (timezone.localdate(answer.answered_at), answer.score)
        )

    def category_on(merchant_id: int, day: date) -> str | None:
        answered = by_merchant.get(merchant_id, [])
        position = bisect.bisect_right([when for when, _score in answered], day)
        return category(answered[position - 1][1]) if position else None

    decisions: dict[str, int] = defaultdict(int)
    renewed: dict[str, int] = defaultdict(int)
    for merchant_id, kind, occurred_on in SubscriptionEvent.objects.filter(
        occurred_on__range=(start, end), kind__in=[*RENEWED, *CHURNED]
    ).values_list("merchant_id", "kind", "occurred_on"):
        found = category_on(merchant_id, occurred_on)
        if found is None:
            continue
        decisions[found] += 1
        renewed[found] += kind in RENEWED
    in_currency = set(
        Merchant.objects.filter(pk__in=by_merchant, currency=currency).values_list("pk", flat=True)
    )
    members: dict[str, set[int]] = defaultdict(set)
    for merchant_id, answered in by_merchant.items():
        if merchant_id in in_currency:
            members[category(answered[-1][1])].add(merchant_id)
    billed = dict(
        Invoice.objects.filter(
            merchant_id__in=set().union(*members.values()) if members else [],
            currency=currency,
            status__in=BILLED,
            period_start__gte=start,
            period_start__lte=end,
        )
        .values_list("merchant_id")
        .annotate(total=Sum("total"))
    )
    rows = []
    for name in CATEGORIES:
        ids = members.get(name, set())
        revenue = sum((billed.get(mid, Decimal(0)) for mid in ids), Decimal(0))
        rows.append(
            CategoryMoney(
                category=name,
                merchants=len(ids),
                decisions=decisions.get(name, 0),
                renewed=renewed.get(name, 0),
                revenue_12m=(revenue / len(ids)).quantize(Decimal("0.01"), ROUND_HALF_UP)
                if ids
                else Decimal("0.00"),
            )
        )
    return rows


def channel_rows(
    *, counts: dict[str, int], total: int, start: date, end: date, currency: str
) -> list[ChannelRow]:
    """New merchants by the channel they gave at signup (those who gave none are
    "Not asked"), and CAC = the channel's spend in the window / its new merchants."""
    spend = dict(
        ChannelSpend.objects.filter(month__range=(start, end), currency=currency)
        .values_list("channel")
        .annotate(total=Sum("amount"))
    )
    rows = []
    for channel, label in [*SignupChannel.choices, ("", _("Not asked"))]:
        count = counts.get(channel, 0) if channel else total - sum(counts.values())
        cost = spend.get(channel) if channel else None
        rows.append(
            ChannelRow(
                channel=channel,
                label=str(label),
                new_merchants=count,
                share=(Decimal(100) * count / total).quantize(Decimal("0.1"), ROUND_HALF_UP)
                if total
                else None,
                spend=cost,
                cac=(cost / count).quantize(Decimal("0.01"), ROUND_HALF_UP)
                if cost is not None and count
                else None,
            )
        )
    return rows


DEFINITIONS = {
    "nps": _(
        "NPS = the share of answers scoring 9-10 minus the share scoring 0-6, in "
        "percentage points (never an average of scores)."
    ),
    "renewal": _(
        "Renewal rate = renewals / (renewals + cancellations + expiries) decided in the "
        "window, each counted under the merchant's latest NPS answer before it."
    ),
    "revenue": _(
        "12-month revenue = what the category's merchants were invoiced in the window "
        "(issued invoices, voided ones left out), per merchant; the category is the latest "
        "answer by the window's end."
    ),
    "referral": _(
        "Referral share = new merchants who signed up from a merchant's referral link / all new merchants of the month."
    ),
    "cac": _(
        "CAC by channel = the channel's spend in the window / new merchants who came through it."
    ),
}
