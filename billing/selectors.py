"""Read queries for the finance console and the merchant's billing page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth

from analytics.models import DailyMerchantStats
from billing.calculation import gather_facts, plan_terms, price_period
from billing.models import (
    CreditNote,
    CreditNoteStatus,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    LineKind,
    PluginPrice,
    RenewalReminder,
    Subscription,
    SubscriptionStatus,
)
from billing.pricing import days_in, month_bounds, overlap_days
from billing.subscriptions import LIVE_STATUSES, local_today
from tenants.models import Merchant
from tenants.money import round_money


@dataclass(frozen=True)
class InvoiceFilters:
    status: str = ""
    period: date | None = None  # first day of the month
    plan_id: int | None = None
    min_total: Decimal | None = None
    max_total: Decimal | None = None
    search: str = ""


def invoices(filters: InvoiceFilters) -> QuerySet[Invoice]:
    found = Invoice.objects.select_related("merchant", "plan").defer("pdf")
    if filters.status:
        found = found.filter(status=filters.status)
    if filters.period:
        found = found.filter(period_start=filters.period)
    if filters.plan_id:
        found = found.filter(plan_id=filters.plan_id)
    if filters.min_total is not None:
        found = found.filter(total__gte=filters.min_total)
    if filters.max_total is not None:
        found = found.filter(total__lte=filters.max_total)
    if filters.search:
        found = found.filter(
            Q(merchant__name__icontains=filters.search)
            | Q(merchant__slug__icontains=filters.search)
            | Q(number__iexact=filters.search)
        )
    return found.order_by("-period_start", "merchant__name", "-id")


ISSUED_STATUSES = (InvoiceStatus.OPEN, InvoiceStatus.PAID, InvoiceStatus.SETTLED)


@dataclass(frozen=True)
class CurrencyTotals:
    """The listed invoices of one currency, each figure saying what it includes.

    `count`/`total` are the live invoices (drafts and issued); voided invoices are never in
    them (a voided invoice and its re-issue would otherwise count twice) and are shown
    apart, as are the credit notes issued against the listed invoices."""

    currency: str
    count: int
    total: Decimal
    draft_count: int
    draft_total: Decimal
    issued_count: int
    issued_total: Decimal
    outstanding_count: int
    outstanding_total: Decimal
    void_count: int
    void_total: Decimal
    credited_count: int
    credited_total: Decimal

    @property
    def issued_less_credited(self) -> Decimal:
        return self.issued_total - self.credited_total


def totals_by_currency(found: QuerySet[Invoice]) -> list[CurrencyTotals]:
    """Two queries whatever the number of invoices."""
    zero = Decimal("0")
    live = ~Q(status=InvoiceStatus.VOID)
    issued = Q(status__in=ISSUED_STATUSES)
    rows = (
        found.order_by()
        .values("currency")
        .annotate(
            sum_count=Count("id", filter=live),
            sum_total=Sum("total", filter=live),
            sum_draft_count=Count("id", filter=Q(status=InvoiceStatus.DRAFT)),
            sum_draft_total=Sum("total", filter=Q(status=InvoiceStatus.DRAFT)),
            sum_issued_count=Count("id", filter=issued),
            sum_issued_total=Sum("total", filter=issued),
            sum_outstanding_count=Count("id", filter=Q(status=InvoiceStatus.OPEN)),
            sum_outstanding_total=Sum("total", filter=Q(status=InvoiceStatus.OPEN)),
            sum_void_count=Count("id", filter=Q(status=InvoiceStatus.VOID)),
            sum_void_total=Sum("total", filter=Q(status=InvoiceStatus.VOID)),
        )
        .order_by("currency")
    )
    credited = {
        row["invoice__currency"]: (row["sum_count"], row["sum_total"] or zero)
        for row in CreditNote.objects.filter(
            status=CreditNoteStatus.ISSUED, invoice__in=found.order_by().values("pk")
        )
        .values("invoice__currency")
        .annotate(sum_count=Count("id"), sum_total=Sum("amount"))
    }
    return [
        CurrencyTotals(
            currency=row["currency"],
            count=row["sum_count"],
            total=row["sum_total"] or zero,
            draft_count=row["sum_draft_count"],
            draft_total=row["sum_draft_total"] or zero,
            issued_count=row["sum_issued_count"],
            issued_total=row["sum_issued_total"] or zero,
            outstanding_count=row["sum_outstanding_count"],
            outstanding_total=row["sum_outstanding_total"] or zero,
            void_count=row["sum_void_count"],
            void_total=row["sum_void_total"] or zero,
            credited_count=credited.get(row["currency"], (0, zero))[0],
            credited_total=credited.get(row["currency"], (0, zero))[1],
        )
        for row in rows
    ]


@dataclass(frozen=True)
class GmvDay:
    date: date
    gmv: Decimal
    refunds: Decimal
    prior_period_refunds: Decimal
    online: Decimal
    in_store: Decimal
    groupbuy: Decimal


def gmv_breakdown(invoice: Invoice) -> list[GmvDay]:
    rows = DailyMerchantStats.objects.filter(
        merchant_id=invoice.merchant_id,
        date__gte=invoice.period_start,
        date__lte=invoice.period_end,
    ).order_by("date")
    return [
        GmvDay(
            date=row.date,
            gmv=row.gmv,
            refunds=row.refunds,
            prior_period_refunds=row.prior_period_refunds,
            online=row.online_gmv,
            in_store=row.in_store_gmv,
            groupbuy=row.groupbuy_gmv,
        )
        for row in rows
    ]


def credit_notes_to_review() -> QuerySet[CreditNote]:
    return CreditNote.objects.filter(status="draft").select_related("merchant", "invoice")


@dataclass(frozen=True)
class Usage:
    period_start: date
    period_end: date
    gmv: Decimal
    net_gmv: Decimal
    commission: Decimal
    seats: int
    included_seats: int
    storage_gb: Decimal
    included_storage_gb: int
    estimated_total: Decimal


def usage_this_period(subscription: Subscription) -> Usage:
    """This month so far, priced as if it closed today (an estimate for the merchant)."""
    today = local_today(subscription.merchant)
    start, end = month_bounds(today.year, today.month)
    plans = plan_terms()
    facts = gather_facts([subscription], start, end)[subscription.merchant_id]
    priced = price_period(facts, plans, {p.plugin: p for p in PluginPrice.objects.all()})
    commission = sum(
        (line.exact_amount for line in priced.lines if line.kind == LineKind.COMMISSION),
        Decimal("0"),
    )
    plan = plans[subscription.plan_id]
    currency = subscription.merchant.currency
    return Usage(
        period_start=start,
        period_end=end,
        gmv=facts.gmv,
        net_gmv=facts.net_gmv,
        commission=commission.quantize(Decimal("0.01")),
        seats=facts.seats,
        included_seats=plan.included_seats,
        storage_gb=(Decimal(facts.storage_bytes) / 1024**3).quantize(Decimal("0.01")),
        included_storage_gb=plan.included_storage_gb,
        estimated_total=sum((line.rounded(currency) for line in priced.lines), Decimal("0")),
    )


def merchant_invoices(merchant: Merchant) -> QuerySet[Invoice]:
    """What the merchant sees: issued invoices (drafts are finance's until approved)."""
    return (
        Invoice.objects.filter(merchant=merchant)
        .exclude(status=InvoiceStatus.DRAFT)
        .defer("pdf")
        .order_by("-period_start", "-id")
    )


def billing_banner(merchant: Merchant) -> str:
    """'past_due', 'payment_failed' or '' for the banner on /manage/ pages (one query)."""
    row = (
        Merchant.objects.filter(pk=merchant.pk)
        .annotate(
            past_due=Exists(
                Subscription.objects.filter(merchant=OuterRef("pk"), status="past_due")
            ),
            failing=Exists(
                Invoice.objects.filter(
                    merchant=OuterRef("pk"),
                    status=InvoiceStatus.OPEN,
                    payment_failed_at__isnull=False,
                )
            ),
        )
        .values("past_due", "failing")
        .first()
    )
    if not row:
        return ""
    return "past_due" if row["past_due"] else "payment_failed" if row["failing"] else ""


@dataclass(frozen=True)
class InvoiceFacts:
    open_count: int
    overdue_count: int
    overdue_total: Decimal


def invoice_facts(merchant_ids) -> dict[int, InvoiceFacts]:
    """Open and overdue (issued, unpaid, past due date) invoices per merchant, in one query;
    customer success (onboarding.selectors) reads it directly."""
    from django.utils import timezone

    today = timezone.now().date()
    rows = (
        Invoice.objects.filter(merchant_id__in=list(merchant_ids), status=InvoiceStatus.OPEN)
        .values("merchant_id")
        .annotate(
            open_count=Count("id"),
            overdue_count=Count("id", filter=Q(due_on__lt=today)),
            overdue_total=Sum("total", filter=Q(due_on__lt=today)),
        )
    )
    return {
        row["merchant_id"]: InvoiceFacts(
            open_count=row["open_count"],
            overdue_count=row["overdue_count"],
            overdue_total=row["overdue_total"] or Decimal("0"),
        )
        for row in rows
    }


@dataclass(frozen=True)
class RangeCharges:
    """What a merchant paid the platform for the days of a range (see `charges_between`)."""

    currency: str
    commission: Decimal
    plugin_fees: Decimal
    subscription_fees: Decimal
    # Part of the range lies in a month without an issued invoice: priced as if it closed now.
    estimated: bool

    @property
    def total(self) -> Decimal:
        return self.commission + self.plugin_fees + self.subscription_fees


COMMISSION_KINDS = (LineKind.COMMISSION, LineKind.TRUE_UP)


def charges_between(merchant: Merchant, start: date, end: date) -> RangeCharges:
    """Commission, plugin and subscription fees attributable to the days `start`..`end`.

    Each month the range touches counts with its issued invoice; before finance issues it,
    with its draft, and before the billing run, priced as if the month closed today (both
    flagged as estimates). A month's commission is shared out by the range's part of the
    month's net GMV, its fees by the range's part of the month's days; each figure is rounded
    half-up to the currency once, at the end. The merchant data center (the reporting layer's
    `datacenter.selectors`) reads it directly. Queries: a fixed few, plus six for each month
    without an invoice (normally only the current one).
    """
    months: list[tuple[date, date]] = []
    cursor = start.replace(day=1)
    while cursor <= end:
        months.append(month_bounds(cursor.year, cursor.month))
        cursor = months[-1][1] + timedelta(days=1)
    # Lines of each month's live invoice, in one query whether or not there are invoices.
    lines_by_invoice: dict[int, list[tuple[str, Decimal]]] = {}
    invoice_of_month: dict[date, tuple[int, str]] = {}
    for invoice_id, period_start, status, kind, amount in (
        InvoiceLine.objects.filter(
            invoice__merchant=merchant,
            invoice__period_start__in=[first for first, _last in months],
        )
        .exclude(invoice__status=InvoiceStatus.VOID)
        .order_by("invoice_id", "position", "id")
        .values_list(
            "invoice_id", "invoice__period_start", "invoice__status", "kind", "exact_amount"
        )
    ):
        lines_by_invoice.setdefault(invoice_id, []).append((kind, amount))
        # An issued invoice wins over a draft of the same month (a re-issue in progress).
        current = invoice_of_month.get(period_start)
        if current is None or current[1] == InvoiceStatus.DRAFT:
            invoice_of_month[period_start] = (invoice_id, status)
    net_by_month = _net_gmv_by_month(merchant, months[0][0], months[-1][1], start, end)
    subscription = Subscription.objects.filter(merchant=merchant).select_related("merchant").first()
    commission = plugin_fees = subscription_fees = Decimal("0")
    estimated = False
    plans = plugin_prices = None
    for first, last in months:
        if first in invoice_of_month:
            invoice_id, status = invoice_of_month[first]
            estimated = estimated or status == InvoiceStatus.DRAFT
            amounts = _line_amounts(lines_by_invoice[invoice_id])
        elif subscription and last >= subscription.started_on:
            estimated = True
            if plans is None:
                plans = plan_terms()
                plugin_prices = {p.plugin: p for p in PluginPrice.objects.all()}
            facts = gather_facts([subscription], first, last, with_tax=False)[merchant.pk]
            priced = price_period(facts, plans, plugin_prices)
            amounts = _line_amounts((line.kind, line.exact_amount) for line in priced.lines)
        else:
            continue
        month_net, range_net = net_by_month.get(first, (Decimal("0"), Decimal("0")))
        gmv_share = range_net / month_net if month_net > 0 and range_net > 0 else Decimal("0")
        day_share = Decimal(overlap_days(first, last, start, end)) / Decimal(days_in(first, last))
        commission += amounts[LineKind.COMMISSION] * gmv_share
        plugin_fees += amounts[LineKind.PLUGIN] * day_share
        subscription_fees += amounts[LineKind.SUBSCRIPTION] * day_share
    currency = merchant.currency
    return RangeCharges(
        currency=currency,
        commission=round_money(commission, currency),
        plugin_fees=round_money(plugin_fees, currency),
        subscription_fees=round_money(subscription_fees, currency),
        estimated=estimated,
    )


def _line_amounts(lines) -> dict[str, Decimal]:
    amounts = {
        kind: Decimal("0") for kind in (LineKind.COMMISSION, LineKind.PLUGIN, LineKind.SUBSCRIPTION)
    }
    for kind, amount in lines:
        if kind in COMMISSION_KINDS:
            amounts[LineKind.COMMISSION] += amount
        elif kind in amounts:
            amounts[kind] += amount
    return amounts


def _net_gmv_by_month(
    merchant: Merchant, first: date, last: date, start: date, end: date
) -> dict[date, tuple[Decimal, Decimal]]:
    """Per month: (net GMV of the whole month, net GMV of its days inside start..end)."""
    net = F("gmv") - F("refunds") + F("prior_period_refunds")
    rows = (
        DailyMerchantStats.objects.filter(merchant=merchant, date__gte=first, date__lte=last)
        .annotate(month=TruncMonth("date"))
        .values("month")
        .annotate(
            month_net=Sum(net),
            range_net=Sum(net, filter=Q(date__gte=start, date__lte=end)),
        )
    )
    return {
        row["month"]: (row["month_net"] or Decimal("0"), row["range_net"] or Decimal("0"))
        for row in rows
    }


# -- the merchant's billing page and the upcoming renewals -----------------------------------


@dataclass(frozen=True)
class EstimateLine:
    kind: str
    label: str
    description: str
    amount: Decimal


@dataclass(frozen=True)
class Estimate:
    """This month so far, priced as if it closed today, line by line as the invoice will be."""

    period_start: date
    period_end: date
    currency: str
    gmv: Decimal
    net_gmv: Decimal
    lines: list[EstimateLine]
    subtotal: Decimal
    tax_label: str
    tax: Decimal
    credits: Decimal
    total: Decimal


ESTIMATE_GROUPS = (
    LineKind.SUBSCRIPTION,
    LineKind.COMMISSION,
    LineKind.TRUE_UP,
    LineKind.PLUGIN,
    LineKind.SEATS,
    LineKind.STORAGE,
)


def estimate_this_month(subscription: Subscription) -> Estimate:
    """The lines the merchant's invoice for this month would have if the month closed today:
    plan fee, commission on the GMV so far, plugins, seats and storage, then tax and the
    credit notes it would apply; the same pricing the billing run uses."""
    from billing.run import tax_label, tax_on

    merchant = subscription.merchant
    currency = merchant.currency
    today = local_today(merchant)
    start, end = month_bounds(today.year, today.month)
    facts = gather_facts([subscription], start, end)[subscription.merchant_id]
    priced = price_period(
        facts, plan_terms(), {price.plugin: price for price in PluginPrice.objects.all()}
    )
    labels = dict(LineKind.choices)
    lines = [
        EstimateLine(
            kind=line.kind,
            label=str(labels[line.kind]),
            description=line.description,
            amount=line.rounded(currency),
        )
        for kind in ESTIMATE_GROUPS
        for line in priced.lines
        if line.kind == kind
    ]
    subtotal = sum((line.amount for line in lines), Decimal("0"))
    credits = sum(
        (line.rounded(currency) for line in priced.lines if line.kind == LineKind.CREDIT),
        Decimal("0"),
    )
    tax = tax_on(subtotal, priced.tax_rate_percent, currency)
    return Estimate(
        period_start=start,
        period_end=end,
        currency=currency,
        gmv=facts.gmv,
        net_gmv=facts.net_gmv,
        lines=lines,
        subtotal=subtotal,
        tax_label=tax_label(priced.tax_name, priced.tax_rate_percent),
        tax=tax,
        credits=credits,
        total=max(subtotal + tax + credits, Decimal("0")),
    )


@dataclass(frozen=True)
class SubscriptionOverview:
    subscription: Subscription
    today: date
    on_trial: bool
    trial_ends_on: date | None
    trial_days_left: int | None
    term_start: date
    term_end: date
    # The day the next term starts (auto-renewing, live) or None (it ends on term_end).
    next_renewal_on: date | None
    ends_on: date | None
    reminders: list[RenewalReminder]


def subscription_overview(subscription: Subscription) -> SubscriptionOverview:
    """Plan, trial, current term and renewal as of the merchant's today. The caller brings
    the term up to date first (`reminders.catch_up_term`); a term that has ended is never
    shown as current: it then reads as ended."""
    today = local_today(subscription.merchant)
    live = subscription.status in LIVE_STATUSES and subscription.term_end >= today
    on_trial = subscription.status == SubscriptionStatus.TRIAL and bool(
        subscription.trial_ends_on and subscription.trial_ends_on >= today
    )
    return SubscriptionOverview(
        subscription=subscription,
        today=today,
        on_trial=on_trial,
        trial_ends_on=subscription.trial_ends_on,
        trial_days_left=(subscription.trial_ends_on - today).days + 1 if on_trial else None,
        term_start=subscription.term_start,
        term_end=subscription.term_end,
        next_renewal_on=subscription.term_end + timedelta(days=1)
        if live and subscription.auto_renew
        else None,
        ends_on=subscription.ended_on
        or (subscription.term_end if not subscription.auto_renew else None),
        reminders=list(subscription.renewal_reminders.order_by("-sent_at", "-id")[:20]),
    )


@dataclass(frozen=True)
class UpcomingRenewal:
    merchant_id: int
    merchant_name: str
    plan_name: str
    interval: str
    status: str
    auto_renew: bool
    term_end: date
    renews_on: date
    days_left: int
    past_due: bool
    overdue_invoices: int
    renewal_value: Decimal
    currency: str
    reminders: list[RenewalReminder]


RENEWAL_HORIZON_DAYS = 120


def upcoming_renewals(
    today: date | None = None, *, days: int = RENEWAL_HORIZON_DAYS
) -> list[UpcomingRenewal]:
    """Live subscriptions whose term ends within `days`, soonest first, each with the
    renewal reminders sent for its current term. Three queries whatever the number."""
    from django.utils import timezone

    today = today or timezone.now().date()
    subscriptions = list(
        Subscription.objects.filter(
            status__in=LIVE_STATUSES,
            term_end__gte=today,
            term_end__lte=today + timedelta(days=days),
        )
        .select_related("merchant", "plan")
        .order_by("term_end", "merchant__name")
    )
    reminders: dict[tuple[int, date], list[RenewalReminder]] = {}
    for reminder in RenewalReminder.objects.filter(
        subscription__in=[subscription.pk for subscription in subscriptions]
    ).order_by("-days_before"):
        reminders.setdefault((reminder.subscription_id, reminder.term_end), []).append(reminder)
    overdue = invoice_facts([subscription.merchant_id for subscription in subscriptions])
    rows = []
    for subscription in subscriptions:
        facts = overdue.get(subscription.merchant_id)
        rows.append(
            UpcomingRenewal(
                merchant_id=subscription.merchant_id,
                merchant_name=subscription.merchant.name,
                plan_name=subscription.plan.name,
                interval=subscription.get_interval_display(),
                status=subscription.status,
                auto_renew=subscription.auto_renew,
                term_end=subscription.term_end,
                renews_on=subscription.term_end + timedelta(days=1),
                days_left=(subscription.term_end - today).days,
                past_due=subscription.status == SubscriptionStatus.PAST_DUE
                or bool(facts and facts.overdue_count),
                overdue_invoices=facts.overdue_count if facts else 0,
                renewal_value=subscription.plan.fee_for(subscription.interval),
                currency=subscription.merchant.currency,
                reminders=reminders.get((subscription.pk, subscription.term_end), []),
            )
        )
    return rows
