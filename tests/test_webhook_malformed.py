"""Invariant 4 and bad input: a correctly signed Stripe event that is not one of ours, or
not in the shape we expect, is answered 200 "ignored" (any other answer makes Stripe send
it again for days), recorded with the reason, and changes no order, checkout or seat.
Events are signed like Stripe signs them and verified by the real `stripe` library."""

import copy
import json
import logging
import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client

from commerce.catalog.models import Stock
from commerce.checkout.models import CheckoutSession, CheckoutStatus
from commerce.groupbuy.models import TeamMember
from commerce.groupbuy.seats import take_seat
from commerce.orders.models import Order
from commerce.payments.models import WebhookEvent
from tenants.models import Merchant
from tests.card_shop import card_checkout, launch_duo_campaign
from tests.conftest import on_host
from tests.stripe_events import WEBHOOK_SECRET, payment_intent_event, sign

pytestmark = pytest.mark.django_db
ACCOUNT = "acct_1QmalformedShop"


@pytest.fixture
def paying_shop(shop, settings):
    """A shop with a checkout and a group-buy seat, both awaiting their card payment."""
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    paying = card_checkout(shop.merchant, account=ACCOUNT, intent_id="pi_3Qcheckout")
    merchant, checkout, variant = paying.merchant, paying.checkout, paying.variant
    with merchant:
        campaign = launch_duo_campaign(variant.pk, group_price=Decimal("50.00"))
        seat = take_seat(
            campaign_id=campaign.pk, email="lead@example.test", payment_method="stripe"
        )
        Order.objects.filter(pk=seat.order_id).update(payment_intent_id="pi_3Qseat")
    connection.set_schema_to_public()
    return merchant, str(checkout.reference), seat.pk


def deliver(payload: bytes):
    return on_host(Client(), "localhost").post(
        "/webhooks/stripe/",
        payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(payload),
    )


def checkout_paid(reference: str) -> dict:
    return json.loads(
        payment_intent_event(
            event_id="evt_1Qmalformed",
            account=ACCOUNT,
            intent_id="pi_3Qcheckout",
            reference=reference,
            amount=13600,
        )
    )


def seat_paid(seat) -> dict:
    event = checkout_paid("")
    event["data"]["object"].update(id="pi_3Qseat", amount=5000, amount_received=5000)
    event["data"]["object"]["metadata"] = {"groupbuy_seat": seat}
    return event


def without(event: dict, *path: str) -> dict:
    changed = copy.deepcopy(event)
    *parents, last = path
    target = changed
    for key in parents:
        target = target[key]
    del target[last]
    return changed


def with_value(event: dict, value, *path: str) -> dict:
    changed = copy.deepcopy(event)
    *parents, last = path
    target = changed
    for key in parents:
        target = target[key]
    target[last] = value
    return changed


OBJECT = ("data", "object")
METADATA = (*OBJECT, "metadata")

