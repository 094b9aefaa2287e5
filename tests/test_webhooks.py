"""Invariants 3 and 4: a checkout completes at most once; webhooks are verified on the raw
body, stored by unique id, and duplicates or reordering change nothing."""

import json
import random
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client

from commerce.catalog.models import Stock
from commerce.checkout.models import CheckoutSession, CheckoutStatus
from commerce.checkout.services import (
    release_expired_reservations,
)
from commerce.orders.models import Order, PaymentStatus
from commerce.payments.models import WebhookEvent
from tenants.models import Merchant
from tests.card_shop import card_checkout
from tests.conftest import on_host
from tests.stripe_events import WEBHOOK_SECRET, payment_intent_event, sign

pytestmark = pytest.mark.django_db
ACCOUNT = "acct_1QabcDEFghiJKLmn"


@pytest.fixture
def card_shop(shop, settings):
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    paying = card_checkout(shop.merchant, account=ACCOUNT, intent_id="pi_3QtestIntent")
    connection.set_schema_to_public()
    return paying.merchant, str(paying.checkout.reference), paying.variant.pk


def deliver(payload: bytes, signature: str | None = None):
    return on_host(Client(), "localhost").post(
        "/webhooks/stripe/",
        payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(payload) if signature is None else signature,
    )


def succeeded(reference: str, event_id: str = "evt_1QsucceededA", amount: int = 13600) -> bytes:
    return payment_intent_event(
        event_id=event_id,
        account=ACCOUNT,
        intent_id="pi_3QtestIntent",
        reference=reference,
        amount=amount,
    )


def test_a_signed_success_event_turns_the_checkout_into_one_paid_order(card_shop):
    merchant, reference, variant_id = card_shop

    response = deliver(succeeded(reference))

    assert response.status_code == 200
    assert response.json() == {"event": "evt_1QsucceededA", "result": "processed"}
    with merchant:
        order = Order.objects.get()
        assert (str(order.reference), order.total, order.payment_status) == (
            reference,
            Decimal("136.00"),
            PaymentStatus.PAID,
        )
        assert CheckoutSession.objects.get().status == CheckoutStatus.COMPLETED
        assert Stock.objects.get(variant_id=variant_id).quantity == 3
        assert list(order.events.values_list("kind", flat=True)) == ["placed", "paid"]


def test_the_same_event_ten_times_and_out_of_order_changes_state_once(card_shop):
    merchant, reference, _variant_id = card_shop
    failed_first = payment_intent_event(
        event_id="evt_1QfailedB",
        account=ACCOUNT,
        intent_id="pi_3QtestIntent",
        reference=reference,
        amount=13600,
        event_type="payment_intent.payment_failed",
        status="requires_payment_method",
    )
    deliveries = [succeeded(reference)] * 10 + [failed_first] * 3
    random.Random(7).shuffle(deliveries)

    results = [deliver(payload).json()["result"] for payload in deliveries]

    assert results.count("processed") == 1
    assert results.count("duplicate") == 11
    assert results.count("ignored") == 1
    with merchant:
        assert Order.objects.count() == 1
        assert sorted(WebhookEvent.objects.values_list("event_id", flat=True)) == [
            "evt_1QfailedB",
            "evt_1QsucceededA",
        ]
        assert Order.objects.get().events.filter(kind="paid").count() == 1


def test_a_forged_signature_is_refused_and_changes_nothing(card_shop):
    merchant, reference, _variant_id = card_shop
    payload = succeeded(reference)

    forged = deliver(payload, signature=sign(payload, secret="whsec_attacker"))
    tampered = deliver(payload.replace(b"13600", b"100"), signature=sign(payload))
    missing = deliver(payload, signature="")

    assert [forged.status_code, tampered.status_code, missing.status_code] == [400, 400, 400]
    with merchant:
        assert not Order.objects.exists()
        assert not WebhookEvent.objects.exists()
        assert CheckoutSession.objects.get().status == CheckoutStatus.RESERVED


def test_a_payment_for_the_wrong_amount_makes_no_order(card_shop):
    merchant, reference, _variant_id = card_shop

    response = deliver(succeeded(reference, amount=100))

    assert response.json()["result"] == "ignored"
    with merchant:
        assert not Order.objects.exists()


def test_events_of_unknown_accounts_are_acknowledged_and_ignored(card_shop):
    _merchant, reference, _variant_id = card_shop
    payload = payment_intent_event(
        event_id="evt_other",
        account="acct_someone_else",
        intent_id="pi_x",
        reference=reference,
        amount=13600,
    )

    assert deliver(payload).json() == {
        "event": "evt_other",
        "result": "ignored",
        "reason": "no shop has this connected account",
    }


def test_a_late_payment_after_expiry_takes_the_stock_again_when_it_is_still_there(card_shop):
    merchant, reference, variant_id = card_shop
    with merchant:
        CheckoutSession.objects.update(reserved_until="2000-01-01T00:00:00Z")
        assert release_expired_reservations() == 1
        assert Stock.objects.get(variant_id=variant_id).quantity == 5

    deliver(succeeded(reference))

    with merchant:
        assert Order.objects.count() == 1
        assert Stock.objects.get(variant_id=variant_id).quantity == 3


def test_an_account_update_switches_card_payments_and_the_shop_sees_it_at_once(card_shop):
    merchant, _reference, _variant_id = card_shop
    on_host(Client(), "alpha.localhost").get("/")  # caches the shop for its host
    payload = json.dumps(
        {
            "id": "evt_account_1",
            "object": "event",
            "account": ACCOUNT,
            "type": "account.updated",
            "data": {"object": {"id": ACCOUNT, "object": "account", "charges_enabled": False}},
        }
    ).encode()

    assert deliver(payload).json()["result"] == "processed"

    assert Merchant.objects.get(pk=merchant.pk).stripe_charges_enabled is False
    from tenants.hosts import merchant_for_host

    assert merchant_for_host("alpha.localhost").stripe_charges_enabled is False
