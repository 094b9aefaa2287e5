"""Online stock from several outlets (issue 16 item 3), the checkout's fee and total before
the order (item 4) and the till's default outlet, cash tendered and receipt (item 5)."""

import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client

from commerce.catalog.models import Stock, Variant
from commerce.checkout.services import CheckoutRequest, place_order
from commerce.orders.models import Order, OrderLine
from commerce.orders.services import LineRequest, OutOfStock, cancel_order
from commerce.store.models import Outlet
from commerce.store.selectors import online_outlet_ids
from tests.conftest import on_host

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_outlets(selling_shop):
    """Alpha's Oolong: 10 at Bund Store (fulfils first), 40 at Pudong Warehouse (second),
    3 at Jing'an Store (not online); the old online warehouse no longer fulfils online."""
    with selling_shop.merchant:
        oolong = Variant.objects.get(sku="OOL-100")
        bund = Outlet.objects.create(
            name="Bund Store", address="1 Bund", fulfils_online=True, online_rank=1
        )
        pudong = Outlet.objects.create(
            name="Pudong Warehouse",
            address="9 Pudong",
            kind="warehouse",
            fulfils_online=True,
            online_rank=2,
        )
        jingan = Outlet.objects.create(name="Jing'an Store", address="3 Jing'an")
        warehouse = Outlet.objects.get(name="Online warehouse")
        warehouse.fulfils_online = False
        warehouse.save()
        Stock.objects.filter(outlet=warehouse).delete()
        Stock.objects.create(variant=oolong, outlet=bund, quantity=10)
        Stock.objects.create(variant=oolong, outlet=pudong, quantity=40)
        Stock.objects.create(variant=oolong, outlet=jingan, quantity=3)
    connection.set_schema_to_public()
    return selling_shop


def owner_client(shop) -> Client:
    client = on_host(Client(), "alpha.localhost")
    client.force_login(shop.owner)
    return client


def stock_by_outlet(shop) -> dict[str, int]:
    with shop.merchant:
        return dict(
            Stock.objects.filter(variant__sku="OOL-100").values_list("outlet__name", "quantity")
        )


def buy(shop, quantity: int, *, shipping_method="flat", pickup_outlet_id=None) -> Order:
    with shop.merchant:
        order = place_order(
            CheckoutRequest(
                reference=str(uuid.uuid4()),
                lines=[LineRequest(Variant.objects.get(sku="OOL-100").pk, quantity)],
                email="mei@example.test",
                contact_name="Mei",
                payment_method="cash_on_delivery",
                shipping_method=shipping_method,
                shipping_address={"line1": "8 Century Avenue", "city": "Shanghai"},
                pickup_outlet_id=pickup_outlet_id,
            )
        )
    connection.set_schema_to_public()
    return order


def lines_of(shop, order: Order) -> list[tuple[str, int, str]]:
    with shop.merchant:
        return list(
            OrderLine.objects.filter(order=order)
            .order_by("id")
            .values_list("sku", "quantity", "outlet__name")
        )


def test_the_product_page_shows_the_sum_of_the_outlets_that_fulfil_online(two_outlets):
    page = on_host(Client(), "alpha.localhost").get("/p/oolong/").content.decode()

    assert "50 in stock" in page  # 10 + 40; Jing'an's 3 are not sold online


def test_a_line_one_outlet_cannot_fill_is_split_in_the_merchants_order(two_outlets):
    order = buy(two_outlets, 15)

    assert lines_of(two_outlets, order) == [
        ("OOL-100", 10, "Bund Store"),
        ("OOL-100", 5, "Pudong Warehouse"),
    ]
    with two_outlets.merchant:
        order.refresh_from_db()
        assert order.outlet.name == "Bund Store"
        assert order.subtotal == Decimal("450.00")
    assert stock_by_outlet(two_outlets) == {
        "Bund Store": 0,
        "Pudong Warehouse": 35,
        "Jing'an Store": 3,
    }
    detail = owner_client(two_outlets).get(f"/manage/orders/{order.pk}/").content.decode()
    assert '<td class="line-outlet">Bund Store</td>' in detail
    assert '<td class="line-outlet">Pudong Warehouse</td>' in detail


