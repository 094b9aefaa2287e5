"""An invoice's total is never below zero (credits beyond it are carried forward), and an
invoice issued at zero is "settled", not "paid" (only a payment pays)."""

from decimal import Decimal

from django.db import migrations, models
from django.utils import timezone


def carry_negative_totals_forward(apps, schema_editor):
    """Invoices written before the rule: their negative total becomes a carry-forward line
    (total zero); an issued one was marked paid on approval, so it becomes settled and its
    excess an issued credit note for the next invoice, as `services.approve` does now."""
    Invoice = apps.get_model("billing", "Invoice")
    InvoiceLine = apps.get_model("billing", "InvoiceLine")
    CreditNote = apps.get_model("billing", "CreditNote")
    InvoiceSequence = apps.get_model("billing", "InvoiceSequence")
    for invoice in Invoice.objects.filter(total__lt=0).order_by("pk"):
        excess = -invoice.total
        InvoiceLine.objects.create(
            invoice=invoice,
            position=999,
            kind="carryforward",
            description="Credit beyond this invoice's charges, carried forward",
            unit_amount=excess,
            exact_amount=excess,
            amount=excess,
        )
        invoice.total = Decimal("0")
        if invoice.status == "paid":
            invoice.status = "settled"
            invoice.paid_at = None
            sequence, _created = InvoiceSequence.objects.get_or_create(name="credit_note")
            sequence.last_value += 1
            sequence.save(update_fields=["last_value"])
            CreditNote.objects.create(
                merchant_id=invoice.merchant_id,
                invoice=invoice,
                number=f"CN-{sequence.last_value:06d}",
                status="issued",
                issued_at=timezone.now(),
                amount=excess,
                exact_amount=excess,
                reason=f"Credit beyond the charges of invoice {invoice.number}, carried forward",
                unique_key=f"carry-forward:{invoice.pk}",
            )
        invoice.save(update_fields=["total", "status", "paid_at"])


class Migration(migrations.Migration):
    dependencies = [("billing", "0002_seed_plans")]

    operations = [
        migrations.AlterField(
            model_name="invoice",
            name="status",
            field=models.CharField(
                choices=[
                    ("draft", "Draft"),
                    ("open", "Issued, unpaid"),
                    ("paid", "Paid"),
                    ("settled", "Issued at zero, nothing to pay"),
                    ("void", "Void"),
                ],
                default="draft",
                max_length=8,
            ),
        ),
        migrations.AlterField(
            model_name="invoiceline",
            name="kind",
            field=models.CharField(
                choices=[
                    ("subscription", "Subscription"),
                    ("commission", "Commission"),
                    ("true_up", "Minimum commitment true-up"),
                    ("seats", "Extra staff seats"),
                    ("storage", "Extra storage"),
                    ("plugin", "Plugin"),
                    ("credit", "Credit note applied"),
                    ("adjustment", "Adjustment"),
                    ("carryforward", "Credit carried forward to the next invoice"),
                ],
                max_length=12,
            ),
        ),
        migrations.RunPython(carry_negative_totals_forward, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="invoice",
            constraint=models.CheckConstraint(
                condition=models.Q(("total__gte", 0)), name="invoice_total_not_negative"
            ),
        ),
    ]
