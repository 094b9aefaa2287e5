"""What a merchant owes for a period: gather the facts from public tables in a few set-wide
queries (never one per order, never a tenant schema), then price them into draft lines."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Sum
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from analytics.events import EVENT_TYPES, EventKind, StorageMeasured
from analytics.models import DailyMerchantStats, MerchantEvent
from billing.formatting import format_date
from billing.models import (
    BillingAccount,
    BillingInterval,
    CommissionTier,
    CreditNote,
    CreditNoteStatus,
    LineKind,
    Plan,
    PlanChange,
    PluginPrice,
    Subscription,
    TaxRate,
)
from billing.pricing import (
    ZERO,
    DraftLine,
    Tier,
    commission_by_tier,
    days_in,
    overlap_days,
    prorate,
)
from billing.subscriptions import plan_segments
from tenants.selectors import seats_held

GIGABYTE = 1024**3


@dataclass(frozen=True)
class PlanTerms:
    id: int
    name: str
    monthly_fee: Decimal
    yearly_fee: Decimal
    minimum_commission: Decimal
    included_seats: int
    extra_seat_price: Decimal
    included_storage_gb: int
    extra_storage_gb_price: Decimal
    included_plugins: frozenset[str]
    tiers: tuple[Tier, ...]
    tax_rate_percent: Decimal = ZERO


@dataclass
class PeriodFacts:
    merchant_id: int
    currency: str
    period_start: date
    period_end: date
    subscription: Subscription
    changes: list[PlanChange]
    gmv: Decimal = ZERO
    refunds: Decimal = ZERO
    prior_period_refunds: Decimal = ZERO
    seats: int = 0
    # Seats held on each day of the period (tenants.selectors.seats_held); None
    # counts `seats` on every day.
    seats_by_day: list[int] | None = None
    storage_bytes: int = 0
    # plugin -> [(first day, last day)] it was switched on, clipped to the period
    plugin_days: dict[str, list[tuple[date, date]]] = field(default_factory=dict)
    credit_notes: list[CreditNote] = field(default_factory=list)
    # The billing account's tax region's rate, when the region has one (else the plan's).
    regional_tax: TaxRate | None = None
    # The merchant's language: the lines are described in it (they are what its invoice says).
    language: str = ""

    @property
    def net_gmv(self) -> Decimal:
        """GMV of the period less refunds of orders paid in it (written rule, pricing.py)."""
        return self.gmv - (self.refunds - self.prior_period_refunds)


@dataclass(frozen=True)
class Priced:
    lines: list[DraftLine]
    plan_id: int | None
    commitment: Decimal
    gmv: Decimal
    net_gmv: Decimal
    tax_rate_percent: Decimal = ZERO
    tax_name: str = ""


def plan_terms() -> dict[int, PlanTerms]:
    tiers: dict[int, list[Tier]] = defaultdict(list)
    for tier in CommissionTier.objects.all():
        tiers[tier.plan_id].append(Tier(tier.lower_bound, tier.rate_percent))
    return {
        plan.pk: PlanTerms(
            id=plan.pk,
            name=plan.name,
            monthly_fee=plan.monthly_fee,
            yearly_fee=plan.yearly_fee,
            minimum_commission=plan.minimum_commission,
            included_seats=plan.included_seats,
            extra_seat_price=plan.extra_seat_price,
            included_storage_gb=plan.included_storage_gb,
            extra_storage_gb_price=plan.extra_storage_gb_price,
            included_plugins=frozenset(plan.included_plugins),
            tiers=tuple(sorted(tiers[plan.pk], key=lambda tier: tier.lower_bound)),
            tax_rate_percent=plan.tax_rate_percent,
        )
        for plan in Plan.objects.all()
    }


def gather_facts(
    subscriptions: list[Subscription],
    period_start: date,
    period_end: date,
    *,
    with_tax: bool = True,
) -> dict[int, PeriodFacts]:
    """The facts of every given subscription's merchant for one period: a fixed number of
    queries whatever the number of merchants or orders. Without `with_tax` (readers of the
    charges before tax, such as the data center) the regional tax rates are not read."""
    by_merchant = {s.merchant_id: s for s in subscriptions}
    ids = list(by_merchant)
    facts = {
        merchant_id: PeriodFacts(
            merchant_id=merchant_id,
            currency=subscription.merchant.currency,
            period_start=period_start,
            period_end=period_end,
            subscription=subscription,
            changes=[],
            language=subscription.merchant.language,
        )
        for merchant_id, subscription in by_merchant.items()
    }
    merchant_of = {
        subscription.pk: merchant_id for merchant_id, subscription in by_merchant.items()
    }
    for change in PlanChange.objects.filter(subscription_id__in=merchant_of).order_by(
        "effective_on", "id"
    ):
        facts[merchant_of[change.subscription_id]].changes.append(change)
    sums = (
        DailyMerchantStats.objects.filter(
            merchant_id__in=ids, date__gte=period_start, date__lte=period_end
        )
        .values("merchant_id")
        .annotate(gmv=Sum("gmv"), refunds=Sum("refunds"), prior=Sum("prior_period_refunds"))
    )
    for row in sums:
        fact = facts[row["merchant_id"]]
        fact.gmv, fact.refunds, fact.prior_period_refunds = row["gmv"], row["refunds"], row["prior"]
    merchants = [subscription.merchant for subscription in subscriptions]
    for merchant_id, held in seats_held(merchants, period_start, period_end).items():
        facts[merchant_id].seats, facts[merchant_id].seats_by_day = held.current, held.by_day
    if with_tax:
        _gather_tax_regions(facts, ids)
    _gather_storage(facts, ids, period_end)
    _gather_plugin_days(facts, ids, period_start, period_end)
    for note in CreditNote.objects.filter(
        merchant_id__in=ids, status=CreditNoteStatus.ISSUED, applied_line__isnull=True
    ).order_by("issued_at", "id"):
        facts[note.merchant_id].credit_notes.append(note)
    return facts


def _gather_tax_regions(facts: dict[int, PeriodFacts], ids: list[int]) -> None:
    """Each merchant's regional tax rate, when its billing account's region has one."""
    rates = {rate.region.upper(): rate for rate in TaxRate.objects.all()}
    if not rates:
        return
    for merchant_id, region in BillingAccount.objects.filter(merchant_id__in=ids).values_list(
        "merchant_id", "region"
    ):
        facts[merchant_id].regional_tax = rates.get((region or "").strip().upper())


def _gather_storage(facts: dict[int, PeriodFacts], ids: list[int], period_end: date) -> None:
    """Storage used at the period's end: the latest `storage_measured` ledger event."""
    latest = (
        MerchantEvent.objects.filter(
            merchant_id__in=ids, kind=EventKind.STORAGE_MEASURED, local_date__lte=period_end
        )
        .order_by("merchant_id", "-occurred_at", "-id")
        .distinct("merchant_id")
        .values_list("merchant_id", "payload")
    )
    for merchant_id, payload in latest:
        facts[merchant_id].storage_bytes = StorageMeasured.from_payload(payload).bytes


