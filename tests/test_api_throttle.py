"""The API is rate limited per signed-in user: past the limit a 429 with Retry-After, and a
refused request changes nothing."""

import pytest
from django.core.cache import cache
from django.test import Client

from commerce.catalog.models import Product
from tests.conftest import on_host

pytestmark = pytest.mark.django_db


@pytest.fixture
def limited_api(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_user": "3/min"},
    }
    cache.clear()
    yield
    cache.clear()


def owner_client(shop) -> Client:
    client = on_host(Client(), "alpha.localhost")
    client.force_login(shop.owner)
    return client


def test_a_user_past_the_api_limit_gets_429_with_retry_after_and_writes_nothing(limited_api, shop):
    api = owner_client(shop)
    answers = [api.get("/api/v1/products/").status_code for _ in range(3)]

    refused = api.post(
        "/api/v1/products/",
        {"title": "Over the limit", "variants": [{"sku": "X-1", "name": "1", "price": "1.00"}]},
        content_type="application/json",
    )

    assert answers == [200, 200, 200]
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert "throttled" in refused.json()["detail"]
    assert not Product.objects.filter(title="Over the limit").exists()


def test_the_limit_counts_each_user_apart(limited_api, shop):
    from accounts.models import User
    from tenants.models import Membership, MembershipRole

    staff = User.objects.create_user(email="staff@alpha.test", password="x-pass-2026-long")
    Membership.objects.create(user=staff, merchant=shop.merchant, role=MembershipRole.MANAGER)
    owner = owner_client(shop)
    for _ in range(3):
        owner.get("/api/v1/products/")
    colleague = on_host(Client(), "alpha.localhost")
    colleague.force_login(staff)

    assert owner.get("/api/v1/products/").status_code == 429
    assert colleague.get("/api/v1/products/").status_code == 200


def test_the_api_is_not_limited_when_the_rate_is_switched_off(shop):
    api = owner_client(shop)

    assert {api.get("/api/v1/products/").status_code for _ in range(10)} == {200}
