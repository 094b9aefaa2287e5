"""A shopper's whole checkout over HTTP against gunicorn (2 sync workers, persistent DB
connections): the product page, add to cart, the cart, open checkout, place a
cash-on-delivery order, the order page. 4 client processes, each a browser of its own
(keep-alive, its own cookies, the CSRF token of each form it posts), a new shopper for every
order. Beside it, in the same run and by the same client, the bare one-query view.

`http_checkout_ratio` = orders/s * requests per order / bare-view requests/s: how close a
checkout's requests come to the cheapest request the stack can answer.

Last line: `RESULT http_checkout_ratio=… http_orders_per_s=… requests_per_order=…
bare_rps=… failed=0`. At `BENCH_SCALE=smoke`: 10 products, one second a run. A failed
checkout (any answer but 2xx/3xx, or no order page) makes the bench fail.
"""

import random
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _http import (
    CLIENTS,
    Browser,
    free_port,
    measure_beside_bare,
    start_gunicorn,
    wait_for_start,
)
from _scale import seconds, sized

SLUG = "bench-http"
HOST = f"{SLUG}.localhost"
PRODUCTS = sized(50, 10)
SEED_ORDERS = sized(500, 50)
SECONDS = seconds(10)
WARM_UP_SECONDS = sized(3.0, 0)  # a smoke run's figures mean nothing: no warm-up


def seed() -> list[str]:
    """The shop (cash on delivery, pickup), its products with plenty of stock, and orders
    already in its tables: PostgreSQL plans the FK checks of fresh, empty tables as scans."""
    import uuid
    from decimal import Decimal

    from django.contrib.auth.hashers import make_password
    from django.db import connection

    from commerce.catalog.models import Product, Stock, Variant
    from commerce.checkout.services import CheckoutRequest, place_order
    from commerce.orders.models import Order
    from commerce.orders.services import LineRequest
    from commerce.store.selectors import online_outlet, store_settings
    from tenants.models import Merchant
    from tenants.services import open_shop

    merchant = Merchant.objects.filter(slug=SLUG).first() or (
        open_shop(
            shop_name="HTTP checkout bench",
            slug=SLUG,
            owner_email=f"owner@{SLUG}.test",
            owner_password_hash=make_password("bench-pass-2026"),
        ).merchant
    )
    with merchant:
        settings = store_settings()
        settings.accepts_cash_on_delivery = True
        settings.local_pickup = True
        settings.save()
        outlet = online_outlet()
        for number in range(PRODUCTS):
            slug = f"http-{number:03d}"
            if Product.objects.filter(slug=slug).exists():
                continue
            product = Product.objects.create(
                title=f"Tea {number}", slug=slug, description="A tea. " * 20, is_published=True
            )
            for size in (1, 2):
                variant = Variant.objects.create(
                    product=product,
                    sku=f"HTTP-{number:03d}-{size}",
                    name=f"{100 * size} g",
                    price=Decimal("19.90") * size,
                )
                Stock.objects.create(variant=variant, outlet=outlet, quantity=10_000_000)
        variants = list(Variant.objects.values_list("pk", flat=True))
        for number in range(max(SEED_ORDERS - Order.objects.count(), 0)):
            place_order(
                CheckoutRequest(
                    reference=str(uuid.uuid4()),
                    lines=[LineRequest(random.choice(variants), 1)],
                    email=f"seed{number % 100}@bench.test",
                    contact_name="Seed shopper",
                    payment_method="cash_on_delivery",
                    shipping_method="pickup",
                )
            )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        return list(Product.objects.filter(slug__startswith="http-").values_list("slug", flat=True))


def place_one_order(browser: Browser, product_slug: str, number: int) -> None:
    product = browser.get(f"/p/{product_slug}/")
    cart = browser.submit(product, product.form(action_contains="/cart/add/"), quantity="1")
    checkout_link = next(link for link in cart.links if link.rstrip("/").endswith("/checkout"))
    checkout = browser.get(checkout_link)
    placed = browser.submit(
        checkout,
        checkout.form(field="reference"),
        contact_name="HTTP shopper",
        email=f"http{number % 200}@bench.test",
        shipping_method="pickup",
        payment_method="cash_on_delivery",
    )
    if "/orders/" not in placed.url:
        raise RuntimeError(f"checkout did not reach an order page: {placed.url}")


def checkout_client(base: str, host: str, slugs: list[str], seconds: float, gate, results) -> None:
    browser = Browser(base, host)
    pick = random.Random().choice
    browser.new_shopper()
    browser.get("/bench/bare/")  # open the connection before the clock starts
    browser.requests = 0
    orders = failed = 0
    first_error = ""
    deadline = wait_for_start(gate) + seconds
    while time.time() < deadline:
        browser.new_shopper()
        try:
            place_one_order(browser, pick(slugs), orders + failed)
            orders += 1
        except Exception:  # counted and shown: the bench fails on any
            failed += 1
            first_error = first_error or traceback.format_exc(limit=2)
    results.put(
        {"orders": orders, "requests": browser.requests, "failed": failed, "error": first_error}
    )


