"""Outbound webhooks: written in the business transaction, delivered after the commit by
the outbox to a REAL HTTP receiver on loopback, signed per Standard Webhooks (verified
here with the `standardwebhooks` library), retried only on timeouts, connection errors and
5xx, paused by a circuit breaker, refused for private addresses (SSRF)."""

import json
import threading
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction
from django.test import Client
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from commerce.catalog.models import Variant
from commerce.checkout.services import CheckoutRequest, place_order
from commerce.developers import services
from commerce.developers.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from commerce.orders.services import LineRequest, fulfil_order, record_offline_payment
from outbox.models import Channel, MessageStatus, OutboxMessage
from outbox.services import deliver_due_messages
from tests.conftest import on_host
from tests.fakes.webhook_receiver import Receiver, start

pytestmark = pytest.mark.django_db
HOST = "alpha.localhost"
ORDER_EVENTS = ["order.created", "order.paid", "order.fulfilled", "order.cancelled"]


@pytest.fixture
def loopback(settings):
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    return settings


@pytest.fixture
def receiver(loopback):
    receiver = Receiver()
    server, _url = start(receiver)
    yield receiver
    server.shutdown()


def subscribe(merchant, url: str, types=None) -> WebhookEndpoint:
    with merchant:
        endpoint = services.create_endpoint(
            services.EndpointInput(url=url, event_types=types or ORDER_EVENTS), actor="owner@test"
        )
    connection.set_schema_to_public()
    return endpoint


def place(merchant) -> int:
    with merchant:
        order = place_order(
            CheckoutRequest(
                reference="5f1c8f9a-2b1e-4c1e-9d7e-0c8e5a1b2c3d",
                lines=[LineRequest(Variant.objects.get(sku="PUER-357").pk, 1)],
                email="mei@example.test",
                contact_name="Mei",
                payment_method="pay_in_store",
                shipping_method="pickup",
            )
        )
    connection.set_schema_to_public()
    return order.pk


def deliver(*, all_due: bool = False):
    """One delivery run; `all_due`: as if every pending message's time had come (a run
    later on; the run's own clock stays now, so rescheduled messages wait)."""
    if all_due:
        OutboxMessage.objects.filter(status=MessageStatus.PENDING).update(
            next_attempt_at=timezone.now() - timedelta(seconds=1)
        )
    result = deliver_due_messages()
    connection.set_schema_to_public()
    # The shop's own emails to the shopper share the outbox; count the webhooks only (the
    # emails go to the test's mail backend and always succeed).
    webhooks = OutboxMessage.objects.filter(pk__in=result.sent_ids, channel=Channel.WEBHOOK)
    return WebhookRun(sent=webhooks.count(), retrying=result.retrying, failed=result.failed)


@dataclass(frozen=True)
class WebhookRun:
    sent: int
    retrying: int
    failed: int


def verified(endpoint: WebhookEndpoint, item) -> dict:
    """What the receiver would do: verify the raw body and headers with the library."""
    return Webhook(endpoint.secret).verify(item.body, item.headers)


def test_events_are_signed_delivered_after_commit_and_verified(selling_shop, receiver):
    endpoint = subscribe(selling_shop.merchant, receiver.url)
    order_id = place(selling_shop.merchant)
    with selling_shop.merchant:
        record_offline_payment(order_id, actor="owner@test")
        fulfil_order(order_id, carrier="SF", tracking_number="SF1", actor="owner@test")
    connection.set_schema_to_public()
    # Written in the transactions (test transaction still open): nothing sent yet.
    assert receiver.received == []
    assert OutboxMessage.objects.filter(channel=Channel.WEBHOOK).count() == 3

    result = deliver()

    assert result.sent == 3
    bodies = [verified(endpoint, item) for item in receiver.received]
    assert [body["type"] for body in bodies] == ["order.created", "order.paid", "order.fulfilled"]
    assert {body["data"]["id"] for body in bodies} == {order_id}
    assert bodies[1]["data"]["payment_status"] == "paid"
    assert all(
        item.headers["user-agent"].startswith("MerchantPlatform") for item in receiver.received
    )
    with selling_shop.merchant:
        assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"succeeded"}
        assert WebhookAttempt.objects.count() == 3
    # Delivered means delivered: a second run sends nothing.
    assert deliver().sent == 0
    assert len(receiver.received) == 3


