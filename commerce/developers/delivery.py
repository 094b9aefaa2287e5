"""Delivering one webhook: the outbox's "webhook" sender.

The outbox holds the message's row lock (FOR UPDATE SKIP LOCKED) for the whole attempt,
so two delivery runs never send the same attempt twice. Each attempt is one signed POST
(Standard Webhooks: `webhook-id` is the event's id, the same on every retry and
redelivery, `webhook-timestamp`, `webhook-signature` with the endpoint's secret and,
during a rotation's overlap, the previous one too), logged with its answer (truncated).

Retry policy (Saleor's lesson: retrying 4xx floods endpoints that will never accept):
- 2xx: delivered;
- a timeout, a connection error or a 5xx: tried again after an exponential backoff with
  jitter, for up to `WEBHOOK_RETRY_FOR_SECONDS` (3 days) from the event;
- anything else (3xx, 4xx, an address that is no longer public): failed, no retry.
Circuit breaker: `WEBHOOK_BREAKER_THRESHOLD` failed attempts in a row pause the endpoint
and tell the merchant; while paused nothing is sent (deliveries wait, no attempt counted);
after `WEBHOOK_BREAKER_COOLDOWN_SECONDS` one delivery probes it: success closes the
breaker, failure keeps it open for another cooldown.
"""

from __future__ import annotations

import json
import logging
import random
import time
from dataclasses import dataclass
from datetime import timedelta

import certifi
import urllib3
from django.conf import settings
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from standardwebhooks.webhooks import Webhook

from commerce.developers.addresses import UnsafeAddress, resolve_target
from commerce.developers.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from outbox import services as outbox
from outbox.senders import GiveUp, RetryLater
from tenants.models import Membership, MembershipRole, Merchant

logger = logging.getLogger(__name__)

RESPONSE_LOG_CHARS = 1000
USER_AGENT = "MerchantPlatform-Webhooks/1"


@dataclass(frozen=True)
class Outcome:
    status: int | None
    body: str
    error: str
    duration_ms: int

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def retryable(self) -> bool:
        # A timeout or connection error (no status) or a server error.
        return (self.status is None and self.error != "refused") or (
            self.status is not None and self.status >= 500
        )


def request_body(delivery: WebhookDelivery) -> str:
    event = delivery.event
    return json.dumps(
        {"type": event.type, "timestamp": event.created_at.isoformat(), "data": event.data},
        separators=(",", ":"),
        sort_keys=True,
    )


def signature(endpoint: WebhookEndpoint, *, msg_id: str, timestamp, body: str) -> str:
    secrets_in_use = [endpoint.secret]
    if (
        endpoint.previous_secret
        and endpoint.previous_secret_expires_at
        and endpoint.previous_secret_expires_at > timestamp
    ):
        secrets_in_use.append(endpoint.previous_secret)
    return " ".join(
        Webhook(secret).sign(msg_id=msg_id, timestamp=timestamp, data=body)
        for secret in secrets_in_use
    )


