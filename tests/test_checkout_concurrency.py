"""Invariant 2: stock never goes negative; N concurrent checkouts for S units make
exactly min(N, S) orders, and multi-item checkouts in different orders never deadlock."""

import threading
import uuid
from decimal import Decimal

import pytest
from django.db import connection, connections

from commerce.catalog.models import Product, Stock, Variant
from commerce.checkout.services import CheckoutRequest, place_order
from commerce.orders.models import Order
from commerce.orders.services import LineRequest, OutOfStock
from commerce.store.selectors import online_outlet
from commerce.store.services import update_store_settings
from tests.factories import ShopFactory

pytestmark = pytest.mark.django_db(transaction=True)
# Threads running at once: enough contention on 2 cores without exhausting connections. The
# first batch starts together behind a barrier.
BATCH = 16


def seed_shop(units: dict[str, int]):
    merchant = ShopFactory(slug="rush").merchant
    with merchant:
        update_store_settings(display_name="Rush")
        from commerce.store.selectors import store_settings

        settings = store_settings()
        settings.accepts_cash_on_delivery = True
        settings.local_pickup = True
        settings.save()
        outlet = online_outlet()
        variant_ids = []
        for sku, quantity in units.items():
            product = Product.objects.create(title=sku, slug=sku.lower(), is_published=True)
            variant = Variant.objects.create(product=product, sku=sku, price=Decimal("9.90"))
            Stock.objects.create(variant=variant, outlet=outlet, quantity=quantity)
            variant_ids.append(variant.pk)
    connection.set_schema_to_public()
    return merchant, variant_ids


def run_checkouts(merchant, baskets: list[list[LineRequest]]) -> tuple[int, int, list]:
    barrier = threading.Barrier(min(len(baskets), BATCH))
    lock = threading.Lock()
    outcome = {"orders": 0, "sold_out": 0, "errors": []}

    def shopper(index: int, basket: list[LineRequest]) -> None:
        try:
            connection.set_tenant(merchant)
            if index < BATCH:
                barrier.wait(timeout=30)
            place_order(
                CheckoutRequest(
                    reference=str(uuid.uuid4()),
                    lines=basket,
                    email=f"shopper{index}@example.test",
                    contact_name=f"Shopper {index}",
                    payment_method="cash_on_delivery",
                    shipping_method="pickup",
                )
            )
            with lock:
                outcome["orders"] += 1
        except OutOfStock:
            with lock:
                outcome["sold_out"] += 1
        except Exception as error:  # collected and asserted empty below
            with lock:
                outcome["errors"].append(repr(error))
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=shopper, args=(index, basket))
        for index, basket in enumerate(baskets)
    ]
    for start in range(0, len(threads), BATCH):
        batch = threads[start : start + BATCH]
        for thread in batch:
            thread.start()
        for thread in batch:
            thread.join(timeout=120)
    return outcome["orders"], outcome["sold_out"], outcome["errors"]


def test_200_concurrent_checkouts_for_50_units_make_exactly_50_orders():
    merchant, (variant_id,) = seed_shop({"HOT-TEA": 50})

    placed, sold_out, errors = run_checkouts(
        merchant, [[LineRequest(variant_id, 1)] for _ in range(200)]
    )

    assert errors == []
    assert (placed, sold_out) == (50, 150)
    with merchant:
        assert Order.objects.count() == 50
        assert Stock.objects.get(variant_id=variant_id).quantity == 0


def test_three_items_bought_together_in_different_orders_never_deadlock():
    merchant, ids = seed_shop({"A-1": 30, "B-2": 30, "C-3": 30})
    orders_of_lines = [ids, list(reversed(ids)), [ids[1], ids[2], ids[0]]]
    baskets = [
        [LineRequest(variant_id, 1) for variant_id in orders_of_lines[index % 3]]
        for index in range(60)
    ]

    placed, sold_out, errors = run_checkouts(merchant, baskets)

    assert errors == []
    assert (placed, sold_out) == (30, 30)
    with merchant:
        assert sorted(Stock.objects.values_list("quantity", flat=True)) == [0, 0, 0]
