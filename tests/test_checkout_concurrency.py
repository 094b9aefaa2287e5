"""Invariant 2: stock never goes negative; N concurrent checkouts for S units make
exactly min(N, S) orders, and multi-item checkouts in different orders never deadlock."""

import threading
import uuid
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.db.models import Sum

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


def seed_two_outlets(units: dict[str, tuple[int, int]]):
    """Like seed_shop, with each item's units at two outlets fulfilling online orders:
    {sku: (units at the first, units at the second)}. The second outlet's stock rows get the
    lower primary keys, so the lock order (by id) differs from the outlets' order."""
    merchant = ShopFactory(slug="rush").merchant
    with merchant:
        from commerce.store.models import Outlet
        from commerce.store.selectors import store_settings

        settings = store_settings()
        settings.accepts_cash_on_delivery = True
        settings.local_pickup = True
        settings.save()
        first = online_outlet()
        second = Outlet.objects.create(
            name="Second", address="2 Road", fulfils_online=True, online_rank=2
        )
        variant_ids = []
        for sku, (at_first, at_second) in units.items():
            product = Product.objects.create(title=sku, slug=sku.lower(), is_published=True)
            variant = Variant.objects.create(product=product, sku=sku, price=Decimal("9.90"))
            Stock.objects.create(variant=variant, outlet=second, quantity=at_second)
            Stock.objects.create(variant=variant, outlet=first, quantity=at_first)
            variant_ids.append(variant.pk)
    connection.set_schema_to_public()
    return merchant, variant_ids


def test_200_concurrent_checkouts_for_50_units_over_two_outlets_make_exactly_50_orders():
    merchant, (variant_id,) = seed_two_outlets({"HOT-TEA": (20, 30)})

    placed, sold_out, errors = run_checkouts(
        merchant, [[LineRequest(variant_id, 1)] for _ in range(200)]
    )

    assert errors == []
    assert (placed, sold_out) == (50, 150)
    with merchant:
        from commerce.orders.models import OrderLine

        assert Order.objects.count() == 50
        assert sorted(Stock.objects.values_list("quantity", flat=True)) == [0, 0]
        assert sorted(
            OrderLine.objects.values_list("outlet__name").annotate(units=Sum("quantity"))
        ) == [("Online warehouse", 20), ("Second", 30)]


def test_split_lines_bought_together_in_different_orders_never_deadlock_or_oversell():
    # Each basket takes 3 of each item: one outlet alone never has enough after a while, so
    # most orders split lines across both outlets, locking four rows at once.
    merchant, ids = seed_two_outlets({"A-1": (16, 14), "B-2": (14, 16), "C-3": (15, 15)})
    orders_of_lines = [ids, list(reversed(ids)), [ids[1], ids[2], ids[0]]]
    baskets = [
        [LineRequest(variant_id, 3) for variant_id in orders_of_lines[index % 3]]
        for index in range(40)
    ]

    placed, sold_out, errors = run_checkouts(merchant, baskets)

    assert errors == []
    assert (placed, sold_out) == (10, 30)
    with merchant:
        from commerce.orders.models import OrderLine

        assert sorted(Stock.objects.values_list("quantity", flat=True)) == [0] * 6
        assert OrderLine.objects.aggregate(units=Sum("quantity"))["units"] == 90
