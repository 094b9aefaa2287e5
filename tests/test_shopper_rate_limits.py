"""Where money is made, one address gets a bounded number of attempts: placing an order
(scope "checkout") and starting or joining a group-buy team (scope "groupbuy_join").
The next POST is a 429 with Retry-After that takes no stock and writes no order or seat;
showing the pages is never counted."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from commerce.catalog.models import Stock, Variant
from commerce.checkout.models import CheckoutSession
from commerce.groupbuy.campaigns import CampaignInput, create_campaign
from commerce.groupbuy.models import Campaign, Team, TeamMember
from commerce.orders.models import Order
from commerce.plugins.services import enable_plugin
from commerce.store.selectors import online_outlet
from tenants.models import Merchant
from tests.conftest import on_host

pytestmark = pytest.mark.django_db


def shopper(address: str = "203.0.113.7") -> Client:
    client = on_host(Client(), "alpha.localhost")
    client.defaults["REMOTE_ADDR"] = address
    return client


def oolong_stock() -> int:
    return Stock.objects.get(variant__sku="OOL-100", outlet=online_outlet()).quantity


def fill_cart(client: Client, merchant) -> dict:
    with merchant:
        variant_id = Variant.objects.get(sku="OOL-100").pk
    connection.set_schema_to_public()
    assert client.post("/cart/add/", {"variant": variant_id, "quantity": "1"}).status_code == 302
    page = client.get("/checkout/")
    return {
        "reference": str(page.context["form"].initial["reference"]),
        "contact_name": "Mei Lin",
        "email": "mei@example.test",
        "shipping_method": "pickup",
        "payment_method": "cash_on_delivery",
    }


def test_the_checkout_post_over_the_limit_is_429_and_places_nothing(selling_shop, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "checkout": "2/m"}
    merchant = selling_shop.merchant
    client = shopper()
    first = client.post("/checkout/", fill_cart(client, merchant))
    second = client.post("/checkout/", fill_cart(client, merchant))
    with merchant:
        assert (Order.objects.count(), oolong_stock()) == (2, 3)
    connection.set_schema_to_public()
    form = fill_cart(client, merchant)  # GETs of the cart and the form: not counted

    third = client.post("/checkout/", form)

    assert (first.status_code, second.status_code, third.status_code) == (302, 302, 429)
    assert 1 <= int(third["Retry-After"]) <= 60
    assert "Too many attempts from your address." in third.content.decode()
    assert client.get("/checkout/").status_code == 200  # the page still shows
    with merchant:
        assert Order.objects.count() == 2
        assert oolong_stock() == 3
        assert not CheckoutSession.objects.exists()
    connection.set_schema_to_public()
    elsewhere = shopper("198.51.100.9")
    assert elsewhere.post("/checkout/", fill_cart(elsewhere, merchant)).status_code == 302


def test_showing_the_checkout_page_is_not_counted(selling_shop, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "checkout": "1/m"}
    client = shopper()
    form = fill_cart(client, selling_shop.merchant)

    pages = [client.get("/checkout/").status_code for _ in range(5)]
    placed = client.post("/checkout/", form)

    assert pages == [200] * 5
    assert placed.status_code == 302
    with selling_shop.merchant:
        assert Order.objects.count() == 1


@pytest.fixture
def campaign_shop(selling_shop, fake_stripe):
    account = fake_stripe.create_account({"type": "express"}, {})[1]
    Merchant.objects.filter(pk=selling_shop.merchant.pk).update(
        stripe_account_id=account["id"], stripe_charges_enabled=True
    )
    merchant = Merchant.objects.get(pk=selling_shop.merchant.pk)
    with merchant:
        enable_plugin("groupbuy", actor="test")
        now = timezone.now()
        campaign = create_campaign(
            CampaignInput(
                name="Oolong trio",
                variant_id=Variant.objects.get(sku="OOL-100").pk,
                group_price=Decimal("25.00"),
                team_size=3,
                team_window_hours=12,
                starts_at=now - timedelta(minutes=1),
                ends_at=now + timedelta(days=1),
                max_open_teams_per_customer=5,
            )
        )
    connection.set_schema_to_public()
    return merchant, campaign.pk


def test_group_buy_starts_and_joins_over_the_limit_are_429_and_take_no_seat(
    campaign_shop, fake_stripe, settings
):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "groupbuy_join": "2/m"}
    merchant, campaign_id = campaign_shop
    client = shopper()
    started = client.post(f"/groupbuy/{campaign_id}/seat/", {"email": "lead@example.test"})
    with merchant:
        token = Team.objects.get().share_token
    connection.set_schema_to_public()
    joined = client.post(
        f"/groupbuy/{campaign_id}/seat/", {"email": "friend@example.test", "team": token}
    )
    pages = [client.get(f"/groupbuy/t/{token}/").status_code for _ in range(3)]
    with merchant:
        seats_before, stock_before = TeamMember.objects.count(), oolong_stock()
    connection.set_schema_to_public()

    refused_join = client.post(
        f"/groupbuy/{campaign_id}/seat/", {"email": "third@example.test", "team": token}
    )
    refused_start = client.post(f"/groupbuy/{campaign_id}/seat/", {"email": "new@example.test"})

    assert (started.status_code, joined.status_code) == (302, 302)
    assert pages == [200] * 3
    assert (refused_join.status_code, refused_start.status_code) == (429, 429)
    assert 1 <= int(refused_join["Retry-After"]) <= 60
    assert (seats_before, stock_before) == (2, 3)
    with merchant:
        assert TeamMember.objects.count() == 2
        assert Team.objects.count() == 1
        assert Order.objects.count() == 2
        assert oolong_stock() == 3
        assert Campaign.objects.get().teams.get().seats_taken == 2