def test_the_first_outlet_gives_a_line_alone_when_it_can(two_outlets):
    order = buy(two_outlets, 4)

    assert lines_of(two_outlets, order) == [("OOL-100", 4, "Bund Store")]
    assert stock_by_outlet(two_outlets)["Pudong Warehouse"] == 40


def test_changing_the_order_takes_from_the_new_first_outlet(two_outlets):
    owner = owner_client(two_outlets)
    with two_outlets.merchant:
        pudong = Outlet.objects.get(name="Pudong Warehouse")
    connection.set_schema_to_public()

    saved = owner.post(
        f"/manage/store/outlets/{pudong.pk}/",
        {
            "name": "Pudong Warehouse",
            "address": "9 Pudong",
            "kind": "warehouse",
            "is_active": "on",
            "fulfils_online": "on",
            "online_rank": "0",
        },
    )
    assert saved.status_code == 400
    assert "online_rank" in saved.context["form"].errors
    owner.post(
        f"/manage/store/outlets/{pudong.pk}/",
        {
            "name": "Pudong Warehouse",
            "address": "9 Pudong",
            "kind": "warehouse",
            "is_active": "on",
            "fulfils_online": "on",
            "online_rank": "1",
        },
    )
    with two_outlets.merchant:
        bund = Outlet.objects.get(name="Bund Store")
        bund.online_rank = 2
        bund.save()
    connection.set_schema_to_public()

    order = buy(two_outlets, 2)

    assert lines_of(two_outlets, order) == [("OOL-100", 2, "Pudong Warehouse")]
    store_page = owner.get("/manage/store/").content.decode()
    assert "1. Pudong Warehouse, 2. Bund Store" in store_page


def test_more_than_the_sum_is_sold_out_and_takes_nothing(two_outlets):
    with pytest.raises(OutOfStock) as sold_out:
        buy(two_outlets, 51)

    assert (sold_out.value.sku, sold_out.value.available) == ("OOL-100", 50)
    assert stock_by_outlet(two_outlets) == {
        "Bund Store": 10,
        "Pudong Warehouse": 40,
        "Jing'an Store": 3,
    }
    with two_outlets.merchant:
        assert not Order.objects.exists()


def test_cancelling_a_split_order_returns_each_unit_to_its_outlet(two_outlets):
    order = buy(two_outlets, 12)

    with two_outlets.merchant:
        cancel_order(order.pk, reason="Changed mind", actor="owner@example.test")
    connection.set_schema_to_public()

    assert stock_by_outlet(two_outlets) == {
        "Bund Store": 10,
        "Pudong Warehouse": 40,
        "Jing'an Store": 3,
    }


def test_the_last_outlet_fulfilling_online_orders_cannot_stop(two_outlets):
    owner = owner_client(two_outlets)
    with two_outlets.merchant:
        pudong = Outlet.objects.get(name="Pudong Warehouse")
        pudong.fulfils_online = False
        pudong.save()
        bund = Outlet.objects.get(name="Bund Store")
    connection.set_schema_to_public()

    refused = owner.post(
        f"/manage/store/outlets/{bund.pk}/",
        {
            "name": "Bund Store",
            "address": "1 Bund",
            "kind": "store",
            "is_active": "on",
            "online_rank": "1",
        },
    )

    assert refused.status_code == 400
    assert refused.context["form"].errors["fulfils_online"] == [
        "At least one active outlet must fulfil online orders."
    ]
    with two_outlets.merchant:
        assert Outlet.objects.get(pk=bund.pk).fulfils_online is True
        assert online_outlet_ids() == (bund.pk,)


def test_checkout_shows_each_delivery_fee_and_total_before_the_order(two_outlets):
    client = on_host(Client(), "alpha.localhost")
    with two_outlets.merchant:
        oolong = Variant.objects.get(sku="OOL-100").pk
    connection.set_schema_to_public()
    client.post("/cart/add/", {"variant": oolong, "quantity": "2"})

    page = client.get("/checkout/").content.decode()

    assert "Delivery: 10.00 CNY · total 70.00 CNY" in page
    assert "Pick up at an outlet: free · total 60.00 CNY" in page
    assert '<td id="shipping-fee">10.00 CNY</td>' in page
    assert '<td id="order-total">70.00 CNY</td>' in page
    updated = client.post(
        "/checkout/",
        {"shipping_method": "pickup", "update_total": "1", "reference": str(uuid.uuid4())},
    )
    assert updated.status_code == 200
    assert '<td id="shipping-fee">Free</td>' in updated.content.decode()
    assert '<td id="order-total">60.00 CNY</td>' in updated.content.decode()
    assert updated.context["form"].errors == {}
    with two_outlets.merchant:
        assert not Order.objects.exists()


