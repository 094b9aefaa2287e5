"""Stripe webhooks: verified on the raw body, stored by unique event id, then handled.

A redelivered or reordered event changes nothing the second time: the event id is unique,
and finalize_checkout is idempotent by checkout reference.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal

import stripe
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from commerce.checkout.models import CheckoutSession
from commerce.checkout.services import finalize_checkout
from commerce.payments import card
from commerce.payments.models import WebhookEvent
from commerce.plugins import hooks as plugin_hooks
from tenants.models import Merchant
from tenants.money import from_minor_units
from tenants.services import set_stripe_account

logger = logging.getLogger(__name__)


class InvalidWebhook(Exception):
    """Bad signature or unreadable payload: answer 400, change nothing."""


@dataclass(frozen=True)
class WebhookOutcome:
    event_id: str
    result: str  # "processed", "duplicate", "ignored"


def verify_event(payload: bytes, signature: str) -> dict:
    """The event as a plain dict, once its signature over the raw body checks out."""
    try:
        event = stripe.Webhook.construct_event(payload, signature, settings.STRIPE_WEBHOOK_SECRET)
    except (ValueError, stripe.SignatureVerificationError) as error:
        raise InvalidWebhook(str(error)) from error
    return event.to_dict()


def handle_webhook(payload: bytes, signature: str) -> WebhookOutcome:
    event = verify_event(payload, signature)
    account = event.get("account") or ""
    merchant = Merchant.objects.filter(stripe_account_id=account).first() if account else None
    if merchant is None:
        return WebhookOutcome(event_id=event["id"], result="ignored")
    with merchant:
        return _handle_in_shop(merchant, event)


def _handle_in_shop(merchant: Merchant, event: dict) -> WebhookOutcome:
    refund_reference = None
    try:
        with transaction.atomic():
            stored = WebhookEvent.objects.create(
                event_id=event["id"],
                event_type=event["type"],
                account=event.get("account") or "",
                payload=event,
            )
            result, refund_reference = _dispatch(merchant, event)
            stored.processed_at = timezone.now()
            stored.save(update_fields=["processed_at"])
    except IntegrityError:
        return WebhookOutcome(event_id=event["id"], result="duplicate")
    if refund_reference:
        refund_unfulfillable_payment(merchant, refund_reference)
    return WebhookOutcome(event_id=event["id"], result=result)


def _dispatch(merchant: Merchant, event: dict) -> tuple[str, str | None]:
    obj = event["data"]["object"]
    if event["type"] == "payment_intent.succeeded":
        owned = plugin_hooks.card_payment_succeeded(obj)
        if owned is not None:  # a plugin's own payment (a group-buy seat)
            return owned, None
        reference = (obj.get("metadata") or {}).get("checkout_reference", "")
        if not CheckoutSession.objects.filter(reference=reference).exists():
            return "ignored", None
        amount = from_minor_units(obj.get("amount_received") or 0, obj["currency"].upper())
        try:
            outcome = finalize_checkout(
                reference, payment_intent_id=obj["id"], amount_received=amount
            )
        except ValidationError:
            logger.error("Payment %s does not match checkout %s", obj["id"], reference)
            return "ignored", None
        return "processed", reference if outcome.needs_refund else None
    if event["type"] == "account.updated" and obj.get("id") == merchant.stripe_account_id:
        set_stripe_account(
            merchant=merchant,
            account_id=merchant.stripe_account_id,
            charges_enabled=bool(obj.get("charges_enabled")),
        )
        return "processed", None
    return "ignored", None


def refund_unfulfillable_payment(merchant: Merchant, reference: str) -> str:
    """A payment arrived for a checkout whose stock is gone: give the money back (once)."""
    session = CheckoutSession.objects.get(reference=reference)
    return card.refund_payment_intent(
        account_id=merchant.stripe_account_id,
        intent_id=session.payment_intent_id or "",
        amount=session.total,
        currency=session.currency,
        idempotency_key=f"checkout:{reference}:refund-unfulfillable",
    )


def finalize_from_stripe(session: CheckoutSession) -> tuple[str, object]:
    """Ask Stripe how the checkout's payment stands and finalize when it succeeded.

    Used by the return page and by the reservation-expiry task. Returns (status, order).
    """
    merchant = connection.tenant
    if not session.payment_intent_id:
        return "no_payment", None
    intent = card.retrieve_payment_intent(
        account_id=merchant.stripe_account_id, intent_id=session.payment_intent_id
    )
    if intent.status != "succeeded":
        return intent.status, None
    outcome = finalize_checkout(
        str(session.reference),
        payment_intent_id=intent.id,
        amount_received=Decimal(intent.amount_received),
    )
    if outcome.needs_refund:
        refund_unfulfillable_payment(merchant, str(session.reference))
        return "refunded", None
    return "succeeded", outcome.order
