import uuid

import pytest
from django.db import connection
from django.test import Client

from commerce.catalog.models import Product, Stock, Variant
from commerce.checkout.services import CheckoutRequest, place_order
from commerce.orders.services import LineRequest
from commerce.store.selectors import online_outlet
from tests.conftest import on_host

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(selling_shop):
    client = on_host(Client(), "alpha.localhost")
    client.force_login(selling_shop.owner)
    return client


NEW_PRODUCT = {
    "title": "White peony",
    "description": "Bai mu dan",
    "is_published": True,
    "variants": [{"sku": "WP-100", "name": "100 g", "price": "66.00"}],
}


def test_products_are_listed_created_and_updated(api, selling_shop):
    created = api.post("/api/v1/products/", NEW_PRODUCT, content_type="application/json")

    assert created.status_code == 201
    body = created.json()
    assert (body["title"], body["slug"], body["variants"][0]["price"]) == (
        "White peony",
        "white-peony",
        "66.00",
    )
    variant_id = body["variants"][0]["id"]
    updated = api.put(
        f"/api/v1/products/{body['id']}/",
        {**NEW_PRODUCT, "variants": [{"id": variant_id, "sku": "WP-100", "price": "70.00"}]},
        content_type="application/json",
    )
    assert updated.status_code == 200, updated.json()
    listed = api.get("/api/v1/products/").json()
    assert len(listed["results"]) == 3 and listed["next"] is None
    with selling_shop.merchant:
        assert Variant.objects.get(pk=variant_id).price == 70


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"variants": [{"sku": "WP-1", "price": "1.005"}]}, "price"),
        ({"variants": [{"sku": "OOL-100", "price": "1.00"}]}, "sku"),
        ({"variants": []}, "variants"),
        ({"title": ""}, "title"),
    ],
)
def test_bad_product_payloads_are_refused_naming_the_field(api, selling_shop, change, field):
    response = api.post(
        "/api/v1/products/", {**NEW_PRODUCT, **change}, content_type="application/json"
    )

    assert response.status_code == 400
    assert field in response.json()
    with selling_shop.merchant:
        assert Product.objects.count() == 2


def test_stock_is_read_and_set_through_the_api(api, selling_shop):
    with selling_shop.merchant:
        variant_id = Variant.objects.get(sku="OOL-100").pk
        outlet_id = online_outlet().pk

    set_response = api.post(
        "/api/v1/stock/", {"variant": variant_id, "outlet": outlet_id, "quantity": 42}
    )
    negative = api.post(
        "/api/v1/stock/", {"variant": variant_id, "outlet": outlet_id, "quantity": -1}
    )

    assert set_response.status_code == 201
    assert negative.status_code == 400
    assert "quantity" in negative.json()
    listed = api.get("/api/v1/stock/", {"variant": variant_id}).json()["results"]
    assert [(row["sku"], row["quantity"]) for row in listed] == [("OOL-100", 42)]
    with selling_shop.merchant:
        assert Stock.objects.get(variant_id=variant_id).quantity == 42


def test_orders_are_listed_with_their_lines_and_timeline(api, selling_shop):
    with selling_shop.merchant:
        variant_id = Variant.objects.get(sku="PUER-357").pk
        place_order(
            CheckoutRequest(
                reference=str(uuid.uuid4()),
                lines=[LineRequest(variant_id, 1)],
                email="mei@example.test",
                contact_name="Mei",
                payment_method="pay_in_store",
                shipping_method="pickup",
            )
        )
    connection.set_schema_to_public()

    orders = api.get("/api/v1/orders/", {"payment_status": "pending"}).json()["results"]

    assert [(o["total"], o["lines"][0]["sku"], o["events"][0]["kind"]) for o in orders] == [
        ("120.00", "PUER-357", "placed")
    ]
    assert api.get("/api/v1/orders/", {"payment_status": "paid"}).json()["results"] == []


def test_the_api_is_described_and_documented(api):
    schema = api.get("/api/schema/")
    docs = api.get("/api/docs/")

    assert schema.status_code == 200
    assert b"/api/v1/products/" in schema.content
    assert docs.status_code == 200
    assert b"swagger" in docs.content.lower()
