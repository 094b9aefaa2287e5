"""Bad input on the shopper's checkout: each hostile value is a 400 naming its field, and
nothing is written (no order, no reservation, no stock taken)."""

import pytest
from django.test import Client

from commerce.catalog.models import Stock, Variant
from commerce.checkout.models import CheckoutSession
from commerce.orders.models import Order
from tests.conftest import on_host

pytestmark = pytest.mark.django_db


def shopper() -> Client:
    return on_host(Client(), "alpha.localhost")


def oolong(shop) -> int:
    with shop.merchant:
        return Variant.objects.get(sku="OOL-100").pk


def assert_nothing_written(shop) -> None:
    with shop.merchant:
        assert not Order.objects.exists()
        assert not CheckoutSession.objects.exists()
        assert Stock.objects.get(variant__sku="OOL-100").quantity == 5


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("reference", "not-a-uuid"),
        ("reference", "9" * 400),
        ("contact_name", "x" * 100_000),
        ("email", "mei@" + "x" * 400 + ".test"),
        ("phone", "1" * 5000),
        ("address_line1", "x" * 100_000),
        ("address_city", "x" * 1000),
        ("address_postcode", "9" * 400),
        ("shipping_method", "teleport"),
        ("payment_method", "stripe"),  # the shop takes no cards
        ("payment_method", "9" * 400),
    ],
)
def test_a_hostile_checkout_value_is_refused_naming_the_field(selling_shop, field, value):
    client = shopper()
    client.post("/cart/add/", {"variant": oolong(selling_shop), "quantity": "2"})
    page = client.get("/checkout/")
    data = {
        "reference": str(page.context["form"].initial["reference"]),
        "contact_name": "Mei Lin",
        "email": "mei@example.test",
        "shipping_method": "flat",
        "address_line1": "8 Century Avenue",
        "address_city": "Shanghai",
        "payment_method": "cash_on_delivery",
        field: value,
    }

    response = client.post("/checkout/", data)

    assert response.status_code == 400
    assert list(response.context["form"].errors) == [field]
    assert_nothing_written(selling_shop)


def test_a_nul_byte_in_a_checkout_field_is_refused_naming_the_field(selling_shop):
    client = shopper()
    client.post("/cart/add/", {"variant": oolong(selling_shop), "quantity": "2"})
    page = client.get("/checkout/")

    response = client.post(
        "/checkout/",
        {
            "reference": str(page.context["form"].initial["reference"]),
            "contact_name": "Mei\x00Lin",
            "email": "mei@example.test",
            "shipping_method": "pickup",
            "payment_method": "cash_on_delivery",
        },
    )

    assert response.status_code == 400
    assert response.context["field"] == "contact_name"
    assert_nothing_written(selling_shop)


@pytest.mark.parametrize(
    ("variant", "quantity", "field"),
    [
        ("9" * 30, "1", "variant"),
        ("9" * 5000, "1", "variant"),
        ("-1", "1", "variant"),
        (None, "9" * 30, "quantity"),
        (None, "9" * 5000, "quantity"),
        (None, "1e9", "quantity"),
        (None, "0", "quantity"),
        (None, "-3", "quantity"),
    ],
)
def test_hostile_cart_values_are_refused_naming_the_field(selling_shop, variant, quantity, field):
    client = shopper()

    response = client.post(
        "/cart/add/", {"variant": variant or oolong(selling_shop), "quantity": quantity}
    )

    assert response.status_code == 400
    assert list(response.context["errors"]) == [field]
    assert client.get("/cart/").context["lines"] == []
    assert_nothing_written(selling_shop)
