"""The monthly billing run: one draft invoice per merchant and closed period.

No double billing, by construction: the database allows one original invoice per
(merchant, period); the run skips periods already billed and writes each merchant's invoice
in a transaction of its own, so a run cut off half-way leaves whole invoices behind and the
next run finishes the rest. Its cost grows with merchants, not orders: it reads daily ledger
rows in a handful of set-wide queries per batch.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Max, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from analytics.events import EventKind, OrderRefunded
from analytics.models import MerchantEvent
from billing.calculation import (
    PeriodFacts,
    PlanTerms,
    Priced,
    gather_facts,
    plan_terms,
    price_period,
)
from billing.models import (
    BillingAccount,
    CreditNote,
    CreditNoteStatus,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    LineKind,
    PluginPrice,
    Subscription,
)
from billing.pricing import ZERO, commission_total, month_bounds
from billing.subscriptions import local_today, start_missing_subscriptions
from tenants.money import round_money

BATCH = 500


@dataclass
class RunSummary:
    period_start: date
    period_end: date
    created: int = 0
    already_billed: int = 0
    not_closed: int = 0
    credit_notes: int = 0
    total: dict[str, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))


def previous_month(today: date) -> tuple[int, int]:
    return (today.year - 1, 12) if today.month == 1 else (today.year, today.month - 1)


def billable_subscriptions(period_start: date, period_end: date):
    """Subscriptions that were in force for at least a day of the period."""
    return (
        Subscription.objects.select_related("merchant")
        .filter(started_on__lte=period_end)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=period_start))
        .exclude(merchant__schema_name="public")
        .order_by("merchant_id")
    )


def run_billing(
    year: int,
    month: int,
    *,
    merchant_ids: Iterable[int] | None = None,
    progress: Callable[[int], None] | None = None,
) -> RunSummary:
    """Bill every merchant whose period (a local calendar month) has closed."""
    period_start, period_end = month_bounds(year, month)
    summary = RunSummary(period_start=period_start, period_end=period_end)
    start_missing_subscriptions()
    subscriptions = billable_subscriptions(period_start, period_end)
    if merchant_ids is not None:
        subscriptions = subscriptions.filter(merchant_id__in=list(merchant_ids))
    billed = set(
        Invoice.objects.filter(period_start=period_start, replaces__isnull=True).values_list(
            "merchant_id", flat=True
        )
    )
    plans = plan_terms()
    plugin_prices = {price.plugin: price for price in PluginPrice.objects.all()}
    collection = dict(BillingAccount.objects.values_list("merchant_id", "collection_method"))
    pending: list[Subscription] = []
    for subscription in subscriptions.iterator(chunk_size=BATCH):
        if subscription.merchant_id in billed:
            summary.already_billed += 1
            _advance(progress)
        elif local_today(subscription.merchant) <= period_end:
            summary.not_closed += 1
            _advance(progress)
        else:
            pending.append(subscription)
        if len(pending) >= BATCH:
            _bill_batch(
                pending,
                period_start,
                period_end,
                plans,
                plugin_prices,
                collection,
                summary,
                progress,
            )
            pending = []
    if pending:
        _bill_batch(
            pending, period_start, period_end, plans, plugin_prices, collection, summary, progress
        )
    scope = None if merchant_ids is None else set(merchant_ids)
    summary.credit_notes = raise_late_refund_credit_notes(period_start, period_end, plans, scope)
    return summary


def _advance(progress) -> None:
    if progress:
        progress(1)


def _bill_batch(
    subscriptions, period_start, period_end, plans, plugin_prices, collection, summary, progress
) -> None:
    facts = gather_facts(subscriptions, period_start, period_end)
    for subscription in subscriptions:
        fact = facts[subscription.merchant_id]
        priced = price_period(fact, plans, plugin_prices)
        invoice = create_draft_invoice(
            fact, priced, collection.get(subscription.merchant_id, "stripe")
        )
        if invoice is None:
            summary.already_billed += 1
        else:
            summary.created += 1
            summary.total[invoice.currency] += invoice.total
        _advance(progress)


def create_draft_invoice(facts: PeriodFacts, priced: Priced, collection_method: str):
    """Write the invoice and its lines at once, or nothing when the period is billed."""
    try:
        with transaction.atomic():
            invoice = Invoice.objects.create(
                merchant_id=facts.merchant_id,
                period_start=facts.period_start,
                period_end=facts.period_end,
                currency=facts.currency,
                collection_method=collection_method,
                calculated_at=timezone.now(),
            )
            write_priced_lines(invoice, priced)
    except IntegrityError:
        return None
    return invoice


def write_priced_lines(invoice: Invoice, priced: Priced, *, keep_from: int = 0) -> None:
    """Replace the invoice's calculated lines (adjustments stay) and its totals."""
    invoice.lines.exclude(kind=LineKind.ADJUSTMENT).delete()
    lines = [
        InvoiceLine(
            invoice=invoice,
            position=position,
            kind=line.kind,
            description=line.description[:300],
            quantity=line.quantity,
            unit_amount=line.unit_amount,
            basis=line.basis,
            rate_percent=line.rate_percent,
            exact_amount=line.exact_amount,
            amount=line.rounded(invoice.currency),
            credit_note_id=line.details.get("credit_note"),
        )
        for position, line in enumerate(priced.lines, start=keep_from)
    ]
    InvoiceLine.objects.bulk_create(lines)
    # Adjustments (finance's, or carried over from a voided invoice) read after the charges.
    adjustments = list(invoice.lines.filter(kind=LineKind.ADJUSTMENT).order_by("position", "id"))
    for offset, adjustment in enumerate(adjustments):
        adjustment.position = keep_from + len(lines) + offset
    if adjustments:
        InvoiceLine.objects.bulk_update(adjustments, ["position"])
    invoice.plan_id = priced.plan_id
    invoice.gmv = priced.gmv
    invoice.net_gmv = priced.net_gmv
    invoice.commitment = priced.commitment
    invoice.tax_rate_percent = priced.tax_rate_percent
    invoice.tax_name = priced.tax_name
    settle_total(invoice)
    invoice.calculated_at = timezone.now()
    invoice.save(
        update_fields=[
            "plan",
            "gmv",
            "net_gmv",
            "commitment",
            "tax_rate_percent",
            "tax_name",
            "total",
            "calculated_at",
        ]
    )


