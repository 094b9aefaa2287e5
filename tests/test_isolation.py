"""Invariant 1: no request of one merchant reads or changes another merchant's data.

Every URL pattern of the tenant URLconf (the API included) is found automatically and
tried as merchant A against merchant B: on B's host, with B's object ids on A's host, and
with B's session on A's host. A new URL is covered without editing this file.
"""

import uuid
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import UUIDConverter

from commerce.store.models import Outlet, StoreSettings
from commerce.store.services import update_store_settings
from tests.conftest import on_host
from tests.factories import OutletFactory

pytestmark = pytest.mark.django_db

PRIVATE_MARKERS = ("BRAVO-PRIVATE-PHONE", "BRAVO-PRIVATE-ADDRESS", "BRAVO-PRIVATE-OUTLET")
STAFF_PREFIXES = ("/manage/", "/api/")
NON_ID_VALUES = {"format": "json", "token": "not-a-real-token", "uidb64": "MQ"}
WRITE_PAYLOAD = {
    "name": "HIJACKED",
    "address": "HIJACKED",
    "is_active": "on",
    "display_name": "HIJACKED",
    "tagline": "HIJACKED",
    "contact_phone": "HIJACKED",
}


@dataclass(frozen=True)
class Route:
    name: str
    params: tuple[tuple[str, object], ...]  # (name, converter or None)


def tenant_routes() -> list[Route]:
    routes: list[Route] = []

    def walk(patterns, namespace: str, params: tuple[str, ...]) -> None:
        for pattern in patterns:
            converters = getattr(pattern.pattern, "converters", {})
            own = tuple((name, converters.get(name)) for name in pattern.pattern.regex.groupindex)
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, inner, params + own)
            elif isinstance(pattern, URLPattern):
                assert pattern.name, f"Unnamed tenant URL {pattern.pattern}: name it"
                routes.append(Route(f"{namespace}{pattern.name}", params + own))

    walk(get_resolver(settings.ROOT_URLCONF).url_patterns, "", ())
    return routes


def url_for(route: Route, object_id: int) -> str:
    kwargs = {}
    for name, converter in route.params:
        if isinstance(converter, UUIDConverter):
            kwargs[name] = str(uuid.uuid4())
        else:
            kwargs[name] = NON_ID_VALUES.get(name, str(object_id))
    return reverse(route.name, kwargs=kwargs, urlconf=settings.ROOT_URLCONF)


def logged_in(user, host: str) -> Client:
    client = on_host(Client(), host)
    client.force_login(user)
    return client


def snapshot(merchant) -> tuple:
    with merchant:
        state = (
            list(Outlet.objects.order_by("pk").values()),
            list(StoreSettings.objects.values()),
        )
    connection.set_schema_to_public()
    return state


@pytest.fixture
def two_shops(shop, other_shop):
    with other_shop.merchant:
        update_store_settings(display_name="Bravo", contact_phone="BRAVO-PRIVATE-PHONE")
        OutletFactory.create_batch(2)
        secret = OutletFactory(name="BRAVO-PRIVATE-OUTLET", address="BRAVO-PRIVATE-ADDRESS")
    with shop.merchant:
        update_store_settings(display_name="Alpha")
        OutletFactory(name="Alpha outlet")
    connection.set_schema_to_public()
    return shop, other_shop, secret.pk


def assert_no_private_data(response, where: str) -> None:
    body = response.content.decode(errors="replace")
    for marker in PRIVATE_MARKERS:
        assert marker not in body, f"{where} leaked {marker} (status {response.status_code})"


def send(client: Client, method: str, url: str):
    if method == "get":
        return client.get(url)
    if method in ("put", "patch"):
        return getattr(client, method)(url, WRITE_PAYLOAD, content_type="application/json")
    return client.post(url, WRITE_PAYLOAD)


def test_the_walker_finds_every_kind_of_tenant_url():
    names = {route.name for route in tenant_routes()}

    assert {"manage_overview", "manage_outlet_edit", "outlet-list", "outlet-detail"} <= names
    assert len(names) >= 15