def _gather_plugin_days(
    facts: dict[int, PeriodFacts], ids: list[int], period_start: date, period_end: date
) -> None:
    """Days each plugin was on within the period, from plugin_enabled/disabled events.

    A plugin switched on counts from that day; switched off, it stops counting the day
    before (the day it was switched off is not charged).
    """
    events = (
        MerchantEvent.objects.filter(
            merchant_id__in=ids,
            kind__in=(EventKind.PLUGIN_ENABLED, EventKind.PLUGIN_DISABLED),
            local_date__lte=period_end,
        )
        .order_by("merchant_id", "occurred_at", "id")
        .values_list("merchant_id", "kind", "payload", "local_date")
    )
    on_since: dict[tuple[int, str], date] = {}
    for merchant_id, kind, payload, day in events:
        switch = EVENT_TYPES[EventKind(kind)].from_payload(payload)
        key = (merchant_id, switch.plugin)
        if kind == EventKind.PLUGIN_ENABLED:
            on_since.setdefault(key, day)
        elif key in on_since:
            _add_span(facts, key, on_since.pop(key), day - timedelta(days=1), period_start)
    for key, since in on_since.items():
        _add_span(facts, key, since, period_end, period_start)


def _add_span(facts, key, first: date, last: date, period_start: date) -> None:
    merchant_id, plugin = key
    first, last = max(first, period_start), min(last, facts[merchant_id].period_end)
    if first <= last:
        facts[merchant_id].plugin_days.setdefault(plugin, []).append((first, last))


def price_period(
    facts: PeriodFacts, plans: dict[int, PlanTerms], plugin_prices: dict[str, PluginPrice]
) -> Priced:
    """The draft lines of one merchant's period (adjustments are kept by the caller),
    described in the merchant's language: the lines are what its invoice prints."""
    with translation.override(facts.language or translation.get_language()):
        return _price_period(facts, plans, plugin_prices)


