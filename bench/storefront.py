"""Storefront throughput: wrk against gunicorn (2 sync workers, persistent DB connections)
serving a product page, and a bare Django view doing one primary-key select through the
same middleware, in the same run.

Last line: `RESULT storefront_ratio=… storefront_rendered_ratio=… storefront_rps=… bare_rps=…`
(goal: ratio ≥ 0.70). Needs `wrk`; without it the bench says so and
measures nothing, except under CI=true, where it fails. One second a run at
`BENCH_SCALE=smoke`. `storefront_ratio` is the page as cookie-less visitors get it (one
render shared per process, commerce/storefront/page_cache.py); `storefront_rendered_ratio`
the page as a shopper with a cart gets it (a session cookie: the session is read from Redis,
core/sessions.py, and a session holding only a cart shares the render);
`storefront_private_ratio` the page rendered per request, for a session holding more.
"""

import os
import re
import shutil
import subprocess
import sys
from decimal import Decimal
from importlib import import_module

from _http import free_port, start_gunicorn, stop, wait_until_serving
from _setup import seconds
from django.conf import settings as django_settings
from django.contrib.auth.hashers import make_password

from commerce.catalog.models import Product, ProductImage, Stock, Variant
from commerce.store.selectors import online_outlet, store_settings
from commerce.storefront import cart
from tenants.models import Merchant
from tenants.services import open_shop

SLUG = "bench-store"
CSRF_COOKIE = "benchcsrftoken0123456789abcdefgh"
SECONDS = max(1, round(seconds(10)))


def seed() -> tuple[str, str]:
    """The bench shop and product; returns the keys of two shoppers' sessions: one holding
    a cart, one holding a cart and something else (rendered for them alone)."""
    merchant = (
        Merchant.objects.filter(slug=SLUG).first()
        or open_shop(
            shop_name="Storefront bench",
            slug=SLUG,
            owner_email=f"owner@{SLUG}.test",
            owner_password_hash=make_password("bench-pass-2026"),
        ).merchant
    )
    with merchant:
        settings = store_settings()
        settings.tagline = "Fresh leaves every day"
        settings.save()
        if not Product.objects.filter(slug="bench-tea").exists():
            product = Product.objects.create(
                title="Bench tea", slug="bench-tea", description="A tea. " * 40, is_published=True
            )
            for number in range(4):
                variant = Variant.objects.create(
                    product=product,
                    sku=f"BT-{number}",
                    name=f"{50 * (number + 1)} g",
                    price=Decimal("20.00") * (number + 1),
                    compare_at_price=Decimal("99.00"),
                )
                Stock.objects.create(variant=variant, outlet=online_outlet(), quantity=100)
            ProductImage.objects.create(
                product=product, image="products/bench.png", alt="Bench tea"
            )
        store = import_module(django_settings.SESSION_ENGINE).SessionStore
        keys = []
        for extra in ({}, {"bench_private": True}):
            session = store()
            session[cart.SESSION_KEY] = {str(Variant.objects.get(sku="BT-0").pk): 2}
            session.update(extra)
            session.create()
            session.save()
            keys.append(session.session_key)
        return keys[0], keys[1]


def wrk(url: str, host: str, *headers: str) -> float:
    extra = [part for header in headers for part in ("-H", header)]
    output = subprocess.run(
        ["wrk", "-t2", "-c8", f"-d{SECONDS}s", "-H", f"Host: {host}", *extra, url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non_2xx:
        raise RuntimeError(f"{url}: {non_2xx.group(1)} failed responses\n{output}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))


def main() -> None:
    if shutil.which("wrk") is None:
        # CI installs wrk (.ci/run): there a missing one is a broken build, not a skip.
        if os.environ.get("CI") == "true":
            sys.exit("bench/storefront.py needs wrk and CI=true: .ci/run must install it")
        print("wrk is not installed (apt-get install wrk): the storefront is not measured")
        print("RESULT storefront_skipped=no_wrk")
        return
    cart_session, private_session = seed()
    port = free_port()
    server = start_gunicorn(port, {})
    try:
        host = f"{SLUG}.localhost"
        base = f"http://127.0.0.1:{port}"
        wait_until_serving(server, base, host)
        wrk(f"{base}/p/bench-tea/", host)  # warm-up: caches, plans, connections
        wrk(f"{base}/bench/bare/", host)
        page = wrk(f"{base}/p/bench-tea/", host)
        bare = wrk(f"{base}/bench/bare/", host)
        # A shopper with a cart carries a session cookie (and the CSRF cookie of the form
        # they posted to add it).
        rendered = wrk(
            f"{base}/p/bench-tea/",
            host,
            f"Cookie: sessionid={cart_session}; csrftoken={CSRF_COOKIE}",
        )
        # A session holding more than a cart (signed in, group-buy seats): its own render.
        private = wrk(
            f"{base}/p/bench-tea/",
            host,
            f"Cookie: sessionid={private_session}; csrftoken={CSRF_COOKIE}",
        )
    finally:
        stop(server)
    print(
        f"product page {page:.0f} req/s (no cookies: shared render), {rendered:.0f} req/s "
        f"(a shopper with a cart: session cookie), {private:.0f} req/s (a session with more: "
        f"rendered per request), bare view {bare:.0f} req/s (2 sync workers, 8 connections)"
    )
    print("goal: ratio >= 0.70")
    print(
        f"RESULT storefront_ratio={page / bare:.2f} storefront_rendered_ratio={rendered / bare:.2f} "
        f"storefront_private_ratio={private / bare:.2f} "
        f"storefront_rps={page:.0f} bare_rps={bare:.0f}"
    )


if __name__ == "__main__":
    main()
