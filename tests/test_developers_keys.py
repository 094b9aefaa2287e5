"""API keys: made in /manage/developers/ by an owner or manager, shown once, stored hashed,
scoped per resource, revocable and expiring, every use attributed to the key."""

import hashlib
from datetime import timedelta

import pytest
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.test import Client
from django.utils import timezone

from commerce.catalog.models import Product
from commerce.developers.models import ApiKey, ApiKeyRequest
from tenants.models import Membership, MembershipRole
from tests.api_keys import READ_ONLY, key_client, make_key
from tests.conftest import on_host
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

HOST = "alpha.localhost"
NEW_PRODUCT = {
    "title": "White peony",
    "variants": [{"sku": "WP-100", "name": "100 g", "price": "66.00"}],
}


@pytest.fixture
def owner(selling_shop):
    client = on_host(Client(), HOST)
    client.force_login(selling_shop.owner)
    return client


def key_form(**changes) -> dict:
    form = {
        "name": "Warehouse sync",
        "expires_on": "",
        "scope_products": "read",
        "scope_stock": "write",
        "scope_orders": "",
        "scope_customers": "",
        "scope_campaigns": "",
        "scope_data": "",
    }
    return {**form, **changes}


def test_an_owner_makes_a_key_that_is_shown_once_and_stored_hashed(owner, selling_shop):
    response = owner.post("/manage/developers/keys/", key_form())

    assert response.status_code == 200
    secret = response.context["new_key"].secret
    assert secret.startswith("mpk_") and len(secret) >= 40
    assert secret in response.content.decode()
    with selling_shop.merchant:
        key = ApiKey.objects.get()
        assert key.key_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert key.prefix == secret[:12]
        assert key.scopes == {"products": "read", "stock": "write"}
        assert key.created_by == selling_shop.owner.email
        assert key.last_used_at is None
    connection.set_schema_to_public()
    page = owner.get("/manage/developers/").content.decode()
    assert secret not in page
    assert secret[:12] in page
    assert "Never used" in page


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": ""}, "name"),
        ({"scope_products": "", "scope_stock": ""}, "scopes"),
        ({"scope_orders": "admin"}, "scope_orders"),
        ({"expires_on": "2001-01-01"}, "expires_at"),
        ({"expires_on": "not a date"}, "expires_on"),
        ({"name": "x" * 101}, "name"),
    ],
)
def test_a_bad_key_form_names_the_field_and_makes_no_key(owner, selling_shop, changes, field):
    response = owner.post("/manage/developers/keys/", key_form(**changes))

    assert response.status_code == 400
    form = response.context["key_form"]
    assert form.errors, form
    assert field in form.errors or any(
        field.replace("_", " ").capitalize() in e for e in form.non_field_errors()
    )
    with selling_shop.merchant:
        assert not ApiKey.objects.exists()


def test_staff_without_the_owner_or_manager_role_cannot_open_developers(selling_shop):
    clerk = UserFactory(email="clerk@alpha.test", password=make_password("x"))
    Membership.objects.create(
        user=clerk, merchant=selling_shop.merchant, role=MembershipRole.CASHIER
    )
    client = on_host(Client(), HOST)
    client.force_login(clerk)

    assert client.get("/manage/developers/").status_code == 403
    assert client.post("/manage/developers/keys/", key_form()).status_code == 403
    with selling_shop.merchant:
        assert not ApiKey.objects.exists()


def test_a_key_reads_on_its_shops_host_and_each_request_is_attributed(
    selling_shop, django_assert_max_num_queries
):
    secret = make_key(selling_shop.merchant, name="ERP")
    api = key_client(secret, HOST)

    listed = api.get("/api/v1/products/")
    missing = api.get("/api/v1/products/999999/")

    assert listed.status_code == 200
    assert len(listed.json()["results"]) == 2
    assert missing.status_code == 404
    with selling_shop.merchant:
        key = ApiKey.objects.get()
        assert key.last_used_at is not None
        log = list(
            ApiKeyRequest.objects.order_by("id").values_list("method", "path", "status_code")
        )
    assert log == [("GET", "/api/v1/products/", 200), ("GET", "/api/v1/products/999999/", 404)]
    owner = on_host(Client(), HOST)
    owner.force_login(selling_shop.owner)
    with django_assert_max_num_queries(12):
        page = owner.get("/manage/developers/").content.decode()
    assert "GET /api/v1/products/999999/" in page and "ERP" in page


def test_a_read_scope_is_a_403_on_writes_and_writes_nothing(selling_shop):
    api = key_client(make_key(selling_shop.merchant, READ_ONLY), HOST)

    created = api.post("/api/v1/products/", NEW_PRODUCT, content_type="application/json")

    assert created.status_code == 403
    assert created.json() == {"detail": "This API key lacks the products:write scope."}
    assert api.get("/api/v1/products/").status_code == 200
    with selling_shop.merchant:
        assert Product.objects.count() == 2


def test_a_resource_left_out_of_the_scopes_is_a_403(selling_shop):
    api = key_client(make_key(selling_shop.merchant, {"products": "write"}), HOST)

    assert api.get("/api/v1/orders/").status_code == 403
    assert api.get("/api/v1/stock/").status_code == 403
    created = api.post("/api/v1/products/", NEW_PRODUCT, content_type="application/json")
    assert created.status_code == 201, created.json()


def test_revoked_expired_and_made_up_keys_are_a_401(owner, selling_shop):
    revoked = make_key(selling_shop.merchant, name="old")
    expired = make_key(selling_shop.merchant, name="temp")
    with selling_shop.merchant:
        ApiKey.objects.filter(name="temp").update(expires_at=timezone.now() - timedelta(seconds=1))
        revoked_id = ApiKey.objects.get(name="old").pk
    connection.set_schema_to_public()
    assert key_client(revoked, HOST).get("/api/v1/products/").status_code == 200

    assert owner.post(f"/manage/developers/keys/{revoked_id}/revoke/").status_code == 302

    for secret in (revoked, expired, "mpk_made-up", "not-even-a-key", revoked + "x"):
        response = key_client(secret, HOST).get("/api/v1/products/")
        assert response.status_code == 401, secret
        assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    with selling_shop.merchant:
        assert ApiKey.objects.get(pk=revoked_id).revoked_by == selling_shop.owner.email
    page = owner.get("/manage/developers/").content.decode()
    assert "Revoked" in page and "Expired" in page


def test_no_credentials_at_all_is_a_401_with_the_bearer_challenge(selling_shop):
    response = on_host(Client(), HOST).get("/api/v1/products/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_key_needs_no_csrf_token_and_a_session_still_does(selling_shop, owner):
    api = key_client(make_key(selling_shop.merchant), HOST)
    api.handler.enforce_csrf_checks = True
    browser = on_host(Client(enforce_csrf_checks=True), HOST)
    browser.force_login(selling_shop.owner)

    assert (
        api.post("/api/v1/products/", NEW_PRODUCT, content_type="application/json").status_code
        == 201
    )
    refused = browser.post(
        "/api/v1/products/",
        {**NEW_PRODUCT, "variants": [{"sku": "WP-200", "price": "1.00"}]},
        content_type="application/json",
    )
    assert refused.status_code == 403
