"""Stripe webhooks: verified on the raw body, stored by unique event id, then handled.

A redelivered or reordered event changes nothing the second time: the event id is unique,
and finalize_checkout is idempotent by checkout reference.

A correctly signed event we cannot use (not ours, an unknown type, a shape we do not
expect) is answered 200 "ignored" with its reason, and stored with that reason when it
names a shop: any other answer makes Stripe redeliver it for days, and a 500 would too.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import uuid
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
from commerce.payments.models import Refund, WebhookEvent
from commerce.payments.services import send_owed_refund_now
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
    reason: str = ""  # why an event was ignored


@dataclass(frozen=True)
class _Handled:
    """What one event did: its result, why it was ignored, a checkout owed a refund."""

    result: str
    reason: str = ""
    refund_reference: str | None = None


def _ignored(reason: str) -> _Handled:
    return _Handled(result="ignored", reason=reason)


HANDLED_TYPES = ("payment_intent.succeeded", "account.updated")
# Stripe's ids: a prefix, an underscore, letters and digits (never a NUL byte or a novel).
_ACCOUNT_ID = re.compile(r"acct_[A-Za-z0-9_]{1,59}")
_EVENT_ID = re.compile(r"evt_[A-Za-z0-9_]{1,70}")


def verify_event(payload: bytes, signature: str) -> object:
    """The event's JSON, once its signature over the raw body checks out. Whatever JSON a
    correct signature covers is returned as is: the caller ignores what is not an event."""
    try:
        text = payload.decode("utf-8")
        stripe.WebhookSignature.verify_header(
            text, signature, settings.STRIPE_WEBHOOK_SECRET, stripe.Webhook.DEFAULT_TOLERANCE
        )
        return json.loads(text)
    except (ValueError, stripe.SignatureVerificationError) as error:
        raise InvalidWebhook(str(error)) from error


def handle_webhook(payload: bytes, signature: str) -> WebhookOutcome:
    event = verify_event(payload, signature)
    if not isinstance(event, dict):
        return _ignored_without_shop(_payload_id(payload), "the payload is not an event object")
    if b"\\u0000" in payload:  # PostgreSQL's jsonb cannot store it; Stripe never sends it
        return _ignored_without_shop(_payload_id(payload), "the event holds a NUL character")
    event_id = event.get("id")
    if not isinstance(event_id, str) or not _EVENT_ID.fullmatch(event_id):
        # Still stored under an id of its own, so that its redeliveries deduplicate too.
        event_id = _payload_id(payload)
    account = event.get("account")
    if not isinstance(account, str) or not _ACCOUNT_ID.fullmatch(account):
        return _ignored_without_shop(event_id, "the event names no connected account")
    merchant = Merchant.objects.filter(stripe_account_id=account).first()
    if merchant is None:
        return _ignored_without_shop(event_id, "no shop has this connected account")
    with merchant:
        return _handle_in_shop(merchant, event, event_id)


def _payload_id(payload: bytes) -> str:
    return f"body_{hashlib.sha256(payload).hexdigest()[:40]}"


def _ignored_without_shop(event_id: str, reason: str) -> WebhookOutcome:
    """No shop's schema to store it in: the log is its record."""
    logger.warning("Stripe event %s ignored: %s", event_id, reason)
    return WebhookOutcome(event_id=event_id, result="ignored", reason=reason)


def _handle_in_shop(merchant: Merchant, event: dict, event_id: str) -> WebhookOutcome:
    event_type = event.get("type")
    try:
        with transaction.atomic():
            stored = WebhookEvent.objects.create(
                event_id=event_id,
                event_type=event_type[:80] if isinstance(event_type, str) else "",
                account=merchant.stripe_account_id,
                payload=event,
            )
            handled = _dispatch(merchant, event)
            stored.outcome = handled.result
            stored.reason = handled.reason[:200]
            stored.processed_at = timezone.now()
            stored.save(update_fields=["outcome", "reason", "processed_at"])
    except IntegrityError:
        return WebhookOutcome(event_id=event_id, result="duplicate")
    if handled.reason:
        logger.info("Stripe event %s ignored: %s", event_id, handled.reason)
    if handled.refund_reference:
        # Owed in the event's transaction; tried now, retried by the outbox if Stripe fails.
        refund_unfulfillable_payment(handled.refund_reference)
    return WebhookOutcome(event_id=event_id, result=handled.result, reason=handled.reason)


