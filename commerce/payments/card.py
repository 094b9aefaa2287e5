"""Card payments through Stripe Connect: PaymentIntents on the merchant's connected account.

Every call carries an idempotency key derived from the checkout reference, so a retried
request never charges twice. No database lock is held while these run.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings

from core.stripe_client import stripe_client
from tenants.money import from_minor_units, to_minor_units


@dataclass(frozen=True)
class IntentState:
    id: str
    status: str
    client_secret: str
    amount_received: Decimal
    currency: str
    checkout_reference: str
    metadata: dict


def _state(stripe_intent) -> IntentState:
    intent = stripe_intent.to_dict()
    currency = intent["currency"].upper()
    return IntentState(
        id=intent["id"],
        status=intent["status"],
        client_secret=intent.get("client_secret") or "",
        amount_received=from_minor_units(intent.get("amount_received") or 0, currency),
        currency=currency,
        checkout_reference=(intent.get("metadata") or {}).get("checkout_reference", ""),
        metadata=intent.get("metadata") or {},
    )


def create_intent(
    *, account_id: str, amount: Decimal, currency: str, metadata: dict, idempotency_key: str
) -> IntentState:
    intent = stripe_client().v1.payment_intents.create(
        params={
            "amount": to_minor_units(amount, currency),
            "currency": currency.lower(),
            "automatic_payment_methods": {"enabled": True},
            "metadata": metadata,
        },
        options={"idempotency_key": idempotency_key, "stripe_account": account_id},
    )
    return _state(intent)


def create_payment_intent(
    *, account_id: str, reference: str, amount: Decimal, currency: str, schema_name: str
) -> IntentState:
    return create_intent(
        account_id=account_id,
        amount=amount,
        currency=currency,
        metadata={"checkout_reference": reference, "schema": schema_name},
        idempotency_key=f"checkout:{reference}:intent",
    )


def retrieve_payment_intent(*, account_id: str, intent_id: str) -> IntentState:
    intent = stripe_client().v1.payment_intents.retrieve(
        intent_id, options={"stripe_account": account_id}
    )
    return _state(intent)


def refund_payment_intent(
    *, account_id: str, intent_id: str, amount: Decimal, currency: str, idempotency_key: str
) -> str:
    """Refund (part of) a payment; returns Stripe's refund id."""
    refund = stripe_client().v1.refunds.create(
        params={"payment_intent": intent_id, "amount": to_minor_units(amount, currency)},
        options={"idempotency_key": idempotency_key, "stripe_account": account_id},
    )
    return refund["id"]


def card_payments_configured() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


def create_connected_account(*, email: str, country: str, idempotency_key: str) -> str:
    """An Express account on the platform for one shop; returns its id (acct_…)."""
    account = stripe_client().v1.accounts.create(
        params={
            "type": "express",
            "email": email,
            "country": country,
            "capabilities": {
                "card_payments": {"requested": True},
                "transfers": {"requested": True},
            },
        },
        options={"idempotency_key": idempotency_key},
    )
    return account["id"]


def create_onboarding_link(*, account_id: str, refresh_url: str, return_url: str) -> str:
    """Stripe's hosted onboarding page for the account (single use, short-lived)."""
    link = stripe_client().v1.account_links.create(
        params={
            "account": account_id,
            "refresh_url": refresh_url,
            "return_url": return_url,
            "type": "account_onboarding",
        }
    )
    return link["url"]


def account_charges_enabled(account_id: str) -> bool:
    return bool(stripe_client().v1.accounts.retrieve(account_id)["charges_enabled"])
