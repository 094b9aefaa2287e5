"""Webhook events, written in the business transaction that caused them.

`emit` is the one call the shop's services make (`emit(EventType.ORDER_PAID, order_data(order))`):
in the caller's transaction it writes the event, one delivery per endpoint subscribed to its
type, and one outbox message per delivery, so a rollback leaves none of them and nothing
leaves before the change has committed. A shop with no endpoint for the type pays one
cached lookup (Redis, dropped whenever an endpoint changes) and writes nothing.
"""

from __future__ import annotations

import secrets
import time
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from commerce.developers.models import (
    EventType,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from core import cache_guard
from outbox import services as outbox
from outbox.models import Channel

SUBSCRIPTIONS_CACHE_SECONDS = 300


def _subscriptions_key() -> str:
    return f"developers:webhook-types:{connection.schema_name}"


def subscribed_types() -> frozenset[str]:
    """The event types at least one enabled endpoint of this shop listens to."""
    cached = cache_guard.get(_subscriptions_key())
    if cached is not None and cached is not cache_guard.UNAVAILABLE:
        return frozenset(cached)
    types: set[str] = set()
    for event_types in WebhookEndpoint.objects.filter(is_enabled=True).values_list(
        "event_types", flat=True
    ):
        types.update(event_types)
    cache_guard.set(_subscriptions_key(), sorted(types), SUBSCRIPTIONS_CACHE_SECONDS)
    return frozenset(types)


def forget_subscriptions() -> None:
    """After an endpoint changed: now, and again once its transaction commits."""
    key = _subscriptions_key()
    cache_guard.delete(key)
    transaction.on_commit(lambda: cache_guard.delete(key))


def new_event_id() -> str:
    # Sortable by time, unique: milliseconds then randomness.
    return f"evt_{int(time.time() * 1000):013x}{secrets.token_hex(8)}"


def _jsonable(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def outbox_key(delivery: WebhookDelivery) -> str:
    return f"{connection.schema_name}:webhook:{delivery.pk}"


def emit(event_type: str, data: dict, *, endpoint: WebhookEndpoint | None = None) -> int:
    """Record an event and owe its deliveries (in the caller's transaction). `endpoint`:
    to that one only (the test event). Returns the number of deliveries owed."""
    if endpoint is None and event_type not in subscribed_types():
        return 0
    if endpoint is None:
        endpoints = [
            candidate
            for candidate in WebhookEndpoint.objects.filter(is_enabled=True)
            if event_type in candidate.event_types
        ]
    else:
        endpoints = [endpoint]
    if not endpoints:
        return 0
    event = WebhookEvent.objects.create(
        event_id=new_event_id(), type=event_type, data=_jsonable(data), created_at=timezone.now()
    )
    deliveries = WebhookDelivery.objects.bulk_create(
        [WebhookDelivery(endpoint=target, event=event) for target in endpoints]
    )
    enqueue_deliveries(deliveries)
    return len(deliveries)


def enqueue_deliveries(deliveries: list[WebhookDelivery]) -> None:
    merchant_id = connection.tenant.pk
    outbox.enqueue(
        Channel.WEBHOOK,
        [
            outbox.NewMessage(
                dedupe_key=outbox_key(delivery),
                merchant_id=merchant_id,
                payload={
                    "schema": connection.schema_name,
                    "delivery": delivery.pk,
                    # What staff read in the outbox console.
                    "subject": f"{delivery.event.type} → {delivery.endpoint.url}",
                },
            )
            for delivery in deliveries
        ],
    )


# What each event carries: the resource as the API shows it, small and stable.


def order_data(order) -> dict:
    return {
        "id": order.pk,
        "number": order.number,
        "reference": str(order.reference),
        "channel": order.channel,
        "status": order.status,
        "payment_status": order.payment_status,
        "currency": order.currency,
        "total": order.total,
        "refunded_total": order.refunded_total,
        "email": order.email,
        "created_at": order.created_at,
        "paid_at": order.paid_at,
    }


def emit_order(event_type: str, order) -> int:
    return emit(event_type, order_data(order))


def emit_product_updated(product) -> int:
    return emit(
        EventType.PRODUCT_UPDATED,
        {
            "id": product.pk,
            "title": product.title,
            "slug": product.slug,
            "is_published": product.is_published,
        },
    )


def emit_stock_changed(stock) -> int:
    return emit(
        EventType.STOCK_CHANGED,
        {
            "id": stock.pk,
            "variant": stock.variant_id,
            "outlet": stock.outlet_id,
            "quantity": stock.quantity,
        },
    )


def emit_team(event_type: str, team) -> int:
    return emit(
        event_type,
        {
            "id": team.pk,
            "campaign": team.campaign_id,
            "status": team.status,
            "size": team.size,
            "seats_taken": team.seats_taken,
            "seats_paid": team.seats_paid,
        },
    )
