"""/manage/developers/ for webhooks and the quick start: what the merchant does there."""

import pytest
from django.db import connection
from django.test import Client

from commerce.developers.models import WebhookEndpoint
from tests.conftest import on_host

pytestmark = pytest.mark.django_db
HOST = "alpha.localhost"


@pytest.fixture
def owner(shop):
    client = on_host(Client(), HOST)
    client.force_login(shop.owner)
    return client


def test_an_owner_adds_edits_rotates_and_deletes_an_endpoint(owner, shop, settings):
    settings.WEBHOOK_ALLOW_LOOPBACK = True

    added = owner.post(
        "/manage/developers/webhooks/",
        {"url": "http://127.0.0.1:9/hooks", "event_types": ["order.paid", "stock.changed"]},
    )

    assert added.status_code == 302
    with shop.merchant:
        endpoint = WebhookEndpoint.objects.get()
    connection.set_schema_to_public()
    assert endpoint.secret.startswith("whsec_")
    assert endpoint.event_types == ["order.paid", "stock.changed"]
    page = owner.get(added["Location"]).content.decode()
    assert endpoint.secret in page

    saved = owner.post(
        f"/manage/developers/webhooks/{endpoint.pk}/",
        {"url": "http://127.0.0.1:9/v2", "event_types": ["order.created"], "is_enabled": ""},
    )
    rotated = owner.post(f"/manage/developers/webhooks/{endpoint.pk}/rotate/")

    assert (saved.status_code, rotated.status_code) == (302, 302)
    with shop.merchant:
        changed = WebhookEndpoint.objects.get()
    connection.set_schema_to_public()
    assert (changed.url, changed.event_types, changed.is_enabled) == (
        "http://127.0.0.1:9/v2",
        ["order.created"],
        False,
    )
    assert changed.previous_secret == endpoint.secret != changed.secret
    assert owner.post(f"/manage/developers/webhooks/{endpoint.pk}/delete/").status_code == 302
    with shop.merchant:
        assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"url": "https://93.184.215.14/h", "event_types": []}, "event_types"),
        ({"url": "https://93.184.215.14/h", "event_types": ["order.nope"]}, "event_types"),
        ({"url": "https://93.184.215.14/h", "event_types": ["webhook.test"]}, "event_types"),
        ({"url": "", "event_types": ["order.paid"]}, "url"),
        ({"url": "https://" + "a" * 600 + ".com/", "event_types": ["order.paid"]}, "url"),
    ],
)
def test_a_bad_endpoint_form_names_the_field(owner, shop, form, field):
    response = owner.post("/manage/developers/webhooks/", form)

    assert response.status_code == 400
    assert field in response.context["endpoint_form"].errors
    with shop.merchant:
        assert not WebhookEndpoint.objects.exists()


def test_the_quick_start_shows_curl_on_the_shops_host_and_links_the_reference(owner):
    page = owner.get("/manage/developers/docs/").content.decode()

    assert 'curl -H "Authorization: Bearer mpk_…" http://alpha.localhost/api/v1/products/' in page
    assert 'href="/api/docs/"' in page
    assert "Idempotency-Key" in page and "order.paid" in page


def test_the_quick_start_speaks_chinese(owner):
    page = owner.get("/manage/developers/docs/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()

    assert "API 快速入门" in page
    assert "每个 POST 请求都请带上 Idempotency-Key 请求头" in page