def test_pickup_lets_the_shopper_choose_the_outlet(two_outlets):
    client = on_host(Client(), "alpha.localhost")
    with two_outlets.merchant:
        oolong = Variant.objects.get(sku="OOL-100").pk
        jingan = Outlet.objects.get(name="Jing'an Store")
    connection.set_schema_to_public()
    client.post("/cart/add/", {"variant": oolong, "quantity": "2"})
    form = client.get("/checkout/").context["form"]
    assert [label for _pk, label in form.fields["pickup_outlet"].choices] == [
        "Bund Store · 1 Bund",
        "Jing'an Store · 3 Jing'an",
    ]
    data = {
        "reference": str(form.initial["reference"]),
        "contact_name": "Mei Lin",
        "email": "mei@example.test",
        "shipping_method": "pickup",
        "payment_method": "pay_in_store",
    }

    unknown = client.post("/checkout/", {**data, "pickup_outlet": "999999"})
    placed = client.post("/checkout/", {**data, "pickup_outlet": str(jingan.pk)})

    assert unknown.status_code == 400
    assert "pickup_outlet" in unknown.context["form"].errors
    assert placed.status_code == 302
    with two_outlets.merchant:
        order = Order.objects.get()
        assert (order.outlet_id, order.shipping_total, order.total) == (
            jingan.pk,
            Decimal("0.00"),
            Decimal("60.00"),
        )
    # Jing'an does not fulfil online orders: the units come from the online outlets, in order.
    assert lines_of(two_outlets, order) == [("OOL-100", 2, "Bund Store")]
    assert "Jing&#x27;an Store · 3 Jing&#x27;an" in client.get(placed["Location"]).content.decode()


def test_pickup_at_an_outlet_that_fulfils_online_takes_from_it_first(two_outlets):
    with two_outlets.merchant:
        pudong = Outlet.objects.get(name="Pudong Warehouse")
        pudong.kind = "store"
        pudong.save()
    connection.set_schema_to_public()

    order = buy(two_outlets, 3, shipping_method="pickup", pickup_outlet_id=pudong.pk)

    assert lines_of(two_outlets, order) == [("OOL-100", 3, "Pudong Warehouse")]


def test_the_till_sells_from_the_outlet_it_shows_without_choosing_it(two_outlets):
    owner = owner_client(two_outlets)
    till = owner.get("/manage/pos/").content.decode()
    with two_outlets.merchant:
        bund = Outlet.objects.get(name="Bund Store")  # first by name: shown selected
    connection.set_schema_to_public()
    assert f'<option value="{bund.pk}" selected>Bund Store</option>' in till

    owner.post("/manage/pos/add/", {"sku": "OOL-100", "quantity": "2"})
    sale = owner.post("/manage/pos/pay/", {"payment_method": "card_offline", "outlet": bund.pk})

    assert sale.status_code == 302
    assert stock_by_outlet(two_outlets)["Bund Store"] == 8


@pytest.mark.parametrize(
    ("tendered", "message"),
    [
        ("59.99", "Cash tendered: Cash tendered (59.99) is less than the total (60.00)."),
        ("-5", "Cash tendered: A price cannot be negative."),
        ("1e309", "Cash tendered: Enter a price below 1000000000000."),
        ("abc", "Cash tendered: Enter a number."),
        ("9" * 40, "Cash tendered: Enter a price below 1000000000000."),
        ("12.345", "Cash tendered: CNY prices have at most 2 decimals."),
    ],
)
def test_cash_tendered_below_the_total_or_malformed_is_refused(two_outlets, tendered, message):
    owner = owner_client(two_outlets)
    owner.post("/manage/pos/add/", {"sku": "OOL-100", "quantity": "2"})

    refused = owner.post(
        "/manage/pos/pay/", {"payment_method": "cash", "cash_tendered": tendered}, follow=True
    )

    assert message in refused.content.decode()
    with two_outlets.merchant:
        assert not Order.objects.exists()
    assert stock_by_outlet(two_outlets)["Bund Store"] == 10


