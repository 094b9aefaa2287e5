"""Finance actions on invoices and credit notes. Each one is audited (who, when, before and
after). Drafts can be adjusted and recalculated; issuing locks an invoice for good: after that
only voiding (and re-issuing) or a credit note changes what the merchant owes."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from billing import pdf
from billing.calculation import gather_facts, plan_terms, price_period
from billing.models import (
    AuditEntry,
    BillingAccount,
    CreditNote,
    CreditNoteStatus,
    Invoice,
    InvoiceLine,
    InvoiceSequence,
    InvoiceStatus,
    LineKind,
    Plan,
    PluginPrice,
    Subscription,
    TaxRate,
)
from billing.run import settle_total, write_priced_lines
from tenants.money import has_valid_precision, round_money

# Well inside the 14 whole digits an amount column holds (max_digits 18, 4 places).
MAX_ADJUSTMENT = Decimal("1000000000")
# Plain ASCII digits only: Decimal() would also take "NaN", "1e309", "1_000" and other
# scripts' digits, none of which finance means.
AMOUNT_TEXT = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?", re.ASCII)
REASON_LENGTH = 500


def snapshot(invoice: Invoice) -> dict:
    return {
        "status": invoice.status,
        "number": invoice.number,
        "total": str(invoice.total),
        "lines": [[line.kind, line.description, str(line.amount)] for line in invoice.lines.all()],
    }


def audit(
    action: str,
    *,
    actor,
    invoice: Invoice | None = None,
    credit_note: CreditNote | None = None,
    before: dict | None = None,
    after: dict | None = None,
    reason: str = "",
) -> AuditEntry:
    merchant_id = (invoice or credit_note).merchant_id if (invoice or credit_note) else None
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        merchant_id=merchant_id,
        invoice=invoice,
        credit_note=credit_note,
        before=before or {},
        after=after or {},
        reason=reason,
    )


def _locked_draft(invoice_id: int) -> Invoice:
    invoice = Invoice.objects.select_for_update().select_related("merchant").get(pk=invoice_id)
    if invoice.status != InvoiceStatus.DRAFT:
        raise ValidationError(
            {"invoice": [_("This invoice is issued and can no longer be changed.")]}
        )
    return invoice


def parse_amount(raw, currency: str, *, field: str = "amount") -> Decimal:
    text = str(raw).strip()
    if not AMOUNT_TEXT.fullmatch(text):
        raise ValidationError({field: [_("Enter an amount, e.g. -25.00 or 100.")]})
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValidationError({field: [_("Enter an amount, e.g. -25.00 or 100.")]}) from None
    if amount == 0:
        raise ValidationError({field: [_("The amount must not be zero.")]})
    if abs(amount) >= MAX_ADJUSTMENT:
        raise ValidationError({field: [_("This amount is too large.")]})
    if not has_valid_precision(amount, currency):
        raise ValidationError(
            {field: [_("Too many decimals for %(currency)s.") % {"currency": currency}]}
        )
    return amount


def _reason(raw: str) -> str:
    reason = (raw or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Give a reason; it is kept with the invoice.")]})
    if "\x00" in reason:
        # PostgreSQL refuses NUL in text: refuse it here, as a message, not a 500.
        raise ValidationError(
            {"reason": [_("The reason contains a character that is not allowed.")]}
        )
    if len(reason) > REASON_LENGTH:
        raise ValidationError({"reason": [_("Keep the reason under 500 characters.")]})
    return reason


@transaction.atomic
def add_adjustment(invoice_id: int, *, amount, reason: str, actor) -> InvoiceLine:
    invoice = _locked_draft(invoice_id)
    value = parse_amount(amount, invoice.currency)
    why = _reason(reason)
    before = snapshot(invoice)
    position = (invoice.lines.aggregate(top=Max("position"))["top"] or 0) + 1
    line = InvoiceLine.objects.create(
        invoice=invoice,
        position=position,
        kind=LineKind.ADJUSTMENT,
        description=(_("Adjustment: %(reason)s") % {"reason": why})[:300],
        unit_amount=value,
        exact_amount=value,
        amount=value,
        reason=why,
        created_by=actor,
    )
    settle_total(invoice)
    invoice.save(update_fields=["total"])
    audit(
        "add_adjustment",
        actor=actor,
        invoice=invoice,
        before=before,
        after=snapshot(invoice),
        reason=why,
    )
    return line


@transaction.atomic
def remove_adjustment(invoice_id: int, line_id: int, *, actor) -> None:
    invoice = _locked_draft(invoice_id)
    line = invoice.lines.filter(pk=line_id, kind=LineKind.ADJUSTMENT).first()
    if line is None:
        raise ValidationError({"line": [_("Only adjustment lines can be removed.")]})
    before = snapshot(invoice)
    line.delete()
    settle_total(invoice)
    invoice.save(update_fields=["total"])
    audit("remove_adjustment", actor=actor, invoice=invoice, before=before, after=snapshot(invoice))


@transaction.atomic
def recalculate(invoice_id: int, *, actor=None) -> Invoice:
    """Price the draft again from today's ledger, plans and credit notes (adjustments stay)."""
    invoice = _locked_draft(invoice_id)
    subscription = Subscription.objects.select_related("merchant").get(
        merchant_id=invoice.merchant_id
    )
    before = snapshot(invoice)
    # The credit notes this draft already applies are priced again with the rest (unlinked,
    # they are the merchant's unapplied notes); voided ones fall away.
    invoice.lines.filter(credit_note__isnull=False).update(credit_note=None)
    facts = gather_facts([subscription], invoice.period_start, invoice.period_end)
    priced = price_period(
        facts[invoice.merchant_id],
        plan_terms(),
        {price.plugin: price for price in PluginPrice.objects.all()},
    )
    write_priced_lines(invoice, priced)
    audit("recalculate", actor=actor, invoice=invoice, before=before, after=snapshot(invoice))
    return invoice


