from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from commerce.catalog.models import Product, Stock, Variant
from commerce.orders.models import Order
from tests.conftest import on_host

pytestmark = pytest.mark.django_db


def shopper() -> Client:
    return on_host(Client(), "alpha.localhost")


def variant_id(shop, sku: str) -> int:
    with shop.merchant:
        return Variant.objects.get(sku=sku).pk


def checkout_form(client: Client, **overrides) -> dict:
    page = client.get("/checkout/")
    data = {
        "reference": str(page.context["form"].initial["reference"]),
        "contact_name": "Mei Lin",
        "email": "mei@example.test",
        "phone": "138 0000 0000",
        "shipping_method": "flat",
        "address_line1": "8 Century Avenue",
        "address_city": "Shanghai",
        "address_postcode": "200120",
        "payment_method": "cash_on_delivery",
    }
    data.update(overrides)
    return data


def stock_of(shop, sku: str) -> int:
    with shop.merchant:
        return Stock.objects.get(variant__sku=sku).quantity


def test_a_shopper_browses_buys_with_cash_on_delivery_and_follows_the_order(selling_shop):
    client = shopper()
    assert "Oolong" in client.get("/").content.decode()
    assert "Pu&#x27;er cake" in client.get("/", {"q": "cake"}).content.decode()
    product_page = client.get("/p/oolong/").content.decode()
    assert "30.00" in product_page
    assert "5 in stock" in product_page

    client.post("/cart/add/", {"variant": variant_id(selling_shop, "OOL-100"), "quantity": "2"})
    placed = client.post("/checkout/", checkout_form(client))

    assert placed.status_code == 302
    with selling_shop.merchant:
        order = Order.objects.get()
        assert (order.subtotal, order.shipping_total, order.total) == (
            Decimal("60.00"),
            Decimal("10.00"),
            Decimal("70.00"),
        )
        assert list(order.lines.values_list("sku", "quantity", "unit_price")) == [
            ("OOL-100", 2, Decimal("30.00"))
        ]
        assert (order.channel, order.payment_status, order.is_new_customer) == (
            "online",
            "pending",
            True,
        )
        assert order.shipping_address["city"] == "Shanghai"
    assert placed["Location"] == f"/orders/{order.status_token}/?placed=1"
    confirmation = client.get(placed["Location"]).content.decode()
    assert f"Order {order.number} is placed" in confirmation
    assert stock_of(selling_shop, "OOL-100") == 3
    assert client.get("/cart/").context["lines"] == []


def test_free_shipping_over_the_threshold_and_a_returning_customer(selling_shop):
    first = shopper()
    first.post("/cart/add/", {"variant": variant_id(selling_shop, "OOL-100"), "quantity": "1"})
    first.post("/checkout/", checkout_form(first))
    again = shopper()
    again.post("/cart/add/", {"variant": variant_id(selling_shop, "PUER-357"), "quantity": "1"})

    again.post("/checkout/", checkout_form(again, email="MEI@example.test"))

    with selling_shop.merchant:
        second = Order.objects.order_by("id").last()
        assert (second.shipping_total, second.total, second.is_new_customer) == (
            Decimal("0.00"),
            Decimal("120.00"),
            False,
        )


def test_submitting_the_same_checkout_twice_makes_one_order(selling_shop):
    client = shopper()
    client.post("/cart/add/", {"variant": variant_id(selling_shop, "OOL-100"), "quantity": "1"})
    data = checkout_form(client)
    client.post("/checkout/", data)
    client.post("/cart/add/", {"variant": variant_id(selling_shop, "OOL-100"), "quantity": "1"})

    client.post("/checkout/", data)

    with selling_shop.merchant:
        assert Order.objects.count() == 1
    assert stock_of(selling_shop, "OOL-100") == 4


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        ("0", "Enter a quantity from 1 to 999."),
        ("-1", "Enter a quantity from 1 to 999."),
        ("1000", "Enter a quantity from 1 to 999."),
        ("abc", "Enter a whole number."),
    ],
)
def test_bad_cart_quantities_are_refused_by_name(selling_shop, quantity, message):
    client = shopper()

    response = client.post(
        "/cart/add/", {"variant": variant_id(selling_shop, "OOL-100"), "quantity": quantity}
    )

    assert response.status_code == 400
    assert response.context["errors"] == {"quantity": [message]}
    assert client.session.get("cart") is None