def _price_period(
    facts: PeriodFacts, plans: dict[int, PlanTerms], plugin_prices: dict[str, PluginPrice]
) -> Priced:
    """The draft lines of one merchant's period (adjustments are kept by the caller)."""
    subscription = facts.subscription
    start, end = facts.period_start, facts.period_end
    period_days = days_in(start, end)
    segments = plan_segments(subscription, facts.changes, start, end)
    lines: list[DraftLine] = []
    trial_end = subscription.trial_ends_on

    def billable(first: date, last: date) -> int:
        days = days_in(first, last)
        if trial_end:
            days -= overlap_days(first, last, subscription.started_on, trial_end)
        return max(days, 0)

    lines += _fee_lines(facts, plans, segments, billable, period_days)
    final_plan = plans[segments[-1][0]] if segments else None
    commitment = ZERO
    net_gmv = facts.net_gmv
    if final_plan:
        for charge in commission_by_tier(net_gmv, list(final_plan.tiers)):
            upper = _money_label(charge.upper_bound) if charge.upper_bound is not None else "∞"
            lines.append(
                DraftLine(
                    kind=LineKind.COMMISSION,
                    description=_("Commission %(rate)s%% on GMV %(low)s – %(high)s")
                    % {
                        "rate": _percent(charge.rate_percent),
                        "low": _money_label(charge.lower_bound),
                        "high": upper,
                    },
                    exact_amount=charge.exact_amount,
                    quantity=charge.basis,
                    unit_amount=charge.rate_percent / 100,
                    basis=charge.basis,
                    rate_percent=charge.rate_percent,
                )
            )
        commission = sum((line.exact_amount for line in lines if line.kind == "commission"), ZERO)
        committed_days = sum(billable(first, last) for _plan, first, last in segments)
        commitment = prorate(final_plan.minimum_commission, committed_days, period_days)
        if commission < commitment:
            lines.append(
                DraftLine(
                    kind=LineKind.TRUE_UP,
                    description=_("Minimum commitment %(minimum)s a month: true-up")
                    % {"minimum": _money_label(final_plan.minimum_commission)},
                    exact_amount=commitment - commission,
                    unit_amount=commitment - commission,
                )
            )
        lines += _usage_lines(facts, final_plan)
    lines += _plugin_lines(facts, plans, segments, plugin_prices, period_days)
    for note in facts.credit_notes:
        lines.append(
            DraftLine(
                kind=LineKind.CREDIT,
                description=_("Credit note %(number)s") % {"number": note.number},
                exact_amount=-note.exact_amount,
                unit_amount=-note.exact_amount,
                details={"credit_note": note.pk},
            )
        )
    if facts.regional_tax is not None:
        tax_rate, tax_name = facts.regional_tax.rate_percent, facts.regional_tax.name
    else:
        tax_rate, tax_name = (final_plan.tax_rate_percent if final_plan else ZERO), ""
    return Priced(
        lines=lines,
        plan_id=final_plan.id if final_plan else None,
        commitment=commitment,
        gmv=facts.gmv,
        net_gmv=net_gmv,
        tax_rate_percent=tax_rate,
        tax_name=tax_name,
    )


def _fee_lines(facts, plans, segments, billable, period_days) -> list[DraftLine]:
    subscription = facts.subscription
    lines = []
    if subscription.interval == BillingInterval.MONTH:
        for plan_id, first, last in segments:
            days = billable(first, last)
            plan = plans[plan_id]
            if days <= 0 or not plan.monthly_fee:
                continue
            lines.append(
                DraftLine(
                    kind=LineKind.SUBSCRIPTION,
                    description=_("%(plan)s plan, %(first)s – %(last)s (%(days)s of %(of)s days)")
                    % {
                        "plan": plan.name,
                        "first": _day(first),
                        "last": _day(last),
                        "days": days,
                        "of": period_days,
                    },
                    exact_amount=prorate(plan.monthly_fee, days, period_days),
                    quantity=Decimal(days),
                    unit_amount=plan.monthly_fee / period_days,
                )
            )
        return lines
    # Yearly: the year's fee is invoiced in the period its term starts; a change of plan
    # mid-term charges (or credits) the difference for the rest of the term.
    term_start, term_end = subscription.term_start, subscription.term_end
    term_days = days_in(term_start, term_end)
    if facts.period_start <= term_start <= facts.period_end:
        plan = plans[_plan_on(segments, term_start) or subscription.plan_id]
        days = billable(term_start, term_end)
        if days > 0:
            lines.append(
                DraftLine(
                    kind=LineKind.SUBSCRIPTION,
                    description=_("%(plan)s plan, yearly term %(first)s – %(last)s")
                    % {"plan": plan.name, "first": _day(term_start), "last": _day(term_end)},
                    exact_amount=prorate(plan.yearly_fee, days, term_days),
                    quantity=Decimal(days),
                    unit_amount=plan.yearly_fee / term_days,
                )
            )
    for change in facts.changes:
        if not (facts.period_start <= change.effective_on <= facts.period_end):
            continue
        if change.effective_on <= term_start:
            continue
        remaining = billable(change.effective_on, term_end)
        old, new = plans[change.from_plan_id], plans[change.to_plan_id]
        lines.append(
            DraftLine(
                kind=LineKind.SUBSCRIPTION,
                description=ngettext(
                    "Plan change %(old)s → %(new)s for the remaining %(days)s day",
                    "Plan change %(old)s → %(new)s for the remaining %(days)s days",
                    remaining,
                )
                % {"old": old.name, "new": new.name, "days": remaining},
                exact_amount=prorate(new.yearly_fee - old.yearly_fee, remaining, term_days),
                quantity=Decimal(remaining),
                unit_amount=(new.yearly_fee - old.yearly_fee) / term_days,
            )
        )
    return lines


