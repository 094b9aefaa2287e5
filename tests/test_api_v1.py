"""The v1 API as an integrator uses it, with a key: order actions through the console's
services (same timeline, same checks), Idempotency-Key on POSTs, customers, group-buy,
data-center days, and a rate limit per key."""

import uuid

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client

from commerce.catalog.models import Variant
from commerce.checkout.services import CheckoutRequest, place_order
from commerce.developers.models import WebhookEvent
from commerce.orders.models import Order, OrderEvent
from commerce.orders.services import LineRequest, record_offline_payment
from commerce.payments.models import Refund
from outbox.models import OutboxMessage
from tests.api_keys import READ_ONLY, key_client, make_key
from tests.conftest import on_host

pytestmark = pytest.mark.django_db
HOST = "alpha.localhost"


def place(shop, *, paid: bool = False) -> int:
    with shop.merchant:
        order = place_order(
            CheckoutRequest(
                reference=str(uuid.uuid4()),
                lines=[LineRequest(Variant.objects.get(sku="PUER-357").pk, 1)],
                email="mei@example.test",
                contact_name="Mei",
                payment_method="pay_in_store",
                shipping_method="pickup",
            )
        )
        if paid:
            record_offline_payment(order.pk, actor="till")
    connection.set_schema_to_public()
    return order.pk


def test_an_order_fulfilled_over_the_api_gets_the_consoles_timeline_entry(selling_shop):
    by_api, by_console = place(selling_shop, paid=True), place(selling_shop, paid=True)
    api = key_client(make_key(selling_shop.merchant, name="ERP"), HOST)
    console = on_host(Client(), HOST)
    console.force_login(selling_shop.owner)

    answer = api.post(
        f"/api/v1/orders/{by_api}/fulfil/",
        {"carrier": "SF Express", "tracking_number": "SF100"},
        content_type="application/json",
    )
    console.post(
        f"/manage/orders/{by_console}/fulfil/",
        {"carrier": "SF Express", "tracking_number": "SF100"},
    )

    assert answer.status_code == 200, answer.json()
    assert (answer.json()["status"], answer.json()["tracking_number"]) == ("fulfilled", "SF100")
    with selling_shop.merchant:
        entries = {
            order_id: OrderEvent.objects.filter(order_id=order_id, kind="fulfilled")
            .values("message", "data", "actor")
            .get()
            for order_id in (by_api, by_console)
        }
    assert entries[by_api]["message"] == entries[by_console]["message"] == "Fulfilled"
    assert entries[by_api]["data"] == entries[by_console]["data"]
    assert entries[by_api]["actor"].startswith("API key ERP (mpk_")
    assert entries[by_console]["actor"] == selling_shop.owner.email
    # The same "ready for pickup" email to the shopper, once each, whichever way it was fulfilled.
    with selling_shop.merchant:
        references = dict(Order.objects.values_list("pk", "reference"))
    shipped = OutboxMessage.objects.filter(dedupe_key__contains=":shopper-email:").filter(
        dedupe_key__endswith=":ready_for_pickup"
    )
    assert sorted(shipped.values_list("dedupe_key", flat=True)) == sorted(
        f"{selling_shop.merchant.schema_name}:shopper-email:{references[order_id]}:ready_for_pickup"
        for order_id in (by_api, by_console)
    )


def test_order_actions_check_what_the_console_checks_naming_the_field(selling_shop):
    order_id = place(selling_shop)
    api = key_client(make_key(selling_shop.merchant), HOST)

    missing = api.post(f"/api/v1/orders/{order_id}/fulfil/", {}, content_type="application/json")
    unpaid_refund = api.post(
        f"/api/v1/orders/{order_id}/refund/",
        {"amount": "1.00", "reason": "damaged"},
        content_type="application/json",
    )
    api.post(
        f"/api/v1/orders/{order_id}/cancel/", {"reason": "asked"}, content_type="application/json"
    )
    twice = api.post(
        f"/api/v1/orders/{order_id}/cancel/", {"reason": "asked"}, content_type="application/json"
    )

    assert missing.status_code == 400 and set(missing.json()) == {"carrier", "tracking_number"}
    assert unpaid_refund.status_code == 400 and "amount" in unpaid_refund.json()
    assert twice.status_code == 409
    assert twice.json() == {"detail": "Only unfulfilled orders can be cancelled."}
    with selling_shop.merchant:
        assert Order.objects.get(pk=order_id).status == "cancelled"
        assert OrderEvent.objects.filter(order_id=order_id, kind="cancelled").count() == 1


