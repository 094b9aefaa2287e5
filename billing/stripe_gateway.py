"""Issuing platform invoices in Stripe (the platform's own account, not Connect).

Every call carries an idempotency key derived from our ids, so a push retried after a crash
or a timeout creates nothing twice. No database lock is held while these run.
"""

from __future__ import annotations

from dataclasses import dataclass

import stripe

from billing.models import BillingAccount, Invoice
from core.stripe_client import stripe_client
from tenants.money import to_minor_units


@dataclass(frozen=True)
class PushResult:
    stripe_invoice_id: str
    hosted_url: str
    status: str  # Stripe's invoice status after the push: "open" or "paid"
    payment_error: str = ""


def ensure_customer(account: BillingAccount) -> str:
    if account.stripe_customer_id:
        return account.stripe_customer_id
    merchant = account.merchant
    customer = stripe_client().v1.customers.create(
        params={
            "email": account.billing_email or None,
            "name": merchant.name,
            "metadata": {"merchant_id": str(merchant.pk), "slug": merchant.slug},
        },
        options={"idempotency_key": f"billing-customer:{merchant.pk}"},
    )
    account.stripe_customer_id = customer.id
    account.save(update_fields=["stripe_customer_id"])
    return customer.id


def push_invoice(invoice: Invoice, account: BillingAccount) -> PushResult:
    """Create, fill, finalize and collect the invoice in Stripe."""
    client = stripe_client()
    customer_id = ensure_customer(account)
    key = f"billing-invoice:{invoice.pk}"
    stripe_invoice = client.v1.invoices.create(
        params={
            "customer": customer_id,
            "currency": invoice.currency.lower(),
            "collection_method": "charge_automatically",
            "auto_advance": False,
            "pending_invoice_items_behavior": "exclude",
            "metadata": {"platform_invoice": invoice.number or "", "invoice_pk": str(invoice.pk)},
        },
        options={"idempotency_key": f"{key}:create"},
    )
    for line in invoice.lines.all():
        client.v1.invoice_items.create(
            params={
                "customer": customer_id,
                "invoice": stripe_invoice.id,
                "amount": to_minor_units(line.amount, invoice.currency),
                "currency": invoice.currency.lower(),
                "description": line.description[:250],
                "metadata": {"line_pk": str(line.pk)},
            },
            options={"idempotency_key": f"{key}:line:{line.pk}"},
        )
    finalized = client.v1.invoices.finalize_invoice(
        stripe_invoice.id, options={"idempotency_key": f"{key}:finalize"}
    )
    try:
        paid = client.v1.invoices.pay(stripe_invoice.id, options={"idempotency_key": f"{key}:pay"})
    except stripe.CardError as error:
        # The invoice.payment_failed webhook starts dunning; here we only report it.
        return PushResult(
            stripe_invoice_id=stripe_invoice.id,
            hosted_url=finalized.hosted_invoice_url or "",
            status="open",
            payment_error=error.user_message or str(error),
        )
    return PushResult(
        stripe_invoice_id=stripe_invoice.id,
        hosted_url=finalized.hosted_invoice_url or "",
        status=paid.status,
    )
