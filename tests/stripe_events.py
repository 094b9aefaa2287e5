"""Realistic Stripe Connect event payloads, signed the way Stripe signs them."""

import hashlib
import hmac
import json
import time

WEBHOOK_SECRET = "whsec_test_0123456789abcdef"


def sign(payload: bytes, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    timestamp = timestamp or int(time.time())
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def payment_intent_event(
    *,
    event_id: str,
    account: str,
    intent_id: str,
    reference: str,
    amount: int,
    currency: str = "cny",
    event_type: str = "payment_intent.succeeded",
    status: str = "succeeded",
) -> bytes:
    """The body of a `payment_intent.*` event from a connected account (API 2025-era shape)."""
    created = int(time.time())
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "account": account,
            "api_version": "2025-09-30.clover",
            "created": created,
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": event_type,
            "data": {
                "object": {
                    "id": intent_id,
                    "object": "payment_intent",
                    "amount": amount,
                    "amount_capturable": 0,
                    "amount_received": amount if status == "succeeded" else 0,
                    "capture_method": "automatic_async",
                    "client_secret": f"{intent_id}_secret_test",
                    "confirmation_method": "automatic",
                    "created": created - 30,
                    "currency": currency,
                    "latest_charge": f"ch_{intent_id[3:]}",
                    "livemode": False,
                    "metadata": {"checkout_reference": reference, "schema": "m_test"},
                    "payment_method": "pm_card_visa",
                    "payment_method_types": ["card"],
                    "status": status,
                }
            },
        }
    ).encode()