def test_a_rolled_back_change_leaves_no_event_and_unsubscribed_types_write_nothing(
    selling_shop, receiver
):
    subscribe(selling_shop.merchant, receiver.url, types=["order.paid"])
    with selling_shop.merchant:
        with pytest.raises(RuntimeError), transaction.atomic():
            place_order(
                CheckoutRequest(
                    reference="0f1c8f9a-2b1e-4c1e-9d7e-0c8e5a1b2c3d",
                    lines=[LineRequest(Variant.objects.get(sku="PUER-357").pk, 1)],
                    email="mei@example.test",
                    contact_name="Mei",
                    payment_method="pay_in_store",
                    shipping_method="pickup",
                )
            )
            raise RuntimeError("the business transaction fails")
        assert WebhookEvent.objects.count() == 0
    place(selling_shop.merchant)  # order.created: nobody listens
    with selling_shop.merchant:
        assert WebhookEvent.objects.count() == 0
    assert OutboxMessage.objects.filter(channel=Channel.WEBHOOK).count() == 0


def test_a_503_is_retried_with_backoff_and_the_same_webhook_id(selling_shop, receiver):
    receiver.answers = [503, 200]
    endpoint = subscribe(selling_shop.merchant, receiver.url)
    place(selling_shop.merchant)

    first = deliver()

    assert (first.sent, first.retrying) == (0, 1)
    message = OutboxMessage.objects.get(channel=Channel.WEBHOOK)
    assert message.status == MessageStatus.PENDING
    wait = message.next_attempt_at - timezone.now()
    assert timedelta(seconds=10) < wait <= timedelta(seconds=30)  # 30 s base, jitter
    assert deliver().sent == 0  # not due yet: nothing sent
    assert len(receiver.received) == 1

    second = deliver(all_due=True)

    assert second.sent == 1
    assert len(receiver.received) == 2
    assert receiver.ids()[0] == receiver.ids()[1]
    verified(endpoint, receiver.received[1])
    with selling_shop.merchant:
        delivery = WebhookDelivery.objects.get()
        assert (delivery.status, delivery.attempts) == (DeliveryStatus.SUCCEEDED, 2)
        log = list(delivery.log.order_by("number").values_list("number", "response_status"))
    assert log == [(1, 503), (2, 200)]


def test_a_400_is_not_retried(selling_shop, receiver):
    receiver.answers = [400]
    subscribe(selling_shop.merchant, receiver.url)
    place(selling_shop.merchant)

    result = deliver()
    later = deliver(all_due=True)

    assert (result.failed, later.sent, later.failed) == (1, 0, 0)
    assert len(receiver.received) == 1
    assert OutboxMessage.objects.get(channel=Channel.WEBHOOK).status == MessageStatus.FAILED
    with selling_shop.merchant:
        delivery = WebhookDelivery.objects.get()
        assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 1)


def test_a_timeout_is_retried_and_a_long_answer_is_truncated_in_the_log(
    selling_shop, receiver, settings
):
    settings.WEBHOOK_READ_TIMEOUT_SECONDS = 0.3
    receiver.delay = 1.0
    subscribe(selling_shop.merchant, receiver.url)
    place(selling_shop.merchant)

    assert deliver().retrying == 1

    receiver.delay = 0
    receiver.reply_body = b"x" * 20_000
    assert deliver(all_due=True).sent == 1
    with selling_shop.merchant:
        attempts = list(WebhookAttempt.objects.order_by("number"))
    assert attempts[0].response_status is None and attempts[0].error.startswith("timeout")
    assert attempts[1].response_status == 200
    assert len(attempts[1].response_body) == 1000


