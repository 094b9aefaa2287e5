"""Stripe webhooks of the platform account (invoice payments), on an endpoint of their own.

Verified on the raw body with the real `stripe` library; stored by unique event id, so a
duplicate changes nothing; an event about an invoice that is already paid or void is a no-op,
so reordering is harmless too.
"""

from __future__ import annotations

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from billing.models import Invoice, InvoiceStatus, StripeBillingEvent
from billing.services import mark_invoice_paid


class InvalidWebhook(Exception):
    """Bad signature or unreadable payload: answer 400, change nothing."""


def handle_billing_webhook(payload: bytes, signature: str) -> str:
    try:
        event = stripe.Webhook.construct_event(
            payload, signature, settings.STRIPE_BILLING_WEBHOOK_SECRET
        ).to_dict()
    except (ValueError, stripe.SignatureVerificationError) as error:
        raise InvalidWebhook(str(error)) from error
    except AttributeError:
        return "ignored"  # signed JSON that is not an event object: 200, so Stripe stops
    if not isinstance(event.get("id"), str) or not isinstance(event.get("type"), str):
        return "ignored"  # no id to store it under, or no type to act on
    if b"\\u0000" in payload:
        return "ignored"  # PostgreSQL's jsonb cannot store a NUL; Stripe never sends one
    try:
        with transaction.atomic():
            StripeBillingEvent.objects.create(
                event_id=event["id"], event_type=event["type"], payload=event
            )
            return _dispatch(event)
    except IntegrityError:
        return "duplicate"


def _dispatch(event: dict) -> str:
    if event["type"] not in ("invoice.paid", "invoice.payment_failed"):
        return "ignored"
    data = event.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    if not isinstance(obj, dict) or not isinstance(obj.get("id"), str) or "\x00" in obj["id"]:
        return "ignored"  # stored above, so a redelivery is a duplicate
    invoice = Invoice.objects.select_for_update().filter(stripe_invoice_id=obj["id"] or "-").first()
    if invoice is None or invoice.status != InvoiceStatus.OPEN:
        return "ignored"
    if event["type"] == "invoice.paid":
        mark_invoice_paid(invoice)
        return "processed"
    if invoice.payment_failed_at is None:
        invoice.payment_failed_at = timezone.now()
        invoice.save(update_fields=["payment_failed_at"])
    return "processed"