def next_number(sequence: str, prefix: str) -> str:
    """The next gap-free number; call inside the issuing transaction."""
    InvoiceSequence.objects.get_or_create(name=sequence)
    row = InvoiceSequence.objects.select_for_update().get(name=sequence)
    row.last_value += 1
    row.save(update_fields=["last_value"])
    return f"{prefix}-{row.last_value:06d}"


def billing_account(merchant_id: int) -> BillingAccount:
    account, _created = BillingAccount.objects.get_or_create(merchant_id=merchant_id)
    return account


@transaction.atomic
def approve(invoice_id: int, *, actor) -> Invoice:
    """Finalize: number, lock, PDF. Collection in Stripe happens after commit (a task).

    Approval never marks an invoice paid: only a payment does (`record_payment`, Stripe).
    At a total of zero there is nothing to collect and the invoice is SETTLED; credit its
    charges could not absorb becomes an issued credit note for the next invoice.
    """
    invoice = _locked_draft(invoice_id)
    before = snapshot(invoice)
    account = billing_account(invoice.merchant_id)
    invoice.number = next_number("invoice", "INV")
    invoice.status = InvoiceStatus.OPEN
    invoice.issued_at = timezone.now()
    invoice.issued_by = actor
    invoice.due_on = invoice.issued_at.date() + timedelta(days=settings.BILLING_PAYMENT_TERMS_DAYS)
    invoice.collection_method = account.collection_method
    if invoice.total == 0:
        invoice.status = InvoiceStatus.SETTLED
    invoice.pdf = pdf.render_invoice(invoice)
    invoice.save()
    audit("approve", actor=actor, invoice=invoice, before=before, after=snapshot(invoice))
    carried = invoice.lines.filter(kind=LineKind.CARRY_FORWARD).first()
    if carried is not None:
        carry_credit_forward(invoice, carried.amount, actor=actor)
    if invoice.status == InvoiceStatus.OPEN and account.collection_method == "stripe":
        from billing.tasks import push_invoice_to_stripe

        transaction.on_commit(lambda: push_invoice_to_stripe.delay(invoice.pk))
    return invoice


