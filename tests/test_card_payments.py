"""Card payments through Stripe Connect against a fake Stripe HTTP API (tests/fakes)."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client

from analytics.models import DailyMerchantStats
from commerce.catalog.models import Stock, Variant
from commerce.checkout.models import CheckoutSession, CheckoutStatus
from commerce.checkout.tasks import settle_checkout
from commerce.orders.models import Order
from commerce.payments.models import Refund
from tenants.models import Merchant
from tests.conftest import on_host

pytestmark = pytest.mark.django_db


@pytest.fixture
def card_shop(selling_shop, fake_stripe):
    account = fake_stripe.create_account({"type": "express"}, {})[1]
    account["charges_enabled"] = True
    Merchant.objects.filter(pk=selling_shop.merchant.pk).update(
        stripe_account_id=account["id"], stripe_charges_enabled=True
    )
    selling_shop.merchant.refresh_from_db()
    return selling_shop


def owner_client(shop) -> Client:
    client = on_host(Client(), "alpha.localhost")
    client.force_login(shop.owner)
    return client


def card_checkout(shop, quantity: int = 1) -> tuple[Client, str]:
    """A shopper puts Oolong in the cart and chooses card: returns the client and the pay URL."""
    client = on_host(Client(), "alpha.localhost")
    with shop.merchant:
        variant_id = Variant.objects.get(sku="OOL-100").pk
    connection.set_schema_to_public()
    client.post("/cart/add/", {"variant": variant_id, "quantity": str(quantity)})
    page = client.get("/checkout/")
    response = client.post(
        "/checkout/",
        {
            "reference": str(page.context["form"].initial["reference"]),
            "contact_name": "Mei",
            "email": "mei@example.test",
            "shipping_method": "pickup",
            "payment_method": "stripe",
        },
    )
    assert response.status_code == 302
    return client, response["Location"]


def stock(shop) -> int:
    with shop.merchant:
        return Stock.objects.get(variant__sku="OOL-100").quantity


def test_connecting_stripe_keeps_only_the_account_id(selling_shop, fake_stripe):
    owner = owner_client(selling_shop)

    started = owner.post("/manage/store/payments/stripe/")
    merchant = Merchant.objects.get(pk=selling_shop.merchant.pk)
    assert started.status_code == 302
    assert started["Location"].startswith(
        f"https://connect.stripe.com/setup/e/{merchant.stripe_account_id}/"
    )
    assert merchant.stripe_charges_enabled is False
    (created,) = fake_stripe.calls("POST", "/v1/accounts")
    assert created.idempotency_key == f"connect:{merchant.schema_name}"
    (link,) = fake_stripe.calls("POST", "/v1/account_links")
    assert (
        link.params["return_url"] == "http://alpha.localhost/manage/store/payments/stripe/return/"
    )

    owner.get("/manage/store/payments/stripe/return/")

    merchant.refresh_from_db()
    assert merchant.stripe_charges_enabled is True
    assert [call.path for call in fake_stripe.requests] == [
        "/v1/accounts",
        "/v1/account_links",
        f"/v1/accounts/{merchant.stripe_account_id}",
    ]


def test_a_card_checkout_reserves_stock_creates_one_intent_and_finalizes_on_return(
    card_shop, fake_stripe
):
    client, pay_url = card_checkout(card_shop, quantity=2)
    reference = pay_url.split("/")[2]
    assert stock(card_shop) == 3  # held for the checkout

    pay_page = client.get(pay_url)
    client.get(pay_url)  # a reload must not create a second PaymentIntent

    assert pay_page.status_code == 200
    intents = fake_stripe.calls("POST", "/v1/payment_intents")
    assert len(intents) == 2
    assert {call.idempotency_key for call in intents} == {f"checkout:{reference}:intent"}
    assert len(fake_stripe.intents) == 1
    intent_id = next(iter(fake_stripe.intents))
    assert intents[0].stripe_account == card_shop.merchant.stripe_account_id
    assert (intents[0].params["amount"], intents[0].params["currency"]) == ("6000", "cny")
    assert 'data-client-secret="pi_' in pay_page.content.decode()

    fake_stripe.pay(intent_id)
    returned = client.get(f"/checkout/{reference}/return/?payment_intent={intent_id}")

    with card_shop.merchant:
        order = Order.objects.get()
        assert (order.payment_status, order.total, str(order.reference)) == (
            "paid",
            Decimal("60.00"),
            reference,
        )
        assert CheckoutSession.objects.get().status == CheckoutStatus.COMPLETED
    assert returned["Location"] == f"/orders/{order.status_token}/"
    assert client.get(f"/checkout/{reference}/return/")["Location"] == returned["Location"]
    assert stock(card_shop) == 3
    assert DailyMerchantStats.objects.get(merchant=card_shop.merchant).gmv == Decimal("60.00")


def test_an_unpaid_return_shows_the_failure_and_makes_no_order(card_shop, fake_stripe):
    client, pay_url = card_checkout(card_shop)
    client.get(pay_url)
    reference = pay_url.split("/")[2]

    response = client.get(f"/checkout/{reference}/return/")

    assert response.status_code == 200
    assert "The payment did not go through" in response.content.decode()
    with card_shop.merchant:
        assert not Order.objects.exists()


def test_a_card_refund_goes_to_stripe_once_with_the_same_key(card_shop, fake_stripe):
    client, pay_url = card_checkout(card_shop, quantity=2)
    client.get(pay_url)
    reference = pay_url.split("/")[2]
    fake_stripe.pay(next(iter(fake_stripe.intents)))
    client.get(f"/checkout/{reference}/return/")
    with card_shop.merchant:
        order = Order.objects.get()
    connection.set_schema_to_public()
    owner = owner_client(card_shop)
    form = {"amount": "25.50", "reason": "One tin dented", "idempotency_key": "refund-form-1"}

    owner.post(f"/manage/orders/{order.pk}/refund/", form)
    owner.post(f"/manage/orders/{order.pk}/refund/", form)

    (call,) = fake_stripe.calls("POST", "/v1/refunds")
    assert (call.params["amount"], call.idempotency_key, call.stripe_account) == (
        "2550",
        "refund:refund-form-1",
        card_shop.merchant.stripe_account_id,
    )
    with card_shop.merchant:
        refund = Refund.objects.get()
        assert (refund.status, refund.stripe_refund_id) == (
            "succeeded",
            next(iter(fake_stripe.refunds)),
        )
        assert Order.objects.get().payment_status == "partially_refunded"


def test_the_settlement_task_finalizes_a_paid_checkout_whose_shopper_never_came_back(
    card_shop, fake_stripe
):
    client, pay_url = card_checkout(card_shop)
    client.get(pay_url)
    reference = pay_url.split("/")[2]
    fake_stripe.pay(next(iter(fake_stripe.intents)))

    with card_shop.merchant:
        assert settle_checkout.run(reference) == "finalized"
        assert settle_checkout.run(reference) == "nothing to do"
        assert Order.objects.count() == 1


def test_the_settlement_task_releases_an_abandoned_reservation(card_shop, fake_stripe):
    client, pay_url = card_checkout(card_shop, quantity=4)
    client.get(pay_url)
    reference = pay_url.split("/")[2]
    assert stock(card_shop) == 1

    with card_shop.merchant:
        CheckoutSession.objects.update(reserved_until="2000-01-01T00:00:00Z")
        assert settle_checkout.run(reference) == "released"
        assert CheckoutSession.objects.get().status == CheckoutStatus.EXPIRED
    assert stock(card_shop) == 5


def test_a_payment_after_the_stock_is_gone_is_refunded_in_full(card_shop, fake_stripe):
    client, pay_url = card_checkout(card_shop, quantity=5)
    client.get(pay_url)
    reference = pay_url.split("/")[2]
    with card_shop.merchant:
        CheckoutSession.objects.update(reserved_until="2000-01-01T00:00:00Z")
        settle_checkout.run(reference)
        Stock.objects.update(quantity=0)  # sold in store meanwhile
    fake_stripe.pay(next(iter(fake_stripe.intents)))

    response = client.get(f"/checkout/{reference}/return/")

    assert "Your payment has been refunded in full." in response.content.decode()
    (refund,) = fake_stripe.calls("POST", "/v1/refunds")
    assert refund.params["amount"] == "15000"
    assert refund.idempotency_key == f"checkout:{reference}:refund-unfulfillable"
    with card_shop.merchant:
        assert not Order.objects.exists()


def test_only_the_browser_that_placed_a_card_checkout_opens_its_pay_and_return_pages(
    card_shop, fake_stripe
):
    shopper, pay_url = card_checkout(card_shop)
    reference = pay_url.split("/")[2]
    stranger = on_host(Client(), "alpha.localhost")
    stranger.get("/")  # a browser with a session of its own
    anonymous = on_host(Client(), "alpha.localhost")

    refused = [
        stranger.get(pay_url).status_code,
        stranger.get(f"/checkout/{reference}/return/").status_code,
        anonymous.get(pay_url).status_code,
        anonymous.get(f"/checkout/{reference}/return/").status_code,
    ]

    assert refused == [404, 404, 404, 404]
    assert fake_stripe.requests == []  # no PaymentIntent made or fetched for them
    with card_shop.merchant:
        assert CheckoutSession.objects.get().payment_intent_id is None
    pay_page = shopper.get(pay_url)
    assert pay_page.status_code == 200
    assert 'data-client-secret="pi_' in pay_page.content.decode()
    assert len(fake_stripe.calls("POST", "/v1/payment_intents")) == 1


def test_the_order_status_link_of_a_paid_card_checkout_stays_shareable(card_shop, fake_stripe):
    shopper, pay_url = card_checkout(card_shop)
    reference = pay_url.split("/")[2]
    shopper.get(pay_url)
    fake_stripe.pay(next(iter(fake_stripe.intents)))
    status_url = shopper.get(f"/checkout/{reference}/return/")["Location"]
    friend = on_host(Client(), "alpha.localhost")

    status_page = friend.get(status_url)

    assert status_page.status_code == 200
    assert friend.get(f"/checkout/{reference}/return/").status_code == 404


def test_replaying_a_card_checkout_form_in_another_browser_does_not_hand_it_over(
    card_shop, fake_stripe
):
    shopper, pay_url = card_checkout(card_shop)
    reference = pay_url.split("/")[2]
    with card_shop.merchant:
        variant_id = Variant.objects.get(sku="OOL-100").pk
    connection.set_schema_to_public()
    stranger = on_host(Client(), "alpha.localhost")
    stranger.post("/cart/add/", {"variant": variant_id, "quantity": "1"})

    replayed = stranger.post(
        "/checkout/",
        {
            "reference": reference,
            "contact_name": "Someone else",
            "email": "else@example.test",
            "shipping_method": "pickup",
            "payment_method": "stripe",
        },
    )

    assert replayed.status_code == 400
    assert "already used in another browser" in replayed.content.decode()
    assert stranger.get(pay_url).status_code == 404
    assert fake_stripe.requests == []
    with card_shop.merchant:
        assert CheckoutSession.objects.count() == 1
        assert CheckoutSession.objects.get().email == "mei@example.test"
    assert stock(card_shop) == 4  # only the first checkout holds stock
    assert shopper.get(pay_url).status_code == 200  # its own browser still pays for it