def _plan_on(segments, day: date) -> int | None:
    for plan_id, first, last in segments:
        if first <= day <= last:
            return plan_id
    return None


def _usage_lines(facts: PeriodFacts, plan: PlanTerms) -> list[DraftLine]:
    lines = []
    # Seats are billed by the day: each day's seats beyond the included ones, at the monthly
    # seat price divided by the period's days (a seat held 10 of 31 days pays 10/31).
    period_days = days_in(facts.period_start, facts.period_end)
    daily = facts.seats_by_day if facts.seats_by_day is not None else [facts.seats] * period_days
    extra_seat_days = sum(max(0, seats - plan.included_seats) for seats in daily)
    if extra_seat_days and plan.extra_seat_price:
        lines.append(
            DraftLine(
                kind=LineKind.SEATS,
                description=ngettext(
                    "Staff seats beyond the %(included)s included: %(seat_days)s seat-day "
                    "of %(days)s",
                    "Staff seats beyond the %(included)s included: %(seat_days)s seat-days "
                    "of %(days)s",
                    extra_seat_days,
                )
                % {
                    "included": plan.included_seats,
                    "seat_days": extra_seat_days,
                    "days": period_days,
                },
                exact_amount=prorate(plan.extra_seat_price, extra_seat_days, period_days),
                quantity=Decimal(extra_seat_days),
                unit_amount=plan.extra_seat_price / period_days,
            )
        )
    used_gb = math.ceil(facts.storage_bytes / GIGABYTE) if facts.storage_bytes else 0
    extra_gb = max(0, used_gb - plan.included_storage_gb)
    if extra_gb and plan.extra_storage_gb_price:
        lines.append(
            DraftLine(
                kind=LineKind.STORAGE,
                description=_("%(count)s GB of storage beyond the %(included)s GB included")
                % {"count": extra_gb, "included": plan.included_storage_gb},
                exact_amount=plan.extra_storage_gb_price * extra_gb,
                quantity=Decimal(extra_gb),
                unit_amount=plan.extra_storage_gb_price,
            )
        )
    return lines


def _plugin_lines(facts, plans, segments, plugin_prices, period_days) -> list[DraftLine]:
    lines = []
    for plugin, spans in sorted(facts.plugin_days.items()):
        price = plugin_prices.get(plugin)
        if price is None or not price.monthly_fee:
            continue
        # A day is charged unless the plan in force that day includes the plugin.
        days = sum(
            overlap_days(first, last, seg_first, seg_last)
            for first, last in spans
            for plan_id, seg_first, seg_last in segments
            if plugin not in plans[plan_id].included_plugins
        )
        if days <= 0:
            continue
        lines.append(
            DraftLine(
                kind=LineKind.PLUGIN,
                description=_("%(plugin)s plugin, %(days)s of %(of)s days")
                % {"plugin": price.name, "days": days, "of": period_days},
                exact_amount=prorate(price.monthly_fee, days, period_days),
                quantity=Decimal(days),
                unit_amount=price.monthly_fee / period_days,
            )
        )
    return lines


def _percent(rate: Decimal) -> str:
    return f"{rate.normalize():f}"


def _money_label(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def _day(day: date) -> str:
    return format_date(day)