# (name, how the event is made from (checkout reference, seat id), the recorded reason)
MALFORMED = [
    (
        "no checkout_reference",
        lambda ref, seat: without(checkout_paid(ref), *METADATA, "checkout_reference"),
        "no checkout_reference in the metadata",
    ),
    (
        "checkout_reference not a uuid",
        lambda ref, seat: with_value(
            checkout_paid(ref), "12; DROP", *METADATA, "checkout_reference"
        ),
        "checkout_reference is not a checkout reference",
    ),
    (
        "checkout_reference a number",
        lambda ref, seat: with_value(checkout_paid(ref), 42, *METADATA, "checkout_reference"),
        "checkout_reference is not a checkout reference",
    ),
    (
        "unknown checkout_reference",
        lambda ref, seat: with_value(
            checkout_paid(ref), str(uuid.uuid4()), *METADATA, "checkout_reference"
        ),
        "no checkout has this checkout_reference",
    ),
    (
        "wrong amount for the checkout",
        lambda ref, seat: with_value(checkout_paid(ref), 100, *OBJECT, "amount_received"),
        "the amount paid does not match the checkout",
    ),
    (
        "groupbuy_seat not an integer",
        lambda ref, seat: seat_paid("seven"),
        "groupbuy_seat is not a seat number",
    ),
    (
        "groupbuy_seat huge",
        lambda ref, seat: seat_paid("9" * 40),
        "groupbuy_seat is not a seat number",
    ),
    (
        "groupbuy_seat negative",
        lambda ref, seat: seat_paid("-1"),
        "groupbuy_seat is not a seat number",
    ),
    (
        "groupbuy_seat a list",
        lambda ref, seat: seat_paid([seat]),
        "groupbuy_seat is not a seat number",
    ),
    (
        "unknown groupbuy_seat",
        lambda ref, seat: seat_paid(str(seat + 1000)),
        "no seat of this payment and amount",
    ),
    (
        "seat paid the wrong amount",
        lambda ref, seat: with_value(seat_paid(str(seat)), 100, *OBJECT, "amount_received"),
        "no seat of this payment and amount",
    ),
    (
        "no data",
        lambda ref, seat: without(checkout_paid(ref), "data"),
        "the event has no data.object",
    ),
    (
        "no object",
        lambda ref, seat: without(checkout_paid(ref), *OBJECT),
        "the event has no data.object",
    ),
    (
        "data a list",
        lambda ref, seat: with_value(checkout_paid(ref), [], "data"),
        "the event has no data.object",
    ),
    (
        "object a string",
        lambda ref, seat: with_value(checkout_paid(ref), "pi_3Qcheckout", *OBJECT),
        "the event has no data.object",
    ),
    (
        "metadata a string",
        lambda ref, seat: with_value(checkout_paid(ref), "x", *METADATA),
        "the payment has no metadata",
    ),
    (
        "no intent id",
        lambda ref, seat: without(checkout_paid(ref), *OBJECT, "id"),
        "the payment has no PaymentIntent id",
    ),
    (
        "amount_received a string",
        lambda ref, seat: with_value(checkout_paid(ref), "13600", *OBJECT, "amount_received"),
        "amount_received is not a whole number of minor units",
    ),
    (
        "amount_received negative",
        lambda ref, seat: with_value(checkout_paid(ref), -13600, *OBJECT, "amount_received"),
        "amount_received is not a whole number of minor units",
    ),
    (
        "amount_received a float",
        lambda ref, seat: with_value(checkout_paid(ref), 13600.0, *OBJECT, "amount_received"),
        "amount_received is not a whole number of minor units",
    ),
    (
        "no currency",
        lambda ref, seat: without(checkout_paid(ref), *OBJECT, "currency"),
        "currency is not a currency code",
    ),
    (
        "currency a number",
        lambda ref, seat: with_value(checkout_paid(ref), 156, *OBJECT, "currency"),
        "currency is not a currency code",
    ),
    (
        "unknown event type",
        lambda ref, seat: with_value(checkout_paid(ref), "charge.dispute.created", "type"),
        "charge.dispute.created events are not handled",
    ),
    (
        "no event type",
        lambda ref, seat: without(checkout_paid(ref), "type"),
        "the event has no type",
    ),
    (
        "event type a number",
        lambda ref, seat: with_value(checkout_paid(ref), 7, "type"),
        "the event has no type",
    ),
    (
        "account update for another account",
        lambda ref, seat: {
            **checkout_paid(ref),
            "type": "account.updated",
            "data": {"object": {"id": "acct_1Qsomebody", "charges_enabled": False}},
        },
        "the update is about another account",
    ),
    (
        "account update with charges_enabled not a boolean",
        lambda ref, seat: {
            **checkout_paid(ref),
            "type": "account.updated",
            "data": {"object": {"id": ACCOUNT, "charges_enabled": "no"}},
        },
        "charges_enabled is not true or false",
    ),
]


def assert_nothing_changed(merchant, seat_id: int) -> None:
    assert Merchant.objects.get(pk=merchant.pk).stripe_charges_enabled is True
    with merchant:
        assert CheckoutSession.objects.get().status == CheckoutStatus.RESERVED
        assert CheckoutSession.objects.get().order_id is None
        seat = TeamMember.objects.select_related("order", "team").get(pk=seat_id)
        assert (seat.status, seat.team.seats_paid) == ("reserved", 0)
        assert list(Order.objects.values_list("pk", "payment_status")) == [
            (seat.order_id, "pending")
        ]
        assert Stock.objects.get().quantity == 2  # 2 held by the checkout, 1 by the seat


@pytest.mark.parametrize(
    ("make_event", "reason"),
    [pytest.param(make, reason, id=name) for name, make, reason in MALFORMED],
)
def test_a_signed_event_of_an_unexpected_shape_is_ignored_and_recorded(
    paying_shop, make_event, reason
):
    merchant, reference, seat_id = paying_shop
    payload = json.dumps(make_event(reference, seat_id)).encode()

    response = deliver(payload)
    again = deliver(payload)

    assert response.status_code == 200
    assert response.json() == {"event": "evt_1Qmalformed", "result": "ignored", "reason": reason}
    assert (again.status_code, again.json()) == (
        200,
        {"event": "evt_1Qmalformed", "result": "duplicate"},
    )
    with merchant:
        stored = WebhookEvent.objects.get()
        assert (stored.event_id, stored.outcome, stored.reason, stored.account) == (
            "evt_1Qmalformed",
            "ignored",
            reason,
            ACCOUNT,
        )
        assert stored.processed_at is not None
    assert_nothing_changed(merchant, seat_id)


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        pytest.param([], "the payload is not an event object", id="a list"),
        pytest.param(None, "the payload is not an event object", id="null"),
        pytest.param("evt_1", "the payload is not an event object", id="a string"),
        pytest.param(
            {"id": "evt_1Qnoaccount", "type": "payment_intent.succeeded"},
            "the event names no connected account",
            id="no account",
        ),
        pytest.param(
            {"id": "evt_1Qnoaccount", "account": 12345, "type": "payment_intent.succeeded"},
            "the event names no connected account",
            id="account a number",
        ),
        pytest.param(
            {"id": "evt_1Qnoaccount", "account": "acct_1Q\u0000x", "type": "account.updated"},
            "the event holds a NUL character",
            id="account with a NUL",
        ),
        pytest.param(
            {"id": "evt_1Qnoaccount", "account": "acct_1Qnobody", "type": "account.updated"},
            "no shop has this connected account",
            id="account of no shop",
        ),
    ],
)
def test_a_signed_event_that_names_no_shop_is_ignored_and_logged(
    paying_shop, event, reason, caplog
):
    merchant, _reference, seat_id = paying_shop
    payload = json.dumps(event).encode()

    with caplog.at_level(logging.WARNING, logger="commerce.payments.webhooks"):
        response = deliver(payload)

    assert response.status_code == 200
    assert (response.json()["result"], response.json()["reason"]) == ("ignored", reason)
    assert [record.getMessage().split(" ignored: ")[1] for record in caplog.records] == [reason]
    with merchant:
        assert not WebhookEvent.objects.exists()
    assert_nothing_changed(merchant, seat_id)