@pytest.mark.parametrize("method", ["get", "post", "put", "patch"])
def test_merchant_a_cannot_reach_merchant_b_through_any_tenant_url(two_shops, method):
    alpha, bravo, bravo_outlet_id = two_shops
    bravo_before = snapshot(bravo.merchant)

    checked = 0
    for route in tenant_routes():
        # Fresh sessions per URL: a POST to logout must not weaken the checks that follow.
        a_on_b_host = logged_in(alpha.owner, "bravo.localhost")
        a_on_a_host = logged_in(alpha.owner, "alpha.localhost")
        b_on_a_host = logged_in(bravo.owner, "alpha.localhost")
        anonymous_on_b = on_host(Client(), "bravo.localhost")
        url = url_for(route, bravo_outlet_id)
        staff_only = url.startswith(STAFF_PREFIXES)

        response = send(a_on_b_host, method, url)
        assert_no_private_data(response, f"A's session on B's host {method} {url}")
        if staff_only:
            assert response.status_code in (403, 404, 405), f"{method} {url} on B's host"

        response = send(anonymous_on_b, method, url)
        assert_no_private_data(response, f"anonymous on B's host {method} {url}")
        if staff_only:
            assert response.status_code in (302, 401, 403, 404, 405), f"anonymous {method} {url}"

        response = send(a_on_a_host, method, url)
        assert_no_private_data(response, f"B's ids on A's host {method} {url}")

        response = send(b_on_a_host, method, url)
        assert_no_private_data(response, f"B's session on A's host {method} {url}")
        if staff_only:
            assert response.status_code in (403, 404, 405), f"B's session {method} {url}"
        connection.set_schema_to_public()
        checked += 1

    assert checked == len(tenant_routes())
    assert snapshot(bravo.merchant) == bravo_before


def test_a_shops_media_is_served_on_its_own_host_only(two_shops, platform_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from commerce.catalog.models import Product
    from commerce.catalog.services import add_image
    from tests.test_media_security import png

    alpha, bravo, _outlet_id = two_shops
    with bravo.merchant:
        logo = update_store_settings(
            display_name="Bravo", logo=SimpleUploadedFile("logo.png", png(), "image/png")
        ).logo.name
        product = Product.objects.create(title="Bravo noodles", slug="noodles")
        photo = add_image(
            product=product, upload=SimpleUploadedFile("a.png", png(), "image/png")
        ).image.name
    connection.set_schema_to_public()

    for name in (logo, photo):
        url = f"/media/{name}"
        assert on_host(Client(), "bravo.localhost").get(url).status_code == 200
        refused = {
            "A's session on A's host": logged_in(alpha.owner, "alpha.localhost").get(url),
            "B's session on A's host": logged_in(bravo.owner, "alpha.localhost").get(url),
            "anonymous on A's host": on_host(Client(), "alpha.localhost").get(url),
            "the platform host": platform_client.get(url),
        }
        assert {where: r.status_code for where, r in refused.items()} == {
            where: 404 for where in refused
        }, url


@pytest.mark.parametrize("method", ["get", "post", "put", "patch"])
def test_a_shops_api_key_is_a_401_on_every_other_shops_host(two_shops, method):
    """Invariant 1 for API keys: B's key, full scopes, is unknown on A's host (and A's on
    B's): every API URL answers 401 and nothing of either shop leaks or changes."""
    from tests.api_keys import key_client, make_key

    alpha, bravo, bravo_outlet_id = two_shops
    bravo_key = make_key(bravo.merchant)
    alpha_key = make_key(alpha.merchant)
    bravo_before = snapshot(bravo.merchant)
    alpha_before = snapshot(alpha.merchant)

    api_routes = [route for route in tenant_routes() if url_for(route, 1).startswith("/api/v1/")]
    assert len(api_routes) >= 6
    for route in api_routes:
        url = url_for(route, bravo_outlet_id)
        for secret, host in ((bravo_key, "alpha.localhost"), (alpha_key, "bravo.localhost")):
            response = send(key_client(secret, host), method, url)
            assert_no_private_data(response, f"a foreign key on {host} {method} {url}")
            assert response.status_code == 401, f"{method} {url} on {host}"
            assert response["WWW-Authenticate"] == 'Bearer realm="api"'
            connection.set_schema_to_public()
        # Each key still works on its own host.
        own = send(key_client(bravo_key, "bravo.localhost"), "get", url)
        assert own.status_code in (200, 404, 405), url
        connection.set_schema_to_public()

    assert snapshot(bravo.merchant) == bravo_before
    assert snapshot(alpha.merchant) == alpha_before
