"""Stock adjusted with a reason over the API: a conditional update (never below zero), a
movement in the stock's history, once per Idempotency-Key, refused to read-only keys."""

import pytest
from django.db import connection

from commerce.catalog.models import Stock, StockMovement, Variant
from commerce.store.selectors import online_outlet
from tests.api_keys import READ_ONLY, key_client, make_key

pytestmark = pytest.mark.django_db
HOST = "alpha.localhost"


def ids(shop) -> tuple[int, int]:
    with shop.merchant:
        found = Variant.objects.get(sku="PUER-357").pk, online_outlet().pk
    connection.set_schema_to_public()
    return found


def units(shop) -> int:
    with shop.merchant:
        found = Stock.objects.get(variant__sku="PUER-357").quantity
    connection.set_schema_to_public()
    return found


def movements(shop) -> list[tuple[int, int, str]]:
    with shop.merchant:
        found = list(
            StockMovement.objects.order_by("id").values_list("delta", "quantity_after", "reason")
        )
    connection.set_schema_to_public()
    return found


def test_units_are_added_and_taken_with_a_reason_and_never_below_zero(selling_shop):
    variant, outlet = ids(selling_shop)
    api = key_client(make_key(selling_shop.merchant, name="WMS"), HOST)

    def adjust(delta, reason="Goods received", **headers):
        return api.post(
            "/api/v1/stock/adjust/",
            {"variant": variant, "outlet": outlet, "delta": delta, "reason": reason},
            content_type="application/json",
            **headers,
        )

    received = adjust(10)
    damaged = adjust(-3, "Damaged in transit")
    too_many = adjust(-13, "Shrinkage")
    zero = adjust(0)
    no_reason = adjust(2, "   ")
    huge = adjust(10**12)

    assert received.status_code == 201, received.json()
    assert (received.json()["delta"], received.json()["quantity_after"]) == (10, 15)
    assert received.json()["actor"].startswith("API key WMS (mpk_")
    assert damaged.status_code == 201
    assert too_many.status_code == 400
    assert "delta" in too_many.json()
    assert "Only 12 in stock" in str(too_many.json()["delta"])
    assert (zero.status_code, huge.status_code) == (400, 400)
    assert "delta" in zero.json() and "delta" in huge.json()
    assert no_reason.status_code == 400 and "reason" in no_reason.json()
    assert units(selling_shop) == 12
    assert movements(selling_shop) == [(10, 15, "Goods received"), (-3, 12, "Damaged in transit")]


def test_an_adjustment_repeated_with_its_idempotency_key_moves_stock_once(selling_shop):
    variant, outlet = ids(selling_shop)
    api = key_client(make_key(selling_shop.merchant), HOST)
    body = {"variant": variant, "outlet": outlet, "delta": 4, "reason": "Delivery #88"}

    first = api.post(
        "/api/v1/stock/adjust/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="d88"
    )
    again = api.post(
        "/api/v1/stock/adjust/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="d88"
    )

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert units(selling_shop) == 9
    assert movements(selling_shop) == [(4, 9, "Delivery #88")]


def test_a_read_only_key_cannot_adjust_stock(selling_shop):
    variant, outlet = ids(selling_shop)
    api = key_client(make_key(selling_shop.merchant, READ_ONLY), HOST)

    refused = api.post(
        "/api/v1/stock/adjust/",
        {"variant": variant, "outlet": outlet, "delta": 1, "reason": "x"},
        content_type="application/json",
    )

    assert refused.status_code == 403
    assert units(selling_shop) == 5
    assert movements(selling_shop) == []
