"""Storefront throughput: wrk against gunicorn (2 sync workers, persistent DB connections)
serving a product page, and a bare Django view doing one primary-key select through the
same middleware, in the same run.

Last line: `RESULT storefront_ratio=… storefront_rendered_ratio=… storefront_rps=… bare_rps=…`
(goal: ratio ≥ 0.70). Needs `wrk`; without it the bench says so and
measures nothing, except under CI=true, where it fails. One second a run at
`BENCH_SCALE=smoke`. `storefront_ratio` is the page as cookie-less visitors get it (one
render shared per process, commerce/storefront/page_cache.py); `storefront_rendered_ratio`
the page rendered per request, as a visitor with a session cookie gets it.
"""

import os
import re
import shutil
import subprocess
import sys
from decimal import Decimal

from _http import free_port, start_gunicorn, stop, wait_until_serving
from _setup import seconds
from django.contrib.auth.hashers import make_password

from commerce.catalog.models import Product, ProductImage, Stock, Variant
from commerce.store.selectors import online_outlet, store_settings
from tenants.models import Merchant
from tenants.services import open_shop

SLUG = "bench-store"
SECONDS = max(1, round(seconds(10)))


def seed() -> None:
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
    seed()
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
        # A shopper with a cart carries a session cookie: the page is rendered for them.
        rendered = wrk(f"{base}/p/bench-tea/", host, "Cookie: sessionid=bench-no-such-session")
    finally:
        stop(server)
    print(
        f"product page {page:.0f} req/s (no cookies: shared render), {rendered:.0f} req/s "
        f"(session cookie: rendered per request), bare view {bare:.0f} req/s "
        "(2 sync workers, 8 connections)"
    )
    print("goal: ratio >= 0.70")
    print(
        f"RESULT storefront_ratio={page / bare:.2f} storefront_rendered_ratio={rendered / bare:.2f} "
        f"storefront_rps={page:.0f} bare_rps={bare:.0f}"
    )


if __name__ == "__main__":
    main()