def test_an_event_without_an_id_is_stored_under_one_of_its_body_and_deduplicates(paying_shop):
    merchant, reference, seat_id = paying_shop
    payload = (
        json.dumps(without(checkout_paid(reference), *METADATA, "checkout_reference"))
        .replace('"id": "evt_1Qmalformed", ', "")
        .encode()
    )
    assert b"evt_1Qmalformed" not in payload

    first = deliver(payload)
    second = deliver(payload)

    assert first.json()["result"] == "ignored"
    assert first.json()["event"].startswith("body_")
    assert second.json() == {"event": first.json()["event"], "result": "duplicate"}
    with merchant:
        assert list(WebhookEvent.objects.values_list("event_id", "reason")) == [
            (first.json()["event"], "no checkout_reference in the metadata")
        ]
    assert_nothing_changed(merchant, seat_id)


def test_a_signed_body_that_is_not_json_is_refused_and_changes_nothing(paying_shop):
    merchant, _reference, seat_id = paying_shop

    response = deliver(b"\xff\xfe not json")

    assert response.status_code == 400
    with merchant:
        assert not WebhookEvent.objects.exists()
    assert_nothing_changed(merchant, seat_id)


def test_the_well_formed_events_still_pay_the_checkout_and_the_seat(paying_shop):
    merchant, reference, seat_id = paying_shop
    seat_event = seat_paid(str(seat_id))
    seat_event["id"] = "evt_1Qseatpaid"

    paid_checkout = deliver(json.dumps(checkout_paid(reference)).encode())
    paid_seat = deliver(json.dumps(seat_event).encode())

    assert paid_checkout.json() == {"event": "evt_1Qmalformed", "result": "processed"}
    assert paid_seat.json() == {"event": "evt_1Qseatpaid", "result": "processed"}
    with merchant:
        assert CheckoutSession.objects.get().status == CheckoutStatus.COMPLETED
        assert TeamMember.objects.get(pk=seat_id).status == "paid"
        assert sorted(WebhookEvent.objects.values_list("event_id", "outcome", "reason")) == [
            ("evt_1Qmalformed", "processed", ""),
            ("evt_1Qseatpaid", "processed", ""),
        ]


@pytest.mark.parametrize(
    ("event", "stored"),
    [
        pytest.param([], [], id="a list"),
        pytest.param({"type": "invoice.paid"}, [], id="no id"),
        pytest.param({"id": "evt_1Qbilling", "type": 5}, [], id="type a number"),
        pytest.param(
            {"id": "evt_1Qbilling", "type": "invoice.paid"}, ["evt_1Qbilling"], id="no data"
        ),
        pytest.param(
            {"id": "evt_1Qbilling", "type": "invoice.paid", "data": {"object": []}},
            ["evt_1Qbilling"],
            id="object a list",
        ),
        pytest.param(
            {"id": "evt_1Qbilling", "type": "invoice.paid", "data": {"object": {"id": 7}}},
            ["evt_1Qbilling"],
            id="invoice id a number",
        ),
        pytest.param(
            {
                "id": "evt_1Qbilling",
                "type": "invoice.paid",
                "data": {"object": {"id": "in_\u0000"}},
            },
            [],  # jsonb holds no NUL: not stored, and answered all the same
            id="invoice id with a NUL",
        ),
    ],
)
def test_the_billing_webhook_ignores_signed_events_of_an_unexpected_shape(
    db, settings, event, stored
):
    from billing.models import StripeBillingEvent

    settings.STRIPE_BILLING_WEBHOOK_SECRET = "whsec_billing_test"
    payload = json.dumps(event).encode()

    response = on_host(Client(), "localhost").post(
        "/webhooks/stripe/billing/",
        payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(payload, secret="whsec_billing_test"),
    )

    assert (response.status_code, response.content) == (200, b"ignored")
    again = on_host(Client(), "localhost").post(
        "/webhooks/stripe/billing/",
        payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(payload, secret="whsec_billing_test"),
    )
    assert again.content == (b"duplicate" if stored else b"ignored")
    assert list(StripeBillingEvent.objects.values_list("event_id", flat=True)) == stored