def settle_total(invoice: Invoice) -> None:
    """Set the tax line and the total from the invoice's lines, never below zero (the caller
    saves it).

    Tax is charged on the charges and adjustments (never below zero) at the invoice's rate,
    rounded half-up once; credit notes are applied after tax, since they give back money
    paid tax included. When credits exceed the charges, a carry-forward line brings the
    total back to zero; approving the invoice turns that line's amount into a credit note
    for the merchant's next invoice (`services.approve`).
    """
    invoice.lines.filter(kind__in=(LineKind.CARRY_FORWARD, LineKind.TAX)).delete()
    found = invoice.lines.aggregate(
        taxable=Sum("amount", filter=~Q(kind=LineKind.CREDIT)),
        credits=Sum("amount", filter=Q(kind=LineKind.CREDIT)),
        last=Max("position"),
    )
    taxable = found["taxable"] or ZERO
    position = found["last"] or 0
    tax = tax_on(taxable, invoice.tax_rate_percent, invoice.currency)
    if invoice.tax_rate_percent > 0:
        position += 1
        InvoiceLine.objects.create(
            invoice=invoice,
            position=position,
            kind=LineKind.TAX,
            description=tax_label(invoice.tax_name, invoice.tax_rate_percent),
            quantity=max(taxable, ZERO),
            unit_amount=invoice.tax_rate_percent / 100,
            basis=max(taxable, ZERO),
            rate_percent=invoice.tax_rate_percent,
            exact_amount=tax,
            amount=tax,
        )
    balance = taxable + tax + (found["credits"] or ZERO)
    if balance < 0:
        InvoiceLine.objects.create(
            invoice=invoice,
            position=position + 1,
            kind=LineKind.CARRY_FORWARD,
            description=_("Credit beyond this invoice's charges, carried forward"),
            unit_amount=-balance,
            exact_amount=-balance,
            amount=-balance,
        )
    invoice.total = max(balance, ZERO)


