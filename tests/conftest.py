import pytest
from django.apps import apps
from django.core.cache import cache
from django.db import connection
from django.db.models.signals import post_migrate
from django.test import Client
from django.utils import translation

from commerce.cache import clear_local
from tenants import schemas
from tests.factories import TEST_PASSWORD, PlatformStaffFactory, ShopFactory


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database, plus the tenant template every test shop is cloned from."""
    with django_db_blocker.unblock():
        schemas.ensure_template_schema()
        connection.set_schema_to_public()
    yield
    # A subprocess or a live server's thread that has just stopped may still hold a
    # connection for a moment, and the test database could then not be dropped: it is this
    # run's own database, so whoever else is on it goes.
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


def _restore_billing_catalog(**_kwargs) -> None:
    """A transactional test ends by emptying every table (Django's flush, then post_migrate):
    the plans, plugin prices and invoice sequences the billing migration seeded are put back
    for the tests after it (pytest-xdist runs tests of every kind in any order)."""
    from billing.seed import ensure_catalog

    ensure_catalog()


post_migrate.connect(
    _restore_billing_catalog,
    sender=apps.get_app_config("billing"),
    dispatch_uid="tests-restore-billing-catalog",
)


def clear_this_runs_cache() -> None:
    """Delete this test run's cache keys only (cache.clear() would flush every run's)."""
    client = cache._cache.get_client(write=True)
    keys = list(client.scan_iter(match=f"{cache.key_prefix}:*", count=1000))
    if keys:
        client.delete(*keys)
    clear_local()


@pytest.fixture(autouse=True)
def _fresh_cache_and_schema():
    clear_this_runs_cache()
    yield
    connection.set_schema_to_public()
    # A request handled in Chinese leaves the thread's language active; the next test
    # starts in the default language whatever ran before it.
    translation.deactivate()


@pytest.fixture
def tasks_run_inline():
    """Celery tasks sent during the test run at once, in-process, in the sender's schema:
    for tests about what a task does (emails land in `mailoutbox`). Delivery through Redis
    to a real worker is the `celery_worker` fixture's."""
    from config.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager = False
    app.conf.task_eager_propagates = False


@pytest.fixture
def outbox_delivered_by_test(settings):
    """Outbox rows stay for the test's own `deliver_outbox()` (and land in its `mailoutbox`):
    commits wake no delivery task, which the session's Celery worker would otherwise run
    from its own process first."""
    settings.OUTBOX_WAKE_AFTER_COMMIT = False


@pytest.fixture
def password() -> str:
    return TEST_PASSWORD


@pytest.fixture
def shop(db):
    return ShopFactory(slug="alpha", shop_name="Alpha Tea")


@pytest.fixture
def other_shop(db):
    return ShopFactory(slug="bravo", shop_name="Bravo Noodles")


def on_host(client, host: str):
    """A test client whose requests all go to `host`."""
    client.defaults["HTTP_HOST"] = host
    return client


@pytest.fixture
def platform_client():
    """A browser on the platform host, apart from the `client` fixture's session."""
    return on_host(Client(), "localhost")


@pytest.fixture
def make_staff(db):
    def make(*roles: str):
        return PlatformStaffFactory(platform_roles=list(roles))

    return make


@pytest.fixture
def finance(client, make_staff):
    """The `client`, logged in on the platform host as a finance clerk (`.user`)."""
    from accounts.models import PlatformRole

    user = make_staff(PlatformRole.FINANCE)
    client.force_login(user)
    on_host(client, "localhost")
    client.user = user
    return client


@pytest.fixture(scope="session")
def celery_worker(django_db_setup):
    """A real Celery worker process on the test database and the real Redis broker."""
    import os
    import subprocess
    import sys
    import time
    from pathlib import Path
    from urllib.parse import quote

    from django.conf import settings

    from config.celery import app

    db = connection.settings_dict
    host = quote(db["HOST"] or "127.0.0.1", safe="")
    port = f":{db['PORT']}" if db["PORT"] else ""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{host}{port}/{db['NAME']}",
        "TENANT_SCHEMA_POOL_SIZE": "2",
        "TEST_RUN_ID": settings.TEST_RUN_ID,
    }
    queue = app.conf.task_default_queue
    # Messages left by earlier runs name schemas of their own test database: drop them.
    app.control.purge()
    worker = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("celery")),
            "-A",
            "config",
            "worker",
            "--pool",
            "solo",
            "-Q",
            queue,
            "--hostname",
            f"test-{os.getpid()}@%h",
            "--loglevel",
            "WARNING",
        ],
        env=env,
        cwd=Path(__file__).resolve().parent.parent,
    )
    deadline = time.monotonic() + 60
    while not app.control.ping(
        destination=[f"test-{os.getpid()}@{os.uname().nodename}"], timeout=1
    ):
        if worker.poll() is not None or time.monotonic() > deadline:
            worker.kill()
            pytest.fail("The Celery worker did not start")
    yield worker
    worker.terminate()
    worker.wait(timeout=30)


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium driven by Playwright. Missing Chromium is a failure."""
    import os

    from playwright.sync_api import sync_playwright

    from devstack.services import chromium_path

    executable = chromium_path()
    if executable is None:
        pytest.fail("Browser tests need Chromium at /usr/bin/chromium (apt-get install chromium)")
    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests
    # make around it are still synchronous.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield launched
        launched.close()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="en-US")
    context.set_default_timeout(15_000)
    opened = context.new_page()
    yield opened
    context.close()


@pytest.fixture
def selling_shop(shop):
    """Alpha sells two teas from its online warehouse: delivery 10.00 (free from 100.00),
    pickup, cash on delivery and pay in store."""
    from decimal import Decimal

    from commerce.catalog.models import Product, Stock, Variant
    from commerce.store.selectors import online_outlet, store_settings

    with shop.merchant:
        settings = store_settings()
        settings.shipping_flat_rate = Decimal("10.00")
        settings.free_shipping_over = Decimal("100.00")
        settings.local_pickup = True
        settings.accepts_cash_on_delivery = True
        settings.accepts_pay_in_store = True
        settings.save()
        warehouse = online_outlet()
        oolong = Product.objects.create(title="Oolong", slug="oolong", is_published=True)
        Variant.objects.create(product=oolong, sku="OOL-100", name="100 g", price=Decimal("30.00"))
        puer = Product.objects.create(title="Pu'er cake", slug="puer", is_published=True)
        Variant.objects.create(product=puer, sku="PUER-357", name="357 g", price=Decimal("120.00"))
        for variant in Variant.objects.all():
            Stock.objects.create(variant=variant, outlet=warehouse, quantity=5)
    connection.set_schema_to_public()
    return shop


@pytest.fixture
def fake_stripe(settings):
    """Stripe's API, faked at the HTTP layer on 127.0.0.1; the real `stripe` library calls it."""
    from tests.fakes.stripe_server import FakeStripe, start

    fake = FakeStripe()
    server, url = start(fake)
    settings.STRIPE_API_BASE = url
    settings.STRIPE_SECRET_KEY = "sk_test_fake_platform_key"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_fake_platform_key"
    yield fake
    server.shutdown()


@pytest.fixture
def owner_client():
    """A client signed in as a shop's owner, on the shop's host: `owner_client(merchant)`."""

    def make(merchant):
        from tenants.models import Membership

        client = on_host(Client(), f"{merchant.slug}.localhost")
        client.force_login(Membership.objects.get(merchant=merchant).user)
        return client

    return make
