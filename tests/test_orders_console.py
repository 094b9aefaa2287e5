import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client

from analytics.models import DailyMerchantStats, MerchantEvent
from commerce.catalog.models import Stock, Variant
from commerce.checkout.services import CheckoutRequest, place_order
from commerce.orders.models import Order
from commerce.orders.services import LineRequest
from commerce.payments.models import Refund
from commerce.store.models import Outlet
from tests.conftest import on_host

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(selling_shop):
    client = on_host(Client(), "alpha.localhost")
    client.force_login(selling_shop.owner)
    return client


def order_for(
    shop, *, sku="OOL-100", quantity=1, email="mei@example.test", method="cash_on_delivery"
):
    with shop.merchant:
        variant = Variant.objects.get(sku=sku)
        order = place_order(
            CheckoutRequest(
                reference=str(uuid.uuid4()),
                lines=[LineRequest(variant.pk, quantity)],
                email=email,
                contact_name="Mei",
                payment_method=method,
                shipping_method="pickup",
            )
        )
    connection.set_schema_to_public()
    return order


def ledger_day(shop) -> DailyMerchantStats:
    return DailyMerchantStats.objects.get(merchant=shop.merchant)


def test_filters_return_exactly_the_matching_orders(owner, selling_shop):
    first = order_for(selling_shop, email="mei@example.test")
    second = order_for(selling_shop, email="li@example.test", method="pay_in_store")
    owner.post(f"/manage/orders/{second.pk}/paid/")

    def numbers(**params) -> list[str]:
        return [order.number for order in owner.get("/manage/orders/", params).context["page"]]

    assert numbers() == [second.number, first.number]
    assert numbers(payment_status="paid") == [second.number]
    assert numbers(q="mei@") == [first.number]
    assert numbers(q=first.number) == [first.number]
    assert numbers(channel="in_store") == []
    bad = owner.get("/manage/orders/", {"date_from": "not-a-date"})
    assert bad.status_code == 400
    assert "date_from" in bad.context["form"].errors


def test_recording_a_cash_payment_counts_the_order_in_gmv_once(owner, selling_shop):
    order = order_for(selling_shop, quantity=2)

    owner.post(f"/manage/orders/{order.pk}/paid/")
    again = owner.post(f"/manage/orders/{order.pk}/paid/")

    assert again.status_code == 400
    day = ledger_day(selling_shop)
    assert (day.gmv, day.orders, day.online_orders, day.new_customers) == (
        Decimal("60.00"),
        1,
        1,
        1,
    )
    with selling_shop.merchant:
        kinds = list(Order.objects.get().events.values_list("kind", flat=True))
    assert kinds == ["placed", "paid"]


def test_fulfil_needs_carrier_and_tracking_and_lands_on_the_timeline(owner, selling_shop):
    order = order_for(selling_shop)

    missing = owner.post(f"/manage/orders/{order.pk}/fulfil/", {"carrier": "SF Express"})
    done = owner.post(
        f"/manage/orders/{order.pk}/fulfil/", {"carrier": "SF Express", "tracking_number": "SF123"}
    )

    assert missing.status_code == 400
    assert list(missing.context["fulfil_form"].errors) == ["tracking_number"]
    assert done.status_code == 302
    with selling_shop.merchant:
        fulfilled = Order.objects.get()
        assert (fulfilled.status, fulfilled.tracking_number) == ("fulfilled", "SF123")
        assert fulfilled.events.last().kind == "fulfilled"


def test_cancelling_returns_the_stock_and_records_the_cancellation(owner, selling_shop):
    order = order_for(selling_shop, quantity=3)

    owner.post(f"/manage/orders/{order.pk}/cancel/", {"reason": "Customer changed their mind"})

    with selling_shop.merchant:
        assert Stock.objects.get(variant__sku="OOL-100").quantity == 5
        cancelled = Order.objects.get()
        assert (cancelled.status, cancelled.payment_status) == ("cancelled", "voided")
    assert MerchantEvent.objects.filter(kind="order_cancelled").count() == 1
    assert ledger_day(selling_shop).cancelled_orders == 1


