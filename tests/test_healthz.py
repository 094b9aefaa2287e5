import time

import pytest
from django.test import Client

from tenants.models import PooledSchema
from tenants.tasks import refill_schema_pool
from tests.conftest import on_host


@pytest.mark.django_db(transaction=True)
def test_healthz_reports_database_redis_and_a_running_worker(celery_worker):
    response = on_host(Client(), "localhost").get("/healthz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "redis": "ok",
        "worker": "ok",
    }


@pytest.mark.django_db(transaction=True)
def test_healthz_answers_on_any_host(celery_worker):
    assert on_host(Client(), "10.0.0.8").get("/healthz").status_code == 200
    assert on_host(Client(), "unknown.localhost").get("/healthz").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_the_worker_refills_the_schema_pool(celery_worker):
    refill_schema_pool.delay()

    deadline = time.monotonic() + 30
    while PooledSchema.objects.count() < 2 and time.monotonic() < deadline:
        time.sleep(0.2)

    assert PooledSchema.objects.count() == 2
    refill_schema_pool.delay()  # already full: adds nothing
    time.sleep(1)
    assert PooledSchema.objects.count() == 2
