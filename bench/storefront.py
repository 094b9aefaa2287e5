"""Storefront throughput: wrk against gunicorn (2 sync workers, persistent DB connections)
serving a product page, and a bare Django view doing one primary-key select through the
same middleware, in the same run.

Last line: `RESULT storefront_ratio=… storefront_rendered_ratio=… storefront_rps=… bare_rps=…`
(goal: ratio ≥ 0.70). `storefront_ratio` is the page as cookie-less visitors get it (one
render shared per process, commerce/storefront/page_cache.py); `storefront_rendered_ratio`
the page rendered per request, as a visitor with a session cookie gets it.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

from _setup import seconds
from django.contrib.auth.hashers import make_password

from commerce.catalog.models import Product, ProductImage, Stock, Variant
from commerce.store.selectors import online_outlet, store_settings
from tenants.models import Merchant
from tenants.services import open_shop

PROJECT_DIR = Path(__file__).resolve().parent.parent
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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
        sys.exit("bench/storefront.py needs wrk (apt-get install wrk)")
    seed()
    port = free_port()
    env = {**os.environ, "BENCH_VIEWS": "true", "DEBUG": "false", "DB_CONN_MAX_AGE": "600"}
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--worker-class",
            "sync",
            "--log-level",
            "warning",
        ],
        cwd=PROJECT_DIR,
        env=env,
    )
    try:
        host = f"{SLUG}.localhost"
        base = f"http://127.0.0.1:{port}"
        deadline = time.time() + 30
        while (
            subprocess.run(
                ["curl", "-sf", "-H", f"Host: {host}", f"{base}/bench/bare/"], capture_output=True
            ).returncode
            != 0
        ):
            if time.time() > deadline or server.poll() is not None:
                raise RuntimeError("gunicorn did not start")
            time.sleep(0.3)
        wrk(f"{base}/p/bench-tea/", host)  # warm-up: caches, plans, connections
        wrk(f"{base}/bench/bare/", host)
        page = wrk(f"{base}/p/bench-tea/", host)
        bare = wrk(f"{base}/bench/bare/", host)
        # A shopper with a cart carries a session cookie: the page is rendered for them.
        rendered = wrk(f"{base}/p/bench-tea/", host, "Cookie: sessionid=bench-no-such-session")
    finally:
        server.terminate()
        server.wait(timeout=20)
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