def carry_credit_forward(invoice: Invoice, amount: Decimal, *, actor) -> CreditNote:
    """Issue the credit an approved invoice could not absorb as a credit note against it,
    applied (like any issued note) on the merchant's current or next draft, once: the note
    is keyed by the invoice, and an applied note is linked to the one line that applied it."""
    now = timezone.now()
    amount = round_money(amount, invoice.currency)
    note = CreditNote.objects.create(
        merchant_id=invoice.merchant_id,
        invoice=invoice,
        number=next_number("credit_note", "CN"),
        status=CreditNoteStatus.ISSUED,
        issued_at=now,
        amount=amount,
        exact_amount=amount,
        reason=_("Credit beyond the charges of invoice %(number)s, carried forward")
        % {"number": invoice.number},
        unique_key=f"carry-forward:{invoice.pk}",
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    note.pdf = pdf.render_credit_note(note)
    note.save(update_fields=["pdf"])
    audit(
        "carry_forward_credit",
        actor=actor,
        credit_note=note,
        invoice=invoice,
        after={"number": note.number, "amount": str(note.amount)},
        reason=note.reason,
    )
    draft = (
        Invoice.objects.filter(merchant_id=invoice.merchant_id, status=InvoiceStatus.DRAFT)
        .exclude(pk=invoice.pk)
        .first()
    )
    if draft is not None:
        recalculate(draft.pk, actor=actor)
    return note


def _withdraw_carried_credit(invoice: Invoice, *, actor, reason: str) -> None:
    """Voiding a settled invoice voids the credit it carried forward, unless an issued
    invoice already used it (then that invoice is corrected with a credit note instead)."""
    note = (
        CreditNote.objects.select_for_update()
        .filter(unique_key=f"carry-forward:{invoice.pk}")
        .exclude(status=CreditNoteStatus.VOID)
        .first()
    )
    if note is None:
        return
    applied = InvoiceLine.objects.filter(credit_note=note).select_related("invoice").first()
    if applied is not None and applied.invoice.status != InvoiceStatus.DRAFT:
        raise ValidationError(
            {
                "invoice": [
                    _(
                        "Its carried-forward credit %(note)s is already used on invoice "
                        "%(number)s; it can no longer be voided."
                    )
                    % {"note": note.number, "number": applied.invoice.number}
                ]
            }
        )
    note.status = CreditNoteStatus.VOID
    note.save(update_fields=["status"])
    audit(
        "void_credit_note",
        actor=actor,
        credit_note=note,
        invoice=invoice,
        before={"number": note.number, "amount": str(note.amount)},
        reason=reason,
    )
    if applied is not None:
        recalculate(applied.invoice_id, actor=actor)


@transaction.atomic
def void_invoice(invoice_id: int, *, reason: str, actor, reissue: bool = True) -> Invoice | None:
    """Void an issued invoice; with `reissue`, a fresh draft for the same period replaces it."""
    invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
    why = _reason(reason)
    if invoice.status not in (InvoiceStatus.OPEN, InvoiceStatus.SETTLED):
        raise ValidationError(
            {"invoice": [_("Only an issued, unpaid invoice can be voided; use a credit note.")]}
        )
    if invoice.status == InvoiceStatus.SETTLED:
        _withdraw_carried_credit(invoice, actor=actor, reason=why)
    before = snapshot(invoice)
    invoice.status = InvoiceStatus.VOID
    invoice.voided_at = timezone.now()
    invoice.void_reason = why
    invoice.save(update_fields=["status", "voided_at", "void_reason"])
    audit("void", actor=actor, invoice=invoice, before=before, after=snapshot(invoice), reason=why)
    # Credit notes applied to the voided invoice become applicable again: to the re-issue
    # (whose recalculation applies every issued, unapplied note), or else to the merchant's
    # current draft, or to the next invoice the run writes.
    InvoiceLine.objects.filter(invoice=invoice, credit_note__isnull=False).update(credit_note=None)
    if not reissue:
        draft = Invoice.objects.filter(
            merchant_id=invoice.merchant_id, status=InvoiceStatus.DRAFT
        ).first()
        if draft is not None:
            recalculate(draft.pk, actor=actor)
        return None
    replacement = Invoice.objects.create(
        merchant_id=invoice.merchant_id,
        period_start=invoice.period_start,
        period_end=invoice.period_end,
        currency=invoice.currency,
        collection_method=invoice.collection_method,
        replaces=invoice,
    )
    carry_adjustments(invoice, replacement)
    recalculate(replacement.pk, actor=actor)
    replacement.refresh_from_db()
    audit("reissue", actor=actor, invoice=replacement, after=snapshot(replacement), reason=why)
    return replacement


def carry_adjustments(voided: Invoice, replacement: Invoice) -> list[InvoiceLine]:
    """Copy the voided invoice's adjustments, each with its amount, reason and author, to
    its replacement draft: finance corrected them once and is not asked line by line again.
    The replacement's recalculation keeps adjustment lines as they are."""
    copies = [
        InvoiceLine(
            invoice=replacement,
            position=line.position,
            kind=LineKind.ADJUSTMENT,
            description=line.description,
            quantity=line.quantity,
            unit_amount=line.unit_amount,
            exact_amount=line.exact_amount,
            amount=line.amount,
            reason=line.reason,
            created_by_id=line.created_by_id,
        )
        for line in voided.lines.filter(kind=LineKind.ADJUSTMENT).order_by("position", "id")
    ]
    return InvoiceLine.objects.bulk_create(copies)


@transaction.atomic
def create_credit_note(invoice_id: int, *, amount, reason: str, actor) -> CreditNote:
    invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
    if invoice.status not in (InvoiceStatus.OPEN, InvoiceStatus.PAID):
        raise ValidationError({"invoice": [_("Credit notes are raised against issued invoices.")]})
    value = parse_amount(amount, invoice.currency)
    if value < 0:
        raise ValidationError({"amount": [_("Enter the amount to credit as a positive number.")]})
    credited = sum(
        note.amount for note in invoice.credit_notes.exclude(status=CreditNoteStatus.VOID)
    )
    if value + credited > invoice.total:
        raise ValidationError(
            {
                "amount": [
                    _("At most %(left)s can still be credited.")
                    % {"left": invoice.total - credited}
                ]
            }
        )
    note = CreditNote.objects.create(
        merchant_id=invoice.merchant_id,
        invoice=invoice,
        amount=value,
        exact_amount=value,
        reason=_reason(reason),
        created_by=actor,
    )
    audit(
        "create_credit_note",
        actor=actor,
        credit_note=note,
        invoice=invoice,
        after={"amount": str(value)},
        reason=note.reason,
    )
    return note


@transaction.atomic
def issue_credit_note(note_id: int, *, actor) -> CreditNote:
    """Number and lock the note; it is applied on the merchant's current or next draft."""
    note = (
        CreditNote.objects.select_for_update().select_related("invoice", "merchant").get(pk=note_id)
    )
    if note.status != CreditNoteStatus.DRAFT:
        raise ValidationError({"credit_note": [_("This credit note is already issued.")]})
    note.number = next_number("credit_note", "CN")
    note.status = CreditNoteStatus.ISSUED
    note.issued_at = timezone.now()
    note.amount = round_money(note.exact_amount, note.invoice.currency)
    note.pdf = pdf.render_credit_note(note)
    note.save()
    audit(
        "issue_credit_note",
        actor=actor,
        credit_note=note,
        invoice=note.invoice,
        after={"number": note.number, "amount": str(note.amount)},
    )
    draft = Invoice.objects.filter(merchant_id=note.merchant_id, status=InvoiceStatus.DRAFT).first()
    if draft is not None:
        recalculate(draft.pk, actor=actor)
    return note


@transaction.atomic
def record_payment(invoice_id: int, *, actor, reference: str = "") -> Invoice:
    """Finance records a bank transfer received."""
    invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
    if invoice.status != InvoiceStatus.OPEN:
        raise ValidationError({"invoice": [_("Only an issued, unpaid invoice can be paid.")]})
    before = snapshot(invoice)
    mark_invoice_paid(invoice)
    audit(
        "record_payment",
        actor=actor,
        invoice=invoice,
        before=before,
        after=snapshot(invoice),
        reason=reference.strip()[:500],
    )
    return invoice


def mark_invoice_paid(invoice: Invoice) -> None:
    """The one way an invoice becomes paid; called for a payment only (a bank transfer
    finance records, or Stripe's), never on approval."""
    from billing.reminders import clear_past_due

    invoice.status = InvoiceStatus.PAID
    invoice.paid_at = timezone.now()
    invoice.payment_failed_at = None
    invoice.save(update_fields=["status", "paid_at", "payment_failed_at"])
    clear_past_due(invoice.merchant_id)


@transaction.atomic
def update_billing_account(merchant_id: int, *, form, actor) -> BillingAccount:
    """Save the billing details a bound, valid form carries (the merchant's own form or
    finance's), audited with before and after. Issued PDFs keep what they were issued with."""
    BillingAccount.objects.get_or_create(merchant_id=merchant_id)
    account = BillingAccount.objects.select_for_update().get(merchant_id=merchant_id)
    fields = list(form.cleaned_data)
    before = {name: str(getattr(account, name)) for name in fields}
    for name in fields:
        setattr(account, name, form.cleaned_data[name])
    account.save(update_fields=fields)
    AuditEntry.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        action="update_billing_account",
        merchant_id=merchant_id,
        before=before,
        after={name: str(getattr(account, name)) for name in fields},
    )
    return account


@transaction.atomic
def set_region_tax_rate(*, region: str, name: str, rate_percent: Decimal, actor) -> TaxRate:
    """Add or change a region's tax rate; drafts pick it up when recalculated, issued
    invoices keep the rate they were issued at."""
    existing = TaxRate.objects.select_for_update().filter(region=region).first()
    before = {"rate": str(existing.rate_percent), "name": existing.name} if existing else {}
    rate, _created = TaxRate.objects.update_or_create(
        region=region, defaults={"name": name, "rate_percent": rate_percent}
    )
    AuditEntry.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        action="set_tax_rate",
        before={"region": region, **before},
        after={"region": region, "rate": str(rate.rate_percent), "name": rate.name},
    )
    return rate


@transaction.atomic
def set_plan_tax_rate(plan: Plan, *, rate_percent: Decimal, actor) -> Plan:
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    before = {"plan": plan.code, "rate": str(plan.tax_rate_percent)}
    plan.tax_rate_percent = rate_percent
    plan.save(update_fields=["tax_rate_percent"])
    AuditEntry.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        action="set_tax_rate",
        before=before,
        after={"plan": plan.code, "rate": str(plan.tax_rate_percent)},
    )
    return plan
