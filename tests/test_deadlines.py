"""Deadlines are rows: a checkout's settlement survives a lost broker message (Redis
restarted without persistence, a purged queue). The ETA task is never queued in these
tests (its on-commit send does not run inside the test's transaction): only the sweep,
which visits the shops the public due-shop index names, settles the checkouts."""

import time
import uuid
from datetime import timedelta
from decimal import Decimal

import psycopg
import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from analytics.models import DailyMerchantStats
from billing.tasks import BILLING_RUN_LOCK, run_monthly_billing
from commerce.catalog.models import Product, Stock, Variant
from commerce.checkout.models import CheckoutSession, CheckoutStatus
from commerce.checkout.services import (
    SETTLEMENT_DEADLINE,
    SETTLEMENT_GRACE,
    CheckoutRequest,
    reserve_checkout,
)
from commerce.checkout.settlement import sweep_due_checkouts
from commerce.checkout.tasks import settle_checkout
from commerce.orders.models import Order
from commerce.orders.services import LineRequest
from commerce.payments import card
from commerce.store.selectors import online_outlet, store_settings
from deadlines.models import DueShop
from tenants.models import Merchant
from tests.conftest import on_host
from tests.factories import ShopFactory
from tests.stripe_events import WEBHOOK_SECRET, payment_intent_event, sign

pytestmark = pytest.mark.django_db


def connect_stripe(merchant: Merchant, fake_stripe) -> Merchant:
    account = fake_stripe.create_account({"type": "express"}, {})[1]
    Merchant.objects.filter(pk=merchant.pk).update(
        stripe_account_id=account["id"], stripe_charges_enabled=True
    )
    return Merchant.objects.get(pk=merchant.pk)


@pytest.fixture
def card_shop(selling_shop, fake_stripe, settings):
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    return connect_stripe(selling_shop.merchant, fake_stripe)


def reserve_card_checkout(merchant: Merchant, *, sku: str = "OOL-100", quantity: int = 1):
    """A shopper chooses card: the stock is held and a PaymentIntent opened, as the checkout
    and pay pages do. Returns (reference, intent id)."""
    with merchant:
        variant = Variant.objects.get(sku=sku)
        session = reserve_checkout(
            CheckoutRequest(
                reference=str(uuid.uuid4()),
                lines=[LineRequest(variant.pk, quantity)],
                email="mei@example.test",
                contact_name="Mei",
                payment_method="stripe",
                shipping_method="pickup",
            )
        )
        intent = card.create_payment_intent(
            account_id=merchant.stripe_account_id,
            reference=str(session.reference),
            amount=session.total,
            currency=session.currency,
            schema_name=merchant.schema_name,
        )
        CheckoutSession.objects.filter(pk=session.pk).update(payment_intent_id=intent.id)
    connection.set_schema_to_public()
    return str(session.reference), intent.id


def stock(merchant: Merchant, sku: str = "OOL-100") -> int:
    with merchant:
        return Stock.objects.get(variant__sku=sku).quantity


def session_of(merchant: Merchant, reference: str) -> CheckoutSession:
    with merchant:
        return CheckoutSession.objects.get(reference=reference)


def due_at(merchant: Merchant):
    return DueShop.objects.get(kind=SETTLEMENT_DEADLINE, merchant_id=merchant.pk).due_at


def after_the_reservation() -> timezone.datetime:
    return timezone.now() + timedelta(minutes=16)


def test_reserving_notes_the_shop_as_due_at_the_end_of_the_reservation(card_shop, fake_stripe):
    reference, _intent = reserve_card_checkout(card_shop)

    session = session_of(card_shop, reference)
    assert due_at(card_shop) == session.reserved_until + SETTLEMENT_GRACE
    assert DueShop.objects.count() == 1


def test_a_reservation_whose_task_was_never_queued_is_released_by_the_sweep(card_shop, fake_stripe):
    reference, _intent = reserve_card_checkout(card_shop, quantity=4)
    assert stock(card_shop) == 1

    early = sweep_due_checkouts(timezone.now())
    assert (early.shops_swept, early.outcomes) == (0, {})  # not due yet: not even visited
    assert stock(card_shop) == 1

    swept = sweep_due_checkouts(after_the_reservation())

    assert (swept.shops_swept, swept.shops_failed, swept.outcomes) == (1, 0, {"released": 1})
    assert stock(card_shop) == 5
    assert session_of(card_shop, reference).status == CheckoutStatus.EXPIRED
    assert due_at(card_shop) is None  # nothing left to settle: the shop drops out
    again = sweep_due_checkouts(after_the_reservation() + timedelta(minutes=5))
    assert (again.shops_swept, again.outcomes) == (0, {})
    assert stock(card_shop) == 5
    with card_shop:
        assert not Order.objects.exists()


def test_a_paid_checkout_whose_webhook_and_task_were_lost_becomes_one_order(card_shop, fake_stripe):
    reference, intent_id = reserve_card_checkout(card_shop, quantity=2)
    fake_stripe.pay(intent_id)  # the shopper paid, closed the tab; the webhook was lost

    swept = sweep_due_checkouts(after_the_reservation())

    assert swept.outcomes == {"finalized": 1}
    with card_shop:
        order = Order.objects.get()
        assert (str(order.reference), order.payment_status, order.total) == (
            reference,
            "paid",
            Decimal("60.00"),
        )
        # The late task and a late webhook find it settled.
        assert settle_checkout.run(reference) == "nothing to do"
    late_webhook = payment_intent_event(
        event_id="evt_1LateWebhookA",
        account=card_shop.stripe_account_id,
        intent_id=intent_id,
        reference=reference,
        amount=6000,
    )
    answer = on_host(Client(), "localhost").post(
        "/webhooks/stripe/",
        late_webhook,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(late_webhook),
    )
    assert answer.json()["result"] == "processed"
    assert sweep_due_checkouts(after_the_reservation() + timedelta(minutes=5)).shops_swept == 0
    with card_shop:
        assert Order.objects.count() == 1
    assert stock(card_shop) == 3  # taken once, never given back
    assert DailyMerchantStats.objects.get(merchant=card_shop).gmv == Decimal("60.00")