def test_a_repeated_idempotency_key_replays_the_first_refund(selling_shop):
    order_id = place(selling_shop, paid=True)
    api = key_client(make_key(selling_shop.merchant), HOST)
    body = {"amount": "20.00", "reason": "late"}

    first = api.post(
        f"/api/v1/orders/{order_id}/refund/", body, content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="refund-1",
    )  # fmt: skip
    again = api.post(
        f"/api/v1/orders/{order_id}/refund/", body, content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="refund-1",
    )  # fmt: skip
    elsewhere = api.post(
        f"/api/v1/orders/{order_id}/cancel/", {"reason": "x"}, content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="refund-1",
    )  # fmt: skip

    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert elsewhere.status_code == 409
    with selling_shop.merchant:
        assert Refund.objects.filter(order_id=order_id).count() == 1
        assert Order.objects.get(pk=order_id).refunded_total == 20


def test_a_read_scope_cannot_fulfil(selling_shop):
    order_id = place(selling_shop, paid=True)
    api = key_client(make_key(selling_shop.merchant, READ_ONLY), HOST)

    refused = api.post(
        f"/api/v1/orders/{order_id}/fulfil/",
        {"carrier": "SF", "tracking_number": "1"},
        content_type="application/json",
    )

    assert refused.status_code == 403
    assert api.get(f"/api/v1/orders/{order_id}/").status_code == 200
    with selling_shop.merchant:
        assert Order.objects.get(pk=order_id).status == "unfulfilled"
        assert not OrderEvent.objects.filter(order_id=order_id, kind="fulfilled").exists()


def test_customers_campaigns_teams_and_data_days_are_read_with_a_key(selling_shop):
    place(selling_shop, paid=True)
    api = key_client(make_key(selling_shop.merchant, READ_ONLY), HOST)

    customers = api.get("/api/v1/customers/", {"q": "mei"}).json()
    campaigns = api.get("/api/v1/groupbuy/campaigns/")
    teams = api.get("/api/v1/groupbuy/teams/", {"status": "open"})
    days = api.get("/api/v1/data/days/")
    bad_range = api.get("/api/v1/data/days/", {"start": "2026-02-01", "end": "2026-01-01"})

    assert [c["email"] for c in customers["results"]] == ["mei@example.test"]
    assert campaigns.status_code == teams.status_code == 200
    body = days.json()
    assert len(body["days"]) == 30
    assert (body["totals"]["orders"], body["totals"]["gmv"]) == (1, "120.0000")
    assert bad_range.status_code == 400 and "start" in bad_range.json()


def test_each_key_has_its_own_rate_limit_with_retry_after(selling_shop, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_user": None, "api_key": "3/min"},
    }
    cache.clear()
    busy = key_client(make_key(selling_shop.merchant, name="busy"), HOST)
    calm = key_client(make_key(selling_shop.merchant, name="calm"), HOST)

    answers = [busy.get("/api/v1/products/").status_code for _ in range(3)]
    refused = busy.post(
        "/api/v1/products/",
        {"title": "Over", "variants": [{"sku": "O-1", "price": "1.00"}]},
        content_type="application/json",
    )

    assert answers == [200, 200, 200]
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert calm.get("/api/v1/products/").status_code == 200
    with selling_shop.merchant:
        assert not WebhookEvent.objects.exists()
    cache.clear()


def test_lists_page_with_a_cursor_that_new_rows_do_not_shift(selling_shop):
    first_orders = [place(selling_shop) for _ in range(3)]
    api = key_client(make_key(selling_shop.merchant), HOST)

    page_one = api.get("/api/v1/orders/", {"page_size": 2}).json()
    newer = place(selling_shop)  # arrives between the pages
    page_two = api.get(page_one["next"]).json()
    bad = api.get("/api/v1/orders/", {"cursor": "not-a-cursor"})

    assert [o["id"] for o in page_one["results"]] == first_orders[::-1][:2]
    assert [o["id"] for o in page_two["results"]] == [first_orders[0]]
    assert page_two["next"] is None and newer not in [o["id"] for o in page_two["results"]]
    assert bad.status_code == 404