def post(endpoint: WebhookEndpoint, *, msg_id: str, body: str) -> Outcome:
    """One signed POST to the endpoint, to the address checked now."""
    started = time.monotonic()
    try:
        target = resolve_target(endpoint.url)
    except UnsafeAddress as refusal:
        return Outcome(
            status=None, body=str(refusal)[:RESPONSE_LOG_CHARS], error="refused", duration_ms=0
        )
    now = timezone.now()
    headers = {
        "Host": target.host if target.port in (80, 443) else f"{target.host}:{target.port}",
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature(endpoint, msg_id=msg_id, timestamp=now, body=body),
    }
    timeout = urllib3.Timeout(
        connect=settings.WEBHOOK_CONNECT_TIMEOUT_SECONDS, read=settings.WEBHOOK_READ_TIMEOUT_SECONDS
    )
    if target.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            target.address,
            target.port,
            timeout=timeout,
            retries=False,
            cert_reqs="CERT_REQUIRED",
            ca_certs=certifi.where(),
            server_hostname=target.host,
            assert_hostname=target.host,
        )
    else:
        pool = urllib3.HTTPConnectionPool(
            target.address, target.port, timeout=timeout, retries=False
        )
    try:
        response = pool.urlopen(
            "POST",
            target.path,
            body=body.encode(),
            headers=headers,
            redirect=False,
            preload_content=False,
            assert_same_host=False,
        )
        try:
            answer = response.read(RESPONSE_LOG_CHARS * 4, decode_content=True) or b""
        finally:
            response.release_conn()
        return Outcome(
            status=response.status,
            body=answer.decode("utf-8", "replace")[:RESPONSE_LOG_CHARS],
            error="",
            duration_ms=int((time.monotonic() - started) * 1000),
        )
    except urllib3.exceptions.HTTPError as error:
        kind = "timeout" if isinstance(error, urllib3.exceptions.TimeoutError) else "connection"
        return Outcome(
            status=None,
            body="",
            error=f"{kind}: {type(error).__name__}"[:500],
            duration_ms=int((time.monotonic() - started) * 1000),
        )
    finally:
        pool.close()


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff after the `attempts`-th failure, with jitter (half to all of it)."""
    seconds = min(
        settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0),
        settings.WEBHOOK_RETRY_CAP_SECONDS,
    )
    return timedelta(seconds=seconds * random.uniform(0.5, 1.0))


def send_webhook(payload: dict) -> None:
    merchant = Merchant.objects.get(schema_name=payload["schema"])
    with merchant:
        _deliver(payload["delivery"], merchant)


def _deliver(delivery_id: int, merchant: Merchant) -> None:
    delivery = (
        WebhookDelivery.objects.select_related("event", "endpoint").filter(pk=delivery_id).first()
    )
    if delivery is None or delivery.status != DeliveryStatus.PENDING:
        return  # the endpoint was deleted, or an earlier run finished it
    now = timezone.now()
    # Not locked: deliveries to one endpoint go side by side (a slow receiver must not
    # hold the others' workers); the breaker's counters are single-statement updates.
    endpoint = delivery.endpoint
    if not endpoint.is_enabled:
        _finish(delivery, DeliveryStatus.FAILED)
        raise GiveUp("The endpoint is disabled")
    if endpoint.is_paused:
        if endpoint.breaker_retry_at and endpoint.breaker_retry_at > now:
            wait = endpoint.breaker_retry_at - now + timedelta(seconds=random.uniform(0, 30))
            raise RetryLater("The endpoint is paused (circuit breaker open)", delay=wait)
        # Half-open: the one delivery that moves the retry time on probes the endpoint;
        # the others wait another cooldown.
        probe = WebhookEndpoint.objects.filter(
            pk=endpoint.pk, breaker_retry_at=endpoint.breaker_retry_at
        ).update(
            breaker_retry_at=now + timedelta(seconds=settings.WEBHOOK_BREAKER_COOLDOWN_SECONDS)
        )
        if not probe:
            raise RetryLater(
                "The endpoint is paused (another delivery probes it)",
                delay=timedelta(seconds=settings.WEBHOOK_BREAKER_COOLDOWN_SECONDS),
            )
    body = request_body(delivery)
    outcome = post(endpoint, msg_id=delivery.event.event_id, body=body)
    delivery.attempts += 1
    WebhookAttempt.objects.create(
        delivery=delivery,
        number=delivery.attempts,
        request_body=body,
        response_status=outcome.status,
        response_body=outcome.body,
        error=outcome.error,
        duration_ms=outcome.duration_ms,
    )
    if outcome.delivered:
        _finish(delivery, DeliveryStatus.SUCCEEDED)
        _record_success(endpoint)
        return
    _record_failure(endpoint, merchant)
    age = timezone.now() - delivery.event.created_at
    if outcome.retryable and age < timedelta(seconds=settings.WEBHOOK_RETRY_FOR_SECONDS):
        delivery.save(update_fields=["attempts"])
        raise RetryLater(
            f"Attempt {delivery.attempts}: {outcome.status or outcome.error}",
            delay=retry_delay(delivery.attempts),
        )
    _finish(delivery, DeliveryStatus.FAILED)
    raise GiveUp(f"Attempt {delivery.attempts}: {outcome.status or outcome.error}; not retried")


def _finish(delivery: WebhookDelivery, status: str) -> None:
    delivery.status = status
    delivery.completed_at = timezone.now()
    delivery.save(update_fields=["status", "attempts", "completed_at"])


def _record_success(endpoint: WebhookEndpoint) -> None:
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        consecutive_failures=0, breaker_opened_at=None, breaker_retry_at=None
    )


def _record_failure(endpoint: WebhookEndpoint, merchant: Merchant) -> None:
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        consecutive_failures=F("consecutive_failures") + 1
    )
    opened = WebhookEndpoint.objects.filter(
        pk=endpoint.pk,
        breaker_opened_at__isnull=True,
        consecutive_failures__gte=settings.WEBHOOK_BREAKER_THRESHOLD,
    ).update(
        breaker_opened_at=timezone.now(),
        breaker_retry_at=timezone.now()
        + timedelta(seconds=settings.WEBHOOK_BREAKER_COOLDOWN_SECONDS),
    )
    if opened:
        endpoint.refresh_from_db()
        _tell_owners_paused(endpoint, merchant)


def _tell_owners_paused(endpoint: WebhookEndpoint, merchant: Merchant) -> None:
    owners = list(
        Membership.objects.filter(merchant_id=merchant.pk, role=MembershipRole.OWNER).values_list(
            "user__email", flat=True
        )
    )
    if not owners:
        return
    with translation.override(merchant.language or None):
        _tell_owners(endpoint, merchant, owners)


def _tell_owners(endpoint: WebhookEndpoint, merchant: Merchant, owners: list[str]) -> None:
    body = _(
        "Webhook deliveries to %(url)s failed %(count)s times in a row, so we paused the "
        "endpoint. We will try it again from time to time; you can also resume it in "
        "Developers once it is fixed. Events are kept and delivered when it answers again."
    ) % {"url": endpoint.url, "count": endpoint.consecutive_failures}
    outbox.enqueue_email(
        to=owners,
        subject=_("Webhook endpoint paused: %(url)s") % {"url": endpoint.url[:80]},
        body=body,
        dedupe_key=f"{merchant.schema_name}:webhook-paused:{endpoint.pk}:"
        f"{endpoint.breaker_opened_at.isoformat()}",
        merchant_id=merchant.pk,
    )