def test_only_shops_with_a_due_deadline_are_visited(card_shop, other_shop, fake_stripe):
    other = connect_stripe(other_shop.merchant, fake_stripe)
    with other:
        shop_settings = store_settings()
        shop_settings.local_pickup = True
        shop_settings.save()
        noodles = Product.objects.create(title="Noodles", slug="noodles", is_published=True)
        variant = Variant.objects.create(product=noodles, sku="NOOD-1", price=Decimal("9.00"))
        Stock.objects.create(variant=variant, outlet=online_outlet(), quantity=3)
    connection.set_schema_to_public()
    due_reference, _ = reserve_card_checkout(card_shop)
    later_reference, _ = reserve_card_checkout(other, sku="NOOD-1")
    in_an_hour = timezone.now() + timedelta(hours=1)
    with other:
        CheckoutSession.objects.update(reserved_until=in_an_hour)
    connection.set_schema_to_public()
    DueShop.objects.filter(merchant_id=other.pk).update(due_at=in_an_hour + SETTLEMENT_GRACE)
    idle = ShopFactory(slug="charlie").merchant  # never reserved anything: no row at all
    assert not DueShop.objects.filter(merchant_id=idle.pk).exists()

    swept = sweep_due_checkouts(after_the_reservation())

    assert (swept.shops_swept, swept.outcomes) == (1, {"released": 1})
    assert session_of(card_shop, due_reference).status == CheckoutStatus.EXPIRED
    assert session_of(other, later_reference).status == CheckoutStatus.RESERVED
    assert stock(other, "NOOD-1") == 2
    assert due_at(other) == in_an_hour + SETTLEMENT_GRACE


def test_after_settling_the_shop_is_due_at_its_next_deadline(card_shop, fake_stripe):
    first, _ = reserve_card_checkout(card_shop)
    second, _ = reserve_card_checkout(card_shop, sku="PUER-357")
    with card_shop:
        CheckoutSession.objects.filter(reference=second).update(
            reserved_until=timezone.now() + timedelta(minutes=40)
        )
    connection.set_schema_to_public()

    swept = sweep_due_checkouts(after_the_reservation())

    assert swept.outcomes == {"released": 1}
    assert session_of(card_shop, first).status == CheckoutStatus.EXPIRED
    assert session_of(card_shop, second).status == CheckoutStatus.RESERVED
    assert due_at(card_shop) == session_of(card_shop, second).reserved_until + SETTLEMENT_GRACE


def test_stripe_down_during_the_sweep_keeps_the_checkout_reserved_and_due_until_it_is_back(
    card_shop, fake_stripe
):
    reference, intent_id = reserve_card_checkout(card_shop)
    fake_stripe.pay(intent_id)
    fake_stripe.down()
    when = after_the_reservation()

    failed = sweep_due_checkouts(when)

    assert (failed.shops_swept, failed.checkouts_failed, failed.outcomes) == (1, 1, {})
    assert session_of(card_shop, reference).status == CheckoutStatus.RESERVED
    assert stock(card_shop) == 4  # neither released (it may be paid) nor sold
    assert due_at(card_shop) <= when  # still due: the next run tries again
    fake_stripe.up()

    recovered = sweep_due_checkouts(when + timedelta(minutes=2))

    assert recovered.outcomes == {"finalized": 1}
    with card_shop:
        assert Order.objects.count() == 1
    assert due_at(card_shop) is None


def hold_billing_lock():
    db = connection.settings_dict
    holder = psycopg.connect(
        dbname=db["NAME"],
        user=db["USER"],
        password=db["PASSWORD"] or None,
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        autocommit=True,
    )
    holder.execute("SELECT pg_advisory_lock(%s)", [BILLING_RUN_LOCK])
    return holder


def wait_for_the_lock_to_go(seconds: float = 10) -> None:
    """The server ends a closed connection's backend (and its locks) a moment later."""
    deadline = time.monotonic() + seconds
    with connection.cursor() as cursor:
        while True:
            cursor.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = %s",
                [BILLING_RUN_LOCK],
            )
            if cursor.fetchone()[0] == 0:
                return
            assert time.monotonic() < deadline, "the killed run's lock was never released"
            time.sleep(0.05)


def test_billing_runs_never_overlap_and_a_killed_run_does_not_block_the_next(shop):
    # A run in progress elsewhere (another worker's connection holds the lock).
    holder = hold_billing_lock()

    assert run_monthly_billing.run() == {"skipped": "another billing run is in progress"}

    holder.close()  # that worker is killed: PostgreSQL drops its lock with its connection
    wait_for_the_lock_to_go()
    finished = run_monthly_billing.run()
    assert set(finished) == {"created", "already_billed"}
    assert run_monthly_billing.run() == {
        "created": 0,
        "already_billed": finished["created"] + finished["already_billed"],
    }