def tax_on(taxable: Decimal, rate_percent: Decimal, currency: str) -> Decimal:
    """Tax on a subtotal of rounded lines, rounded half-up once; nothing on a credit."""
    if taxable <= 0 or not rate_percent:
        return ZERO
    return round_money(taxable * rate_percent / 100, currency)


def tax_label(name: str, rate_percent: Decimal) -> str:
    return _("%(tax)s %(rate)s%%") % {
        "tax": name or _("Tax"),
        "rate": f"{rate_percent.normalize():f}",
    }


def commission_owed(net_gmv: Decimal, commitment: Decimal, plan: PlanTerms) -> Decimal:
    """Commission plus minimum-commitment true-up, exact."""
    commission = commission_total(net_gmv, list(plan.tiers))
    return commission + max(ZERO, commitment - commission)


def raise_late_refund_credit_notes(
    period_start: date, period_end: date, plans: dict[int, PlanTerms], scope: set[int] | None
) -> int:
    """Refunds made in this period of orders paid in an earlier, billed period: a draft
    credit note against that period's invoice for the commission it over-charged.

    Keyed by (invoice, this period), so running again adds nothing.
    """
    refunds = MerchantEvent.objects.filter(
        kind=EventKind.ORDER_REFUNDED, local_date__gte=period_start, local_date__lte=period_end
    ).values_list("merchant_id", "payload")
    if scope is not None:
        refunds = refunds.filter(merchant_id__in=scope)
    earlier_months: set[tuple[int, date]] = set()
    for merchant_id, payload in refunds:
        paid_on = OrderRefunded.from_payload(payload).paid_on or period_start
        if paid_on < period_start:
            earlier_months.add((merchant_id, paid_on.replace(day=1)))
    raised = 0
    for merchant_id, original_start in sorted(earlier_months):
        invoice = (
            Invoice.objects.filter(merchant_id=merchant_id, period_start=original_start)
            .exclude(status=InvoiceStatus.VOID)
            .first()
        )
        if invoice is None or invoice.plan_id is None:
            continue
        if _raise_late_refund_note(invoice, period_end, plans[invoice.plan_id]):
            raised += 1
    return raised


def _raise_late_refund_note(invoice: Invoice, through: date, plan: PlanTerms) -> bool:
    late = MerchantEvent.objects.filter(
        merchant_id=invoice.merchant_id,
        kind=EventKind.ORDER_REFUNDED,
        local_date__gt=invoice.period_end,
        local_date__lte=through,
    ).values_list("payload", flat=True)
    refunds = [OrderRefunded.from_payload(payload) for payload in late]
    refunded = sum(
        (
            refund.amount
            for refund in refunds
            if refund.paid_on and invoice.period_start <= refund.paid_on <= invoice.period_end
        ),
        ZERO,
    )
    billed = commission_owed(invoice.net_gmv, invoice.commitment, plan)
    now_owed = commission_owed(invoice.net_gmv - refunded, invoice.commitment, plan)
    already = (
        CreditNote.objects.filter(
            invoice__merchant_id=invoice.merchant_id,
            invoice__period_start=invoice.period_start,
            unique_key__startswith="late-refunds:",
        )
        .exclude(status=CreditNoteStatus.VOID)
        .aggregate(total=Sum("exact_amount"))["total"]
        or ZERO
    )
    # The commission was invoiced with tax at the invoice's rate: the credit gives both back.
    credit = (billed - now_owed) * (1 + invoice.tax_rate_percent / 100) - already
    if round_money(credit, invoice.currency) <= 0:
        return False
    try:
        with transaction.atomic():
            CreditNote.objects.create(
                merchant_id=invoice.merchant_id,
                invoice=invoice,
                exact_amount=credit,
                amount=round_money(credit, invoice.currency),
                reason=_("Commission on refunds of orders paid in %(period)s, refunded by %(day)s")
                % {"period": invoice.period_start.strftime("%Y-%m"), "day": through.isoformat()},
                unique_key=f"late-refunds:{invoice.pk}:{through.isoformat()}",
            )
    except IntegrityError:
        return False
    return True
