"""Redis down: the shops keep serving from the database, checkout keeps taking orders,
/healthz says "degraded" with a 200, and the cache is used again once Redis is back.

The Django cache points at a redis-server of the test's own, which the test kills -9."""

import logging
import time

import pytest
from django.core.cache import cache
from django.test import Client

import config.celery
from commerce.checkout.tasks import settle_checkout
from commerce.orders.models import Order
from config.celery import app as celery_app
from core import cache_guard
from tenants.hosts import clear_local_hosts
from tests.conftest import on_host
from tests.private_redis import PrivateRedis
from tests.test_storefront import checkout_form, variant_id

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def private_cache(settings, monkeypatch):
    redis = PrivateRedis()
    redis.start()
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis.url(),
            "KEY_PREFIX": "outage-test",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    # Back to the cache half a second after a failure, so the test sees recovery quickly.
    monkeypatch.setattr(cache_guard, "RETRY_AFTER_SECONDS", 0.5)
    cache_guard.reset()
    yield redis
    redis.kill()
    cache_guard.reset()
    clear_local_hosts()


def host_key(host: str) -> str:
    return f"tenants:host:{host}"


def warnings_from(caplog, logger_name: str) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == logger_name and record.levelno == logging.WARNING
    ]


def test_shops_and_checkout_keep_working_while_redis_is_down(
    selling_shop, private_cache, owner_client, caplog
):
    shopper = on_host(Client(), "alpha.localhost")
    assert shopper.get("/").status_code == 200
    assert cache.get(host_key("alpha.localhost")).pk == selling_shop.merchant.pk

    private_cache.kill()
    caplog.set_level(logging.WARNING)

    home = shopper.get("/")
    product = shopper.get("/p/oolong/")
    console = owner_client(selling_shop.merchant).get("/manage/")
    shopper.post("/cart/add/", {"variant": variant_id(selling_shop, "OOL-100"), "quantity": "1"})
    placed = shopper.post("/checkout/", checkout_form(shopper))
    unknown = on_host(Client(), "nobody.localhost").get("/")

    assert (home.status_code, product.status_code, console.status_code) == (200, 200, 200)
    assert "Oolong" in home.content.decode()
    assert "30.00" in product.content.decode()
    assert placed.status_code == 302
    with selling_shop.merchant:
        order = Order.objects.get()
    assert placed["Location"] == f"/orders/{order.status_token}/?placed=1"
    assert (order.total, order.payment_status) == (40, "pending")
    assert unknown.status_code == 404
    # One warning for the whole outage, not one per request.
    outage_warnings = warnings_from(caplog, "core.cache_guard")
    assert len(outage_warnings) == 1
    assert outage_warnings[0].startswith("cache unavailable (get: ConnectionError")


def test_healthz_is_degraded_not_down_while_redis_is_down(private_cache):
    private_cache.kill()

    response = on_host(Client(), "localhost").get("/healthz")

    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["database"] == "ok"
    assert response.json()["redis"] == "error: ConnectionError"


def test_the_cache_is_used_again_once_redis_is_back(selling_shop, private_cache):
    shopper = on_host(Client(), "alpha.localhost")
    private_cache.kill()
    assert shopper.get("/").status_code == 200
    assert shopper.get("/p/oolong/").status_code == 200

    private_cache.start()  # empty: no persistence
    time.sleep(cache_guard.RETRY_AFTER_SECONDS + 0.1)
    assert shopper.get("/").status_code == 200

    assert cache.get(host_key("alpha.localhost")).pk == selling_shop.merchant.pk
    assert on_host(Client(), "localhost").get("/healthz").json()["redis"] == "ok"


def test_a_task_sent_while_the_broker_is_down_is_logged_not_raised(caplog, monkeypatch):
    monkeypatch.setattr(config.celery, "send_failures", config.celery._SendFailureLog())
    dead_broker = PrivateRedis()  # never started: connections are refused
    caplog.set_level(logging.WARNING)

    with celery_app.connection_for_write(dead_broker.url()) as connection:
        started = time.monotonic()
        sent = settle_checkout.apply_async(args=["ref-1"], countdown=930, connection=connection)
        elapsed = time.monotonic() - started

    assert sent is None
    assert elapsed < 5
    lost = warnings_from(caplog, "config.celery")
    assert len(lost) == 1
    assert lost[0].startswith("broker unavailable, task commerce.checkout.tasks.settle_checkout")