def _dispatch(merchant: Merchant, event: dict) -> _Handled:
    event_type = event.get("type")
    if not isinstance(event_type, str):
        return _ignored("the event has no type")
    if event_type not in HANDLED_TYPES:
        return _ignored(f"{event_type} events are not handled")
    data = event.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("object"), dict):
        return _ignored("the event has no data.object")
    obj = data["object"]
    if event_type == "payment_intent.succeeded":
        return _payment_succeeded(obj)
    return _account_updated(merchant, obj)


def _payment_succeeded(intent: dict) -> _Handled:
    problem = _intent_problem(intent)
    if problem:
        return _ignored(problem)
    owned = plugin_hooks.card_payment_succeeded(intent)
    if owned is not None:  # a plugin's own payment (a group-buy seat)
        result, _sep, reason = owned.partition(": ")
        return _Handled(result=result, reason=reason)
    reference = intent["metadata"].get("checkout_reference")
    if reference is None:
        return _ignored("no checkout_reference in the metadata")
    try:
        reference = str(uuid.UUID(str(reference)))
    except ValueError:
        return _ignored("checkout_reference is not a checkout reference")
    if not CheckoutSession.objects.filter(reference=reference).exists():
        return _ignored("no checkout has this checkout_reference")
    amount = from_minor_units(intent["amount_received"], intent["currency"].upper())
    try:
        outcome = finalize_checkout(
            reference, payment_intent_id=intent["id"], amount_received=amount
        )
    except ValidationError:
        logger.error("Payment %s does not match checkout %s", intent["id"], reference)
        return _ignored("the amount paid does not match the checkout")
    return _Handled(
        result="processed", refund_reference=reference if outcome.needs_refund else None
    )


def _intent_problem(intent: dict) -> str:
    """What makes this PaymentIntent unusable, or "" when its fields are as Stripe sends them."""
    if not isinstance(intent.get("id"), str) or not intent["id"].startswith("pi_"):
        return "the payment has no PaymentIntent id"
    if not isinstance(intent.get("metadata"), dict):
        return "the payment has no metadata"
    received = intent.get("amount_received")
    if isinstance(received, bool) or not isinstance(received, int) or received < 0:
        return "amount_received is not a whole number of minor units"
    currency = intent.get("currency")
    if not isinstance(currency, str) or not re.fullmatch(r"[a-z]{3}", currency):
        return "currency is not a currency code"
    return ""


def _account_updated(merchant: Merchant, account: dict) -> _Handled:
    if account.get("id") != merchant.stripe_account_id:
        return _ignored("the update is about another account")
    charges_enabled = account.get("charges_enabled")
    if not isinstance(charges_enabled, bool):
        return _ignored("charges_enabled is not true or false")
    set_stripe_account(
        merchant=merchant, account_id=merchant.stripe_account_id, charges_enabled=charges_enabled
    )
    return _Handled(result="processed")


def refund_unfulfillable_payment(reference: str) -> bool:
    """A payment arrived for a checkout whose stock is gone and `finalize_checkout` owed it
    back: try the refund now. True when Stripe confirmed it; else the outbox retries it."""
    refund = Refund.objects.get(idempotency_key=f"checkout:{reference}:refund-unfulfillable")
    return send_owed_refund_now(refund)


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
        refund_unfulfillable_payment(str(session.reference))
        return "refunded", None
    return "succeeded", outcome.order