def test_a_retryable_failure_gives_up_after_three_days(selling_shop, receiver):
    receiver.answers = [503]
    subscribe(selling_shop.merchant, receiver.url)
    place(selling_shop.merchant)
    deliver()
    with selling_shop.merchant:
        WebhookEvent.objects.update(created_at=timezone.now() - timedelta(days=3, seconds=1))
    connection.set_schema_to_public()

    result = deliver(all_due=True)

    assert result.failed == 1
    assert len(receiver.received) == 2
    with selling_shop.merchant:
        assert WebhookDelivery.objects.get().status == DeliveryStatus.FAILED


def test_the_breaker_opens_tells_the_owner_and_closes(selling_shop, receiver, settings):
    settings.WEBHOOK_BREAKER_THRESHOLD = 3
    receiver.answers = [500]
    endpoint = subscribe(selling_shop.merchant, receiver.url, types=["stock.changed"])
    with selling_shop.merchant:
        from commerce.catalog.services import set_stock
        from commerce.store.selectors import online_outlet

        variant_id = Variant.objects.get(sku="PUER-357").pk
        for quantity in range(5):
            set_stock(variant_id=variant_id, outlet_id=online_outlet().pk, quantity=quantity)
    connection.set_schema_to_public()

    deliver()  # five deliveries: three fail and open the breaker, two wait without a request

    assert len(receiver.received) == 3
    with selling_shop.merchant:
        endpoint.refresh_from_db()
        assert endpoint.is_paused and endpoint.consecutive_failures == 3
    connection.set_schema_to_public()
    told = OutboxMessage.objects.filter(
        channel=Channel.EMAIL, dedupe_key__contains="webhook-paused"
    )
    assert [m.payload["to"] for m in told] == [[selling_shop.owner.email]]
    page = owner_page(selling_shop, f"/manage/developers/webhooks/{endpoint.pk}/")
    assert "Paused" in page
    # Still paused within the cooldown: nothing goes, whatever is due.
    deliver(all_due=True)
    assert len(receiver.received) == 3

    receiver.answers = [200]
    with selling_shop.merchant:
        WebhookEndpoint.objects.update(breaker_retry_at=timezone.now() - timedelta(seconds=1))
    connection.set_schema_to_public()
    deliver(all_due=True)

    with selling_shop.merchant:
        endpoint.refresh_from_db()
        assert not endpoint.is_paused and endpoint.consecutive_failures == 0
        statuses = sorted(WebhookDelivery.objects.values_list("status", flat=True))
    assert statuses.count("succeeded") >= 1
    deliver(all_due=True)
    with selling_shop.merchant:
        assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"succeeded"}
    assert len(set(receiver.ids())) == 5
    assert told.count() == 1


def owner_page(shop, path: str) -> str:
    client = on_host(Client(), HOST)
    client.force_login(shop.owner)
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hooks",
        "https://localhost/hooks",
        "https://10.1.2.3/hooks",
        "https://192.168.0.10/hooks",
        "https://172.16.0.1/hooks",
        "https://169.254.169.254/latest/meta-data/",
        "https://100.64.0.1/hooks",
        "https://0.0.0.0/hooks",
        "https://[::1]/hooks",
        "https://[::ffff:127.0.0.1]/hooks",
        "https://[fd00::1]/hooks",
        "https://[fe80::1]/hooks",
        "https://user:pw@example.com/hooks",
        "http://93.184.215.14/hooks",
        "ftp://93.184.215.14/hooks",
        "javascript:alert(1)",
    ],
)
def test_private_and_internal_addresses_are_refused(selling_shop, url):
    client = on_host(Client(), HOST)
    client.force_login(selling_shop.owner)

    response = client.post(
        "/manage/developers/webhooks/", {"url": url, "event_types": ["order.paid"]}
    )

    assert response.status_code == 400
    assert response.context["endpoint_form"].errors["url"]
    with selling_shop.merchant:
        assert not WebhookEndpoint.objects.exists()


