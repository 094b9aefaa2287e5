"""Checkout throughput: the real checkout path (commerce.checkout.services.place_order with
cash on delivery) beside the same SQL written by hand, 4 client processes each, on real
PostgreSQL. Spread over 200 products, then all on one hot product.

Prints `RESULT checkout_ratio=… checkout_hot_ratio=… oversold=0` (goals: ratio ≥ 0.30,
hot ratio ≥ 0.20; oversold must be 0). At `BENCH_SCALE=smoke`: 20 products, one second a run.
"""

import multiprocessing
import os
import random
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

from _scale import seconds, sized

CLIENTS = sized(4, 2)  # two are enough to run the concurrent path at smoke size
SECONDS = seconds(8)
SLUG = "bench-checkout"
PRODUCTS = sized(200, 20)
STOCK = 10_000_000


def setup_django():
    import django

    django.setup()


def seed() -> tuple[str, int, list[int], int]:
    """The bench shop: 200 products plus one hot product, plenty of stock. Idempotent."""
    from decimal import Decimal

    from django.contrib.auth.hashers import make_password

    from commerce.catalog.models import Product, Stock, Variant
    from commerce.store.selectors import online_outlet, store_settings
    from tenants.models import Merchant
    from tenants.services import open_shop

    merchant = Merchant.objects.filter(slug=SLUG).first()
    if merchant is None:
        merchant = open_shop(
            shop_name="Checkout bench",
            slug=SLUG,
            owner_email=f"owner@{SLUG}.test",
            owner_password_hash=make_password("bench-pass-2026"),
        ).merchant
    with merchant:
        settings = store_settings()
        settings.accepts_cash_on_delivery = True
        settings.local_pickup = True
        settings.save()
        outlet = online_outlet()
        for number in range(PRODUCTS + 1):
            sku = "HOT" if number == PRODUCTS else f"SKU-{number:04d}"
            if Variant.objects.filter(sku=sku).exists():
                continue
            product = Product.objects.create(
                title=f"Product {sku}", slug=sku.lower(), is_published=True
            )
            variant = Variant.objects.create(product=product, sku=sku, price=Decimal("19.90"))
            Stock.objects.create(variant=variant, outlet=outlet, quantity=STOCK)
        spread = list(Variant.objects.exclude(sku="HOT").values_list("pk", flat=True))
        hot = Variant.objects.get(sku="HOT").pk
        return merchant.schema_name, outlet.pk, spread, hot


def wait_for_start(gate) -> float:
    """Tell the parent this client is ready (Django imported, connected) and wait for the
    common start; returns the start time."""
    ready, go = gate
    ready.put(os.getpid())
    go.wait()
    return time.time()


def orm_client(schema: str, variant_ids: list[int], gate, results) -> None:
    setup_django()
    from django.db import connection

    from commerce.checkout.services import CheckoutRequest, place_order
    from commerce.orders.services import LineRequest
    from tenants.models import Merchant

    connection.set_tenant(Merchant.objects.get(schema_name=schema))
    pick = random.Random(os.getpid()).choice
    start_at = wait_for_start(gate)
    done = 0
    deadline = start_at + SECONDS
    while time.time() < deadline:
        place_order(
            CheckoutRequest(
                reference=str(uuid.uuid4()),
                lines=[LineRequest(pick(variant_ids), 1)],
                email=f"shopper{done % 500}@bench.test",
                contact_name="Bench shopper",
                payment_method="cash_on_delivery",
                shipping_method="pickup",
            )
        )
        done += 1
    results.put(done)


RAW_STATEMENTS = {
    "lock": (
        "SELECT s.id, s.quantity, v.price, v.sku, p.title FROM catalog_stock s "
        "JOIN catalog_variant v ON v.id = s.variant_id JOIN catalog_product p ON p.id = v.product_id "
        "WHERE s.outlet_id = %s AND s.variant_id = %s ORDER BY s.id FOR UPDATE OF s"
    ),
    "take": "UPDATE catalog_stock SET quantity = quantity - 1 WHERE id = %s",
    "customer": (
        "INSERT INTO orders_customer (email, name, phone, orders_count, first_order_at, created_at) "
        "VALUES (%s, 'Bench shopper', '', 1, now(), now()) ON CONFLICT (email) DO UPDATE "
        "SET orders_count = orders_customer.orders_count + 1 RETURNING id, orders_count"
    ),
    "order": (
        "INSERT INTO orders_order (reference, status_token, channel, customer_id, is_new_customer, "
        "outlet_id, status, payment_status, payment_method, currency, subtotal, shipping_total, "
        "total, refunded_total, email, contact_name, phone, shipping_method, shipping_address, "
        "carrier, tracking_number, tags, payment_intent_id, created_at) VALUES (%s, %s, 'online', "
        "%s, %s, %s, 'unfulfilled', 'pending', 'cash_on_delivery', 'CNY', %s, 0, %s, 0, %s, "
        "'Bench shopper', '', 'pickup', '{}', '', '', '{}', '', now()) RETURNING id"
    ),
    "line": (
        "INSERT INTO orders_orderline (order_id, variant_id, product_title, variant_name, sku, "
        "unit_price, quantity, line_total) VALUES (%s, %s, %s, '', %s, %s, 1, %s)"
    ),
    "event": (
        "INSERT INTO orders_orderevent (order_id, kind, message, data, actor, created_at) "
        "VALUES (%s, 'placed', 'Order placed', '{}', '', now())"
    ),
}


