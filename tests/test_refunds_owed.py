"""A refund is owed from the transaction that decides it, and the outbox pays it once Stripe
answers: a Stripe outage neither loses it nor, with one Idempotency-Key per refund, doubles
it; redelivered webhook events refund nothing twice."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from analytics.models import DailyMerchantStats
from commerce.catalog.models import Stock, Variant
from commerce.checkout.services import finalize_checkout
from commerce.checkout.settlement import sweep_due_checkouts
from commerce.groupbuy.models import Team, TeamMember
from commerce.groupbuy.teams import expire_team
from commerce.orders.models import Order, OrderEvent
from commerce.payments.models import Refund
from outbox.models import Channel, MessageStatus, OutboxMessage
from outbox.services import deliver_due_messages
from tests.card_shop import launch_duo_campaign
from tests.conftest import on_host
from tests.stripe_events import WEBHOOK_SECRET, payment_intent_event, sign
from tests.test_deadlines import connect_stripe, reserve_card_checkout
from tests.test_groupbuy_storefront import take_and_pay

pytestmark = pytest.mark.django_db


@pytest.fixture
def card_shop(selling_shop, fake_stripe, settings):
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    return connect_stripe(selling_shop.merchant, fake_stripe)


def later(minutes: int = 5):
    """When the outbox's next runs happen (after its backoff)."""
    return timezone.now() + timedelta(minutes=minutes)


def webhook(body: bytes):
    return on_host(Client(), "localhost").post(
        "/webhooks/stripe/", body, content_type="application/json", HTTP_STRIPE_SIGNATURE=sign(body)
    )


def paid_event(merchant, intent_id: str, reference: str, event_id: str) -> bytes:
    return payment_intent_event(
        event_id=event_id,
        account=merchant.stripe_account_id,
        intent_id=intent_id,
        reference=reference,
        amount=15000,
    )


def sent_channels(delivered) -> list[str]:
    return sorted(
        OutboxMessage.objects.filter(pk__in=delivered.sent_ids).values_list("channel", flat=True)
    )


def refund_posts(fake_stripe):
    return fake_stripe.calls("POST", "/v1/refunds")


def test_a_refund_owed_while_stripe_is_down_is_paid_exactly_once_when_it_is_back(
    card_shop, fake_stripe
):
    # Every unit is held, the reservation lapses and is released, the units sell in store.
    reference, intent_id = reserve_card_checkout(card_shop, quantity=5)
    assert sweep_due_checkouts(timezone.now() + timedelta(minutes=16)).outcomes == {"released": 1}
    with card_shop:
        Stock.objects.update(quantity=0)
    connection.set_schema_to_public()
    # The shopper's payment goes through after all, and Stripe goes down.
    fake_stripe.pay(intent_id)
    fake_stripe.down()
    event = paid_event(card_shop, intent_id, reference, "evt_1LatePaymentA")

    first = webhook(event)

    assert (first.status_code, first.json()["result"]) == (200, "processed")
    with card_shop:
        owed = Refund.objects.get()
        assert (owed.status, owed.amount, owed.order_id, owed.stripe_refund_id) == (
            "pending",
            Decimal("150.00"),
            None,
            "",
        )
        assert str(owed.checkout.reference) == reference
    message = OutboxMessage.objects.get()
    assert (message.channel, message.status, message.attempts) == (
        Channel.STRIPE_REFUND,
        MessageStatus.PENDING,
        1,
    )
    assert message.last_error.startswith("APIConnectionError")
    assert fake_stripe.refunds == {}

    # Stripe redelivers the event while still down, and sends a second event for it.
    assert webhook(event).json()["result"] == "duplicate"
    assert webhook(paid_event(card_shop, intent_id, reference, "evt_1LatePaymentB")).json()[
        "result"
    ] == ("processed")
    # The second event tried it again at once; the outbox's next run (after its 2-minute
    # backoff) once more: three attempts, all refused at the door, none refunded.
    assert deliver_due_messages(now=later(3)).retrying == 1
    assert OutboxMessage.objects.get().attempts == 3
    with card_shop:
        assert Refund.objects.count() == 1
    assert OutboxMessage.objects.count() == 1

    fake_stripe.up()
    delivered = deliver_due_messages(now=later(30))

    assert delivered.sent == 1
    (stripe_refund,) = fake_stripe.refunds.values()
    assert (stripe_refund["amount"], stripe_refund["payment_intent"]) == (15000, intent_id)
    posts = refund_posts(fake_stripe)
    assert {post.idempotency_key for post in posts} == {
        f"checkout:{reference}:refund-unfulfillable"
    }
    assert {post.stripe_account for post in posts} == {card_shop.stripe_account_id}
    with card_shop:
        paid_back = Refund.objects.get()
        assert (paid_back.status, paid_back.stripe_refund_id) == (
            "succeeded",
            stripe_refund["id"],
        )
        assert paid_back.completed_at is not None
        assert not Order.objects.exists()
    assert OutboxMessage.objects.get().status == MessageStatus.SENT

    # Nothing more goes to Stripe: no due message, a redelivery is a duplicate.
    assert deliver_due_messages(now=later(120)).sent == 0
    assert webhook(event).json()["result"] == "duplicate"
    assert len(refund_posts(fake_stripe)) == len(posts)
    assert len(fake_stripe.refunds) == 1


def card_order(merchant, fake_stripe) -> Order:
    reference, intent_id = reserve_card_checkout(merchant, quantity=2)
    fake_stripe.pay(intent_id)
    with merchant:
        order = finalize_checkout(
            reference, payment_intent_id=intent_id, amount_received=Decimal("60.00")
        ).order
    connection.set_schema_to_public()
    return order


