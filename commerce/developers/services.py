"""Webhook endpoints: subscribe, change, rotate the secret, resume, redeliver, test."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from commerce.developers.addresses import UnsafeAddress, resolve_target
from commerce.developers.events import emit, enqueue_deliveries, forget_subscriptions, outbox_key
from commerce.developers.models import (
    DeliveryStatus,
    EventType,
    WebhookDelivery,
    WebhookEndpoint,
)
from outbox import services as outbox

SUBSCRIBABLE = [choice for choice in EventType.values if choice != EventType.TEST]
MAX_ENDPOINTS = 20


@dataclass(frozen=True)
class EndpointInput:
    url: str
    event_types: list[str]
    description: str = ""


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _clean(data: EndpointInput) -> EndpointInput:
    errors: dict[str, list[str]] = {}
    url = data.url.strip()
    if len(url) > 500:
        errors["url"] = [_("Use at most 500 characters.")]
    else:
        try:
            resolve_target(url)
        except UnsafeAddress as refusal:
            errors["url"] = [str(refusal)]
    types = list(dict.fromkeys(data.event_types))
    if not types:
        errors["event_types"] = [_("Choose at least one event.")]
    elif any(kind not in SUBSCRIBABLE for kind in types):
        errors["event_types"] = [_("Unknown event type.")]
    if len(data.description) > 200:
        errors["description"] = [_("Use at most 200 characters.")]
    if errors:
        raise ValidationError(errors)
    return EndpointInput(url=url, event_types=types, description=data.description.strip())


def create_endpoint(data: EndpointInput, *, actor: str) -> WebhookEndpoint:
    cleaned = _clean(data)
    with transaction.atomic():
        if WebhookEndpoint.objects.count() >= MAX_ENDPOINTS:
            raise ValidationError(
                {"url": _("A shop can have at most %(max)s endpoints.") % {"max": MAX_ENDPOINTS}}
            )
        endpoint = WebhookEndpoint.objects.create(
            url=cleaned.url,
            event_types=cleaned.event_types,
            description=cleaned.description,
            secret=new_secret(),
            created_by=actor[:254],
        )
        forget_subscriptions()
    return endpoint


def update_endpoint(endpoint_id: int, data: EndpointInput, *, enabled: bool) -> WebhookEndpoint:
    cleaned = _clean(data)
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint_id)
        endpoint.url = cleaned.url
        endpoint.event_types = cleaned.event_types
        endpoint.description = cleaned.description
        endpoint.is_enabled = enabled
        endpoint.save(update_fields=["url", "event_types", "description", "is_enabled"])
        forget_subscriptions()
    return endpoint


def delete_endpoint(endpoint_id: int) -> None:
    with transaction.atomic():
        WebhookEndpoint.objects.filter(pk=endpoint_id).delete()
        forget_subscriptions()


def rotate_secret(endpoint_id: int) -> WebhookEndpoint:
    """A new secret signs from now on; the old one also signs (a second signature) for
    WEBHOOK_SECRET_OVERLAP_SECONDS, so the receiver can switch without losing a delivery."""
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint_id)
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_secret_expires_at = timezone.now() + timedelta(
            seconds=settings.WEBHOOK_SECRET_OVERLAP_SECONDS
        )
        endpoint.secret = new_secret()
        endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at"])
    return endpoint


def resume_endpoint(endpoint_id: int) -> WebhookEndpoint:
    """The merchant says it is fixed: close the breaker and send what waits, now."""
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint_id)
        endpoint.breaker_opened_at = None
        endpoint.breaker_retry_at = None
        endpoint.consecutive_failures = 0
        endpoint.save(
            update_fields=["breaker_opened_at", "breaker_retry_at", "consecutive_failures"]
        )
        waiting = endpoint.deliveries.filter(status=DeliveryStatus.PENDING)
        outbox.make_due_now(outbox_key(delivery) for delivery in waiting.only("pk"))
    return endpoint


def redeliver(delivery_id: int) -> WebhookDelivery:
    """Send a delivery's event to its endpoint again (a new round, the same webhook-id)."""
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_related("event", "endpoint").get(pk=delivery_id)
        latest = (
            WebhookDelivery.objects.filter(endpoint=delivery.endpoint, event=delivery.event)
            .order_by("-round")
            .values_list("round", flat=True)
            .first()
        )
        again = WebhookDelivery.objects.create(
            endpoint=delivery.endpoint, event=delivery.event, round=latest + 1
        )
        enqueue_deliveries([again])
    return again


def send_test_event(endpoint_id: int) -> None:
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.get(pk=endpoint_id)
        emit(
            EventType.TEST,
            {"message": "A test event from your shop.", "endpoint": endpoint.pk},
            endpoint=endpoint,
        )