def query_counts(slug: str) -> list[tuple[str, int, list[str]]]:
    """Each step's SQL statements, one shopper's checkout run in this process through
    Django's test client (the same views and middleware gunicorn runs; the second of two
    shoppers, so the caches are as warm as in the measured traffic)."""
    counts: list[tuple[str, int, list[str]]] = []
    for number in range(2):
        counts = _counted_checkout(slug, f"10.9.{number}.1")
    return counts


def _counted_checkout(slug: str, address: str) -> list[tuple[str, int, list[str]]]:
    import re

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    token = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
    client = Client(HTTP_HOST=HOST, REMOTE_ADDR=address)
    counts = []

    def step(name: str, method: str, url: str, data: dict | None = None):
        with CaptureQueriesContext(connection) as captured:
            response = client.post(url, data) if method == "post" else client.get(url)
        if response.status_code >= 400:
            raise RuntimeError(f"{name}: HTTP {response.status_code}")
        counts.append((name, len(captured), [query["sql"] for query in captured]))
        return response

    html = step("product page", "get", f"/p/{slug}/").content.decode()
    variant = re.search(r'name="variant" value="(\d+)"', html).group(1)
    added = {"variant": variant, "quantity": "1", "csrfmiddlewaretoken": token.search(html)[1]}
    step("add to cart", "post", "/cart/add/", added)
    step("cart", "get", "/cart/")
    checkout = step("checkout page", "get", "/checkout/").content.decode()
    order = {
        "csrfmiddlewaretoken": token.search(checkout)[1],
        "reference": re.search(r'name="reference" value="([^"]+)"', checkout)[1],
        "contact_name": "HTTP shopper",
        "email": "counted@bench.test",
        "shipping_method": "pickup",
        "payment_method": "cash_on_delivery",
    }
    placed = step("place order", "post", "/checkout/", order)
    step("order page", "get", placed["Location"])
    return counts


def main() -> int:
    import _setup  # noqa: F401  (sets Django up, in this process only)
    from django.db import connection

    slugs = seed()
    counts = query_counts(slugs[0])
    print("SQL statements per request (warm caches):")
    for name, count, statements in counts:
        print(f"  {name:14} {count}")
        for sql in statements:
            print(f"      {' '.join(sql.split())[:150]}")
    connection.close()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    measured = measure_beside_bare(
        start_gunicorn(port, {}),
        base,
        HOST,
        checkout_client,
        (base, HOST, slugs),
        seconds=SECONDS,
        warm_up_seconds=WARM_UP_SECONDS,
    )
    measured.print_errors("checkout")
    orders, failed = measured.total("orders"), measured.total("failed")
    orders_per_s, per_order, ratio = measured.ratio(orders)
    bare_rps = measured.bare_rps
    print(
        f"checkout over HTTP ({CLIENTS} clients, 2 sync workers): {orders_per_s:.1f} orders/s, "
        f"{per_order:.1f} requests an order; bare view {bare_rps:.0f} req/s"
    )
    cpu_ms, bare_cpu_ms, cpu_ratio = measured.server_cpu_ratio()
    flow_cpu, bare_cpu = measured.cpu_per_request_ms()
    for what, spent in (("checkout", flow_cpu), ("bare view", bare_cpu)):
        print(
            f"CPU a {what} request: gunicorn {spent.server:.2f} ms, PostgreSQL "
            f"{spent.database:.2f} ms, the clients {spent.clients:.2f} ms"
        )
    print("(PostgreSQL: every postgres process of the machine; a quiet machine's figure)")
    queries = " ".join(
        f"queries_{name.replace(' ', '_')}={count}" for name, count, _statements in counts
    )
    print(
        f"RESULT http_checkout_ratio={ratio:.2f} http_orders_per_s={orders_per_s:.1f} "
        f"requests_per_order={per_order:.1f} bare_rps={bare_rps:.0f} "
        f"server_cpu_ratio={cpu_ratio:.2f} server_cpu_ms={cpu_ms:.2f} "
        f"bare_cpu_ms={bare_cpu_ms:.2f} db_cpu_ms={flow_cpu.database:.2f} "
        f"bare_db_cpu_ms={bare_cpu.database:.2f} client_cpu_ms={flow_cpu.clients:.2f} "
        f"bare_client_cpu_ms={bare_cpu.clients:.2f} failed={failed} {queries}"
    )
    return 1 if failed or not orders else 0


if __name__ == "__main__":
    sys.exit(main())