def test_unknown_and_unpublished_items_cannot_be_added(selling_shop):
    with selling_shop.merchant:
        Product.objects.filter(slug="puer").update(is_published=False)
    client = shopper()

    unknown = client.post("/cart/add/", {"variant": "999999", "quantity": "1"})
    hidden = client.post(
        "/cart/add/", {"variant": variant_id(selling_shop, "PUER-357"), "quantity": "1"}
    )

    assert unknown.status_code == hidden.status_code == 400
    assert hidden.context["errors"] == {"variant": ["This item is not available."]}
    assert client.get("/p/puer/").status_code == 404


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"email": ""}, "email"),
        ({"email": "nope"}, "email"),
        ({"contact_name": ""}, "contact_name"),
        ({"address_line1": ""}, "address_line1"),
        ({"shipping_method": "teleport"}, "shipping_method"),
        ({"payment_method": "stripe"}, "payment_method"),
    ],
)
def test_bad_checkout_input_names_the_field_and_writes_nothing(selling_shop, overrides, field):
    client = shopper()
    client.post("/cart/add/", {"variant": variant_id(selling_shop, "OOL-100"), "quantity": "1"})

    response = client.post("/checkout/", checkout_form(client, **overrides))

    assert response.status_code == 400
    assert field in response.context["form"].errors
    with selling_shop.merchant:
        assert not Order.objects.exists()
    assert stock_of(selling_shop, "OOL-100") == 5


def test_a_sold_out_item_is_named_and_nothing_is_written(selling_shop):
    client = shopper()
    client.post("/cart/add/", {"variant": variant_id(selling_shop, "OOL-100"), "quantity": "6"})

    response = client.post("/checkout/", checkout_form(client))

    assert response.status_code == 400
    assert "Sold out: only 5 of OOL-100 left." in response.context["form"].non_field_errors()[0]
    with selling_shop.merchant:
        assert not Order.objects.exists()


def test_the_status_page_needs_the_secret_link(selling_shop):
    assert shopper().get("/orders/not-the-token/").status_code == 404


def test_one_shop_never_shows_another_shops_products(selling_shop, other_shop):
    bravo = on_host(Client(), "bravo.localhost")

    assert "Oolong" not in bravo.get("/").content.decode()
    assert bravo.get("/p/oolong/").status_code == 404


def test_the_product_page_runs_the_same_queries_for_1_and_10_variants(
    selling_shop, django_assert_num_queries
):
    client = shopper()
    client.get("/p/oolong/")
    # search_path and stock levels; the product, its variants and images, the store settings
    # and the plugin's state come from the short-lived cache after the first view.
    with django_assert_num_queries(2):
        assert client.get("/p/oolong/").status_code == 200
    with selling_shop.merchant:
        oolong = Product.objects.get(slug="oolong")
        for number in range(9):
            Variant.objects.create(product=oolong, sku=f"OOL-{number}", price=Decimal("1.00"))
    client.get("/p/oolong/")  # the new variants dropped the cached page; this refills it
    with django_assert_num_queries(2):
        assert client.get("/p/oolong/").status_code == 200


def test_a_price_change_shows_on_the_product_page_at_once(selling_shop):
    client = shopper()
    assert "30.00" in client.get("/p/oolong/").content.decode()
    with selling_shop.merchant:
        variant = Variant.objects.get(sku="OOL-100")
        variant.price = Decimal("33.00")
        variant.save()

    page = client.get("/p/oolong/").content.decode()

    assert "33.00" in page
    assert "30.00" not in page


@pytest.mark.django_db(transaction=True)  # as in production: no transaction around requests
def test_each_step_of_a_checkout_runs_a_fixed_number_of_queries(
    selling_shop, django_assert_num_queries
):
    """The hot path of bench/checkout_http.py, counted as the bench prints it: the second
    of two shoppers, so what is cached for a minute (the shop's host for the email's
    links, webhook subscriptions) is as warm as in steady traffic."""
    oolong = variant_id(selling_shop, "OOL-100")
    counted = []

    def step(request, *args, **kwargs):
        with CaptureQueriesContext(connection) as captured:
            response = request(*args, **kwargs)
        counted.append(len(captured))
        return response

    for _shopper in range(2):
        counted.clear()
        client = shopper()
        step(client.get, "/p/oolong/")
        step(client.post, "/cart/add/", {"variant": oolong, "quantity": "1"})
        step(client.get, "/cart/")
        form = step(checkout_form, client, shipping_method="pickup")
        placed = step(client.post, "/checkout/", form)
        page = step(client.get, placed["Location"])

    # product page: search_path, live stock. Add to cart: the variant, the new session.
    # Cart and checkout page: the cart's lines. Placing: the cart's lines, the reference
    # unused; BEGIN, the stock taken, the order with its lines, event and customer, the
    # confirmation email; COMMIT; the session. Order page: the order, its lines.
    assert counted == [2, 3, 2, 2, 9, 3]
    assert placed.status_code == 302
    assert page.context["lines"][0].product_title == "Oolong"