def test_the_receipt_shows_payment_change_and_the_tracking_qr(two_outlets):
    owner = owner_client(two_outlets)
    owner.post("/manage/pos/add/", {"sku": "OOL-100", "quantity": "3"})

    sale = owner.post("/manage/pos/pay/", {"payment_method": "cash", "cash_tendered": "100"})

    with two_outlets.merchant:
        order = Order.objects.get()
        assert (order.total, order.cash_tendered, order.change_due) == (
            Decimal("90.00"),
            Decimal("100.00"),
            Decimal("10.00"),
        )
    receipt = owner.get(sale["Location"]).content.decode()
    assert '<h1 id="receipt-shop">' in receipt
    assert f"Receipt {order.number}" in receipt
    assert "3 × Oolong 100 g" in receipt
    assert '<td class="amount" id="receipt-tendered">100.00</td>' in receipt
    assert '<td class="amount" id="receipt-change">10.00</td>' in receipt
    assert f"http://alpha.localhost/orders/{order.status_token}/" in receipt
    assert "css/receipt.css" in receipt
    qr = owner.get(f"/manage/pos/receipts/{order.pk}/qr.svg")
    assert qr["Content-Type"] == "image/svg+xml"
    assert qr.content.startswith(b"<?xml") or qr.content.startswith(b"<svg")
    assert order.status_token.encode() in qr.content
    # Another shopper's browser cannot open a till's receipt.
    assert on_host(Client(), "alpha.localhost").get(sale["Location"]).status_code == 302


def test_card_at_the_till_ignores_a_cash_amount(two_outlets):
    owner = owner_client(two_outlets)
    owner.post("/manage/pos/add/", {"sku": "OOL-100", "quantity": "1"})

    owner.post("/manage/pos/pay/", {"payment_method": "card_offline", "cash_tendered": "50"})

    with two_outlets.merchant:
        assert Order.objects.values_list("cash_tendered", "change_due").get() == (None, None)


def test_a_card_reservation_split_across_outlets_goes_back_to_each_and_a_late_payment_retakes(
    two_outlets,
):
    from datetime import timedelta

    from django.utils import timezone

    from commerce.checkout.models import CheckoutLine
    from commerce.checkout.services import (
        finalize_checkout,
        release_reservation,
        reserve_checkout,
    )
    from tenants.models import Merchant

    Merchant.objects.filter(pk=two_outlets.merchant.pk).update(stripe_charges_enabled=True)
    merchant = Merchant.objects.get(pk=two_outlets.merchant.pk)
    with merchant:
        checkout = reserve_checkout(
            CheckoutRequest(
                reference=str(uuid.uuid4()),
                lines=[LineRequest(Variant.objects.get(sku="OOL-100").pk, 12)],
                email="mei@example.test",
                contact_name="Mei",
                payment_method="stripe",
                shipping_method="flat",
                shipping_address={"line1": "8 Century Avenue", "city": "Shanghai"},
            )
        )
        assert list(
            CheckoutLine.objects.order_by("id").values_list("quantity", "outlet__name")
        ) == [(10, "Bund Store"), (2, "Pudong Warehouse")]
        assert checkout.total == Decimal("360.00")  # 12 x 30.00, delivery free over 100.00
    connection.set_schema_to_public()
    assert stock_by_outlet(two_outlets)["Pudong Warehouse"] == 38

    with merchant:
        assert release_reservation(checkout.pk, now=timezone.now() + timedelta(hours=1))
    connection.set_schema_to_public()
    assert stock_by_outlet(two_outlets) == {
        "Bund Store": 10,
        "Pudong Warehouse": 40,
        "Jing'an Store": 3,
    }

    with merchant:
        Stock.objects.filter(outlet__name="Bund Store").update(quantity=4)
        Variant.objects.filter(sku="OOL-100").update(price=Decimal("99.00"))
        result = finalize_checkout(
            str(checkout.reference), payment_intent_id="pi_late", amount_received=checkout.total
        )
        assert result.needs_refund is False
        assert list(
            result.order.lines.order_by("id").values_list("quantity", "unit_price", "outlet__name")
        ) == [(4, Decimal("30.00"), "Bund Store"), (8, Decimal("30.00"), "Pudong Warehouse")]
        assert result.order.total == Decimal("360.00")
    connection.set_schema_to_public()
    assert stock_by_outlet(two_outlets)["Pudong Warehouse"] == 32