def test_the_address_is_checked_again_at_delivery(selling_shop, receiver, settings):
    subscribe(selling_shop.merchant, receiver.url)
    place(selling_shop.merchant)
    settings.WEBHOOK_ALLOW_LOOPBACK = False  # as in production: loopback is internal

    result = deliver()

    assert result.failed == 1
    assert receiver.received == []
    with selling_shop.merchant:
        attempt = WebhookAttempt.objects.get()
    assert (attempt.response_status, attempt.error) == (None, "refused")
    assert "private or internal" in attempt.response_body


def test_a_rotated_secret_signs_alongside_the_old_one_during_the_overlap(selling_shop, receiver):
    endpoint = subscribe(selling_shop.merchant, receiver.url)
    old = Webhook(endpoint.secret)
    with selling_shop.merchant:
        rotated = services.rotate_secret(endpoint.pk)
    connection.set_schema_to_public()
    place(selling_shop.merchant)
    deliver()

    item = receiver.received[0]
    assert len(item.headers["webhook-signature"].split(" ")) == 2
    assert old.verify(item.body, item.headers)["type"] == "order.created"
    assert Webhook(rotated.secret).verify(item.body, item.headers)["type"] == "order.created"
    with selling_shop.merchant:
        WebhookEndpoint.objects.update(previous_secret_expires_at=timezone.now())
        services.send_test_event(endpoint.pk)
    connection.set_schema_to_public()
    deliver()
    assert len(receiver.received[1].headers["webhook-signature"].split(" ")) == 1


def test_the_console_sends_a_test_event_and_redelivers(selling_shop, receiver):
    endpoint = subscribe(selling_shop.merchant, receiver.url)
    client = on_host(Client(), HOST)
    client.force_login(selling_shop.owner)

    assert client.post(f"/manage/developers/webhooks/{endpoint.pk}/test/").status_code == 302
    deliver()
    assert json.loads(receiver.received[0].body)["type"] == "webhook.test"
    with selling_shop.merchant:
        delivery = WebhookDelivery.objects.get()
    connection.set_schema_to_public()
    page = owner_page(selling_shop, f"/manage/developers/webhooks/{endpoint.pk}/")
    assert "webhook.test" in page and "HTTP 200" in page

    redo = client.post(
        f"/manage/developers/webhooks/{endpoint.pk}/deliveries/{delivery.pk}/redeliver/"
    )
    assert redo.status_code == 302
    deliver()
    assert receiver.ids() == [receiver.ids()[0]] * 2  # a redelivery keeps the webhook-id
    with selling_shop.merchant:
        assert list(WebhookDelivery.objects.order_by("round").values_list("round", "status")) == [
            (1, "succeeded"),
            (2, "succeeded"),
        ]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("outbox_delivered_by_test")
def test_two_concurrent_senders_send_each_attempt_exactly_once(loopback):
    from tests.factories import ShopFactory

    receiver = Receiver(delay=0.02)
    server, url = start(receiver)
    merchant = ShopFactory(slug="busy").merchant
    subscribe(merchant, url, types=["product.updated"])
    with merchant:
        from commerce.catalog.services import ProductInput, VariantInput, save_product

        for index in range(30):
            save_product(
                data=ProductInput(title=f"Tea {index}", description="", category_id=None),
                variants=[VariantInput(id=None, sku=f"T-{index}", price="1.00")],
            )
    connection.set_schema_to_public()
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def sender():
        try:
            barrier.wait(timeout=10)
            deliver_due_messages()
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    server.shutdown()

    assert errors == []
    ids = receiver.ids()
    assert len(ids) == 30
    assert len(set(ids)) == 30
    assert OutboxMessage.objects.filter(channel=Channel.WEBHOOK, status="sent").count() == 30