def test_partial_then_full_refunds_update_the_order_and_the_ledger(owner, selling_shop):
    order = order_for(selling_shop, quantity=2)
    owner.post(f"/manage/orders/{order.pk}/paid/")
    key = str(uuid.uuid4())
    refund = {"amount": "20.00", "reason": "Damaged box", "idempotency_key": key}

    owner.post(f"/manage/orders/{order.pk}/refund/", refund)
    owner.post(f"/manage/orders/{order.pk}/refund/", refund)  # the same form sent twice
    with selling_shop.merchant:
        assert Refund.objects.count() == 1
        assert Order.objects.get().payment_status == "partially_refunded"

    owner.post(
        f"/manage/orders/{order.pk}/refund/",
        {"amount": "40.00", "reason": "Returned", "idempotency_key": str(uuid.uuid4())},
    )

    with selling_shop.merchant:
        refunded = Order.objects.get()
        assert (refunded.refunded_total, refunded.payment_status) == (Decimal("60.00"), "refunded")
        assert Refund.objects.count() == 2
    day = ledger_day(selling_shop)
    assert (day.refunds, day.refund_count, day.net_gmv) == (Decimal("60.00"), 2, Decimal("0"))


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("0", "The amount must be more than zero."),
        ("-5", "The amount must be more than zero."),
        ("30.001", "Too many decimals for CNY."),
        ("30.01", "At most 30.00 can still be refunded."),
        ("lots", "Enter an amount."),
    ],
)
def test_bad_refunds_name_the_amount_and_change_nothing(owner, selling_shop, amount, message):
    order = order_for(selling_shop)
    owner.post(f"/manage/orders/{order.pk}/paid/")

    response = owner.post(
        f"/manage/orders/{order.pk}/refund/",
        {"amount": amount, "reason": "Test", "idempotency_key": str(uuid.uuid4())},
    )

    assert response.status_code == 400
    assert response.context["refund_form"].errors["amount"] == [message]
    with selling_shop.merchant:
        assert not Refund.objects.exists()
        assert Order.objects.get().refunded_total == 0


def test_pos_sale_takes_stock_from_the_chosen_outlet_and_signals_go_live_once(owner, selling_shop):
    with selling_shop.merchant:
        bund = Outlet.objects.create(name="Bund", address="1 Bund")
        Stock.objects.create(variant=Variant.objects.get(sku="OOL-100"), outlet=bund, quantity=4)
    connection.set_schema_to_public()

    owner.post("/manage/pos/outlet/", {"outlet": bund.pk})
    owner.post("/manage/pos/add/", {"sku": "ool-100", "quantity": "3"})
    sale = owner.post("/manage/pos/pay/", {"payment_method": "cash"})
    owner.post("/manage/pos/add/", {"sku": "OOL-100", "quantity": "1"})
    owner.post("/manage/pos/pay/", {"payment_method": "card_offline"})

    assert sale.status_code == 302
    receipt = owner.get(sale["Location"]).content.decode()
    assert "3 × Oolong 100 g" in receipt
    with selling_shop.merchant:
        assert dict(Stock.objects.values_list("outlet__name", "quantity")) == {
            "Online warehouse": 5,
            "Bund": 0,
        }
        sales = Order.objects.filter(channel="in_store")
        assert sorted(sales.values_list("total", flat=True)) == [Decimal("30.00"), Decimal("90.00")]
        assert set(sales.values_list("status", "payment_status")) == {("fulfilled", "paid")}
    day = ledger_day(selling_shop)
    assert (day.in_store_orders, day.in_store_gmv, day.online_orders) == (2, Decimal("120.00"), 0)
    assert MerchantEvent.objects.filter(kind="first_in_store_order").count() == 1


def test_pos_refuses_unknown_skus_and_overselling(owner, selling_shop):
    with selling_shop.merchant:
        bund = Outlet.objects.create(name="Bund", address="1 Bund")
    connection.set_schema_to_public()
    owner.post("/manage/pos/outlet/", {"outlet": bund.pk})

    unknown = owner.post("/manage/pos/add/", {"sku": "NOPE", "quantity": "1"}, follow=True)
    owner.post("/manage/pos/add/", {"sku": "OOL-100", "quantity": "1"})
    oversold = owner.post("/manage/pos/pay/", {"payment_method": "cash"}, follow=True)

    assert "SKU: no item with SKU “NOPE”." in unknown.content.decode()
    assert "Only 0 of OOL-100 left at this outlet." in oversold.content.decode()
    with selling_shop.merchant:
        assert not Order.objects.exists()


def test_the_order_list_query_count_does_not_grow_with_orders(
    owner, selling_shop, django_assert_num_queries
):
    for _ in range(3):
        order_for(selling_shop)
    owner.get("/manage/orders/")
    with django_assert_num_queries(7):
        owner.get("/manage/orders/")
    with selling_shop.merchant:
        Stock.objects.update(quantity=100)
    for _ in range(20):
        order_for(selling_shop)
    with django_assert_num_queries(7):
        assert owner.get("/manage/orders/").status_code == 200


def test_times_are_shown_in_the_merchants_timezone(owner, selling_shop):
    import time_machine

    with time_machine.travel("2026-03-01 17:30:00+00:00", tick=False):
        order_for(selling_shop)

    page = owner.get("/manage/orders/").content.decode()

    assert "2026-03-02 01:30" in page  # Asia/Shanghai, UTC+8