def raw_client(schema: str, outlet_id: int, variant_ids: list[int], gate, results) -> None:
    import secrets

    import psycopg

    setup_django()
    from django.db import connection

    db = connection.settings_dict
    conn = psycopg.connect(
        dbname=db["NAME"], user=db["USER"], host=db["HOST"] or None, port=db["PORT"] or None
    )
    conn.execute(f'SET search_path = "{schema}", public')
    conn.commit()
    pick = random.Random(os.getpid()).choice
    start_at = wait_for_start(gate)
    done = 0
    deadline = start_at + SECONDS
    while time.time() < deadline:
        variant_id = pick(variant_ids)
        with conn.transaction(), conn.cursor() as cur:
            cur.execute(RAW_STATEMENTS["lock"], [outlet_id, variant_id])
            stock_id, quantity, price, sku, title = cur.fetchone()
            if quantity < 1:
                raise RuntimeError("sold out")
            cur.execute(RAW_STATEMENTS["take"], [stock_id])
            email = f"shopper{done % 500}@bench.test"
            cur.execute(RAW_STATEMENTS["customer"], [email])
            customer_id, count = cur.fetchone()
            cur.execute(
                RAW_STATEMENTS["order"],
                [
                    uuid.uuid4(),
                    secrets.token_urlsafe(24),
                    customer_id,
                    count == 1,
                    outlet_id,
                    price,
                    price,
                    email,
                ],
            )
            (order_id,) = cur.fetchone()
            cur.execute(RAW_STATEMENTS["line"], [order_id, variant_id, title, sku, price, price])
            cur.execute(RAW_STATEMENTS["event"], [order_id])
        done += 1
    conn.close()
    results.put(done)


def run(target, args) -> float:
    """`CLIENTS` processes run `target(*args, gate, results)` for SECONDS from a common start
    (given once every one of them has imported Django); the sum of their counts per second."""
    # Forked, not spawned: each client starts with Django already imported (a spawned one
    # spends a second or more on it). The parent closed its database connection first, and
    # redis-py drops a pool it finds in a forked child.
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    gate = (context.Queue(), context.Event())
    processes = [
        context.Process(target=target, args=(*args, gate, results)) for _ in range(CLIENTS)
    ]
    for process in processes:
        process.start()
    for _ in processes:
        gate[0].get(timeout=120)
    gate[1].set()
    total = sum(results.get(timeout=SECONDS + 120) for _ in processes)
    for process in processes:
        process.join()
    return total / SECONDS


def main() -> None:
    setup_django()
    from django.db import connection
    from django.db.models import Sum

    from commerce.catalog.models import Stock
    from commerce.orders.models import OrderLine
    from tenants.models import Merchant

    schema, outlet_id, spread, hot = seed()
    merchant = Merchant.objects.get(schema_name=schema)
    with merchant:
        stock_before = Stock.objects.aggregate(total=Sum("quantity"))["total"]
        sold_before = OrderLine.objects.aggregate(total=Sum("quantity"))["total"] or 0
    connection.close()

    # Warm both paths (plans, caches) before measuring.
    orm = run(orm_client, (schema, spread))
    raw = run(raw_client, (schema, outlet_id, spread))
    orm_hot = run(orm_client, (schema, [hot]))
    raw_hot = run(raw_client, (schema, outlet_id, [hot]))

    with merchant:
        stock_after = Stock.objects.aggregate(total=Sum("quantity"))["total"]
        sold_after = OrderLine.objects.aggregate(total=Sum("quantity"))["total"] or 0
        negative = Stock.objects.filter(quantity__lt=0).count()
    sold = sold_after - sold_before
    oversold = abs((stock_before - stock_after) - sold) + negative

    print(
        f"checkout ({CLIENTS} clients, {PRODUCTS} products): {orm:.1f}/s real path, {raw:.1f}/s raw SQL"
    )
    print(
        f"checkout ({CLIENTS} clients, one hot product):  {orm_hot:.1f}/s real path, {raw_hot:.1f}/s raw SQL"
    )
    print("goals: ratio >= 0.30, hot ratio >= 0.20, oversold = 0")
    print(
        f"RESULT checkout_ratio={orm / raw:.2f} checkout_hot_ratio={orm_hot / raw_hot:.2f} "
        f"checkout_rps={orm:.1f} raw_rps={raw:.1f} oversold={oversold}"
    )


if __name__ == "__main__":
    main()