def owner_of(merchant) -> Client:
    from tenants.models import Membership

    client = on_host(Client(), f"{merchant.slug}.localhost")
    client.force_login(Membership.objects.get(merchant=merchant).user)
    return client


def test_a_merchant_refund_while_stripe_is_down_is_owed_then_paid_once(card_shop, fake_stripe):
    order = card_order(card_shop, fake_stripe)
    owner = owner_of(card_shop)
    form = {"amount": "25.50", "reason": "One tin dented", "idempotency_key": "refund-form-1"}
    fake_stripe.down("errors")

    response = owner.post(f"/manage/orders/{order.pk}/refund/", form)
    owner.post(f"/manage/orders/{order.pk}/refund/", form)  # sent twice

    assert response.status_code == 302
    with card_shop:
        owed = Refund.objects.get()
        claimed = Order.objects.get()
        assert (owed.status, owed.amount) == ("pending", Decimal("25.50"))
        # The amount is claimed (no second refund can take it) but not yet paid back.
        assert (claimed.refunded_total, claimed.payment_status) == (Decimal("25.50"), "paid")
    assert DailyMerchantStats.objects.get(merchant=card_shop).refunds == Decimal("0")
    assert fake_stripe.refunds == {}

    fake_stripe.up()
    delivered = deliver_due_messages(now=later())
    # The owed refund, and the shopper's emails: the order's confirmation and the refund's.
    assert sent_channels(delivered) == ["email", "email", "stripe_refund"]
    assert deliver_due_messages(now=later(60)).sent == 0

    (stripe_refund,) = fake_stripe.refunds.values()
    assert stripe_refund["amount"] == 2550
    assert {post.idempotency_key for post in refund_posts(fake_stripe)} == {"refund:refund-form-1"}
    with card_shop:
        done = Refund.objects.get()
        assert (done.status, done.stripe_refund_id) == ("succeeded", stripe_refund["id"])
        assert Order.objects.get().payment_status == "partially_refunded"
        assert OrderEvent.objects.filter(kind="refunded").count() == 1
    day = DailyMerchantStats.objects.get(merchant=card_shop)
    assert (day.refunds, day.refund_count) == (Decimal("25.50"), 1)


def test_a_refund_stripe_refuses_is_failed_and_the_amount_refundable_again(card_shop, fake_stripe):
    order = card_order(card_shop, fake_stripe)
    fake_stripe.intents.clear()  # Stripe no longer knows the payment: a definite refusal
    owner = owner_of(card_shop)

    owner.post(
        f"/manage/orders/{order.pk}/refund/",
        {"amount": "10.00", "reason": "Late", "idempotency_key": "refund-form-2"},
    )

    with card_shop:
        assert Refund.objects.get().status == "failed"
        refused = Order.objects.get()
        assert (refused.refunded_total, refused.payment_status) == (Decimal("0"), "paid")
        assert OrderEvent.objects.filter(kind="refund_failed").count() == 1
        assert not OrderEvent.objects.filter(kind="refunded").exists()
    # Stripe answered for good: nothing is left to retry (the order's confirmation email
    # is all that is still to go).
    assert OutboxMessage.objects.get(channel=Channel.STRIPE_REFUND).status == MessageStatus.SENT
    assert sent_channels(deliver_due_messages(now=later(60))) == ["email"]
    assert len(refund_posts(fake_stripe)) == 1
    assert DailyMerchantStats.objects.get(merchant=card_shop).refunds == Decimal("0")


@pytest.fixture
def groupbuy_shop(card_shop):
    with card_shop:
        launch_duo_campaign(Variant.objects.get(sku="OOL-100").pk, group_price=Decimal("25.00"))
    connection.set_schema_to_public()
    return card_shop


def test_a_failed_team_refunds_its_card_member_once_though_stripe_was_down_at_expiry(
    groupbuy_shop, fake_stripe
):
    leader = on_host(Client(), "alpha.localhost")
    seat = take_and_pay(leader, fake_stripe, "lead@example.test")
    fake_stripe.pay(next(iter(fake_stripe.intents)))
    leader.get(f"/groupbuy/seats/{seat.token}/return/")
    fake_stripe.down("errors")

    with groupbuy_shop:
        Team.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
        # The team fails (and commits) although Stripe cannot take the refund now.
        assert expire_team(Team.objects.get().pk) == "failed"
        assert TeamMember.objects.get().status == "refunded"
        order = Order.objects.get()
        assert (order.status, order.refunded_total) == ("cancelled", Decimal("25.00"))
        assert Refund.objects.get().status == "pending"
    assert fake_stripe.refunds == {}

    fake_stripe.up()
    assert deliver_due_messages(now=later()).sent == 1

    (stripe_refund,) = fake_stripe.refunds.values()
    assert stripe_refund["amount"] == 2500
    assert {post.idempotency_key for post in refund_posts(fake_stripe)} == {
        f"refund:groupbuy:seat:{seat.pk}"
    }
    with groupbuy_shop:
        assert Refund.objects.get().status == "succeeded"
        assert Order.objects.get().payment_status == "refunded"
        assert expire_team(Team.objects.get().pk) == "nothing to do"
    assert deliver_due_messages(now=later(60)).sent == 0
    assert len(fake_stripe.refunds) == 1
    assert DailyMerchantStats.objects.get(merchant=groupbuy_shop).refunds == Decimal("25.00")
