"""Writing messages into the outbox (in the caller's transaction) and delivering them.

Guarantees:
- `enqueue*` writes in the caller's transaction: a rollback leaves no message, and no
  message goes before the business change it announces has committed;
- a dedupe key is unique: enqueueing it again writes nothing (idempotent reminders);
- delivery claims one due row at a time (FOR UPDATE SKIP LOCKED: two workers never hold the
  same row), sends it, and marks it sent in the transaction holding the lock, only when the
  sender returned. A crash between the send and the commit can repeat a send (at least
  once; an email's repeat carries the same Message-ID, `stable_message_id`); a failure never loses a message: it is retried with backoff, then parked as
  failed for staff to retry.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from core import cache_guard
from outbox.models import Channel, MessageStatus, OutboxMessage
from outbox.senders import GiveUp, RetryLater, sender_for

logger = logging.getLogger(__name__)

# Set while a delivery run is queued: a burst of commits queues one run, not one each.
# It expires on its own, so a lost wake-up holds nothing back for long (and the beat job
# delivers every minute anyway).
WAKE_FLAG_KEY = "outbox-wake"
WAKE_FLAG_SECONDS = 30
INSERT_BATCH = 1000


@dataclass(frozen=True)
class NewMessage:
    dedupe_key: str
    payload: dict
    merchant_id: int | None = None


@dataclass
class DeliveryResult:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    sent_ids: list[int] = field(default_factory=list)


def email(
    *,
    to: Sequence[str],
    subject: str,
    body: str,
    dedupe_key: str,
    cc: Sequence[str] = (),
    html: str = "",
    from_email: str = "",
    merchant_id: int | None = None,
    sensitive: bool = False,
) -> NewMessage:
    """An email for `enqueue_emails`. `sensitive` (a password reset link): the body is
    blanked once the email has gone, so the outbox keeps no working secret."""
    recipients = [address for address in to if address]
    if not recipients:
        raise ValueError("An outbox email needs at least one recipient")
    if not dedupe_key:
        raise ValueError("An outbox message needs a dedupe key")
    if "\n" in subject or "\r" in subject:
        # The mail library would refuse it at every attempt: refuse it now.
        raise ValueError("An email subject cannot contain a line break")
    payload = {
        "to": recipients,
        "cc": [address for address in cc if address],
        "subject": subject,
        "body": body,
        "html": html,
        "from_email": from_email,
        "message_id": stable_message_id(dedupe_key),
    }
    if sensitive:
        payload["sensitive"] = True
    return NewMessage(dedupe_key=dedupe_key, payload=payload, merchant_id=merchant_id)


def stable_message_id(dedupe_key: str) -> str:
    """The email's Message-ID, from its dedupe key: delivery is at least once (a crash
    between the SMTP server's acceptance and our commit sends it again), and a repeat that
    carries the same Message-ID is the same message to the receiver (mail clients and
    archives keep one), so the reader still gets each email once."""
    digest = hashlib.sha256(dedupe_key.encode()).hexdigest()[:40]
    return f"<{digest}.outbox@{settings.PLATFORM_HOST}>"


def enqueue_email(**kwargs) -> bool:
    """Write one email into the outbox in the caller's transaction (see `email` for the
    arguments). Returns False when its dedupe key was enqueued before (nothing written)."""
    return enqueue_emails([email(**kwargs)]) == 1


def enqueue_emails(messages: Iterable[NewMessage]) -> int:
    return enqueue(Channel.EMAIL, messages)


# Schema-qualified, like the ledger: the caller may be in any tenant schema.
_INSERT_SQL = """
    INSERT INTO public.outbox_outboxmessage
        (channel, dedupe_key, merchant_id, payload, status, attempts, next_attempt_at,
         last_error, created_at)
    SELECT %(channel)s, x.dedupe_key, x.merchant_id, x.payload::jsonb, 'pending', 0,
           %(now)s, '', %(now)s
    FROM unnest(%(keys)s::text[], %(merchants)s::bigint[], %(payloads)s::text[])
        AS x(dedupe_key, merchant_id, payload)
    ON CONFLICT (dedupe_key) DO NOTHING
    RETURNING id
"""


def enqueue(channel: str, messages: Iterable[NewMessage]) -> int:
    """Write messages of one channel (a fixed number of statements per thousand) in the
    caller's transaction; after its commit a delivery run is woken. Returns how many were
    new (a known dedupe key is skipped)."""
    sender_for(channel)  # an unknown channel is a programming error: fail in the caller
    messages = list({message.dedupe_key: message for message in messages}.values())
    written = 0
    now = timezone.now()
    with connection.cursor() as cursor:
        for start in range(0, len(messages), INSERT_BATCH):
            batch = messages[start : start + INSERT_BATCH]
            cursor.execute(
                _INSERT_SQL,
                {
                    "channel": channel,
                    "now": now,
                    "keys": [message.dedupe_key for message in batch],
                    "merchants": [message.merchant_id for message in batch],
                    "payloads": [json.dumps(message.payload) for message in batch],
                },
            )
            written += len(cursor.fetchall())
    if written:
        wake_delivery_after_commit()
    return written


def wake_delivery_after_commit() -> None:
    # robust: the business change has committed; a broker that is down must not turn it
    # into an error (the beat job delivers the message within a minute).
    transaction.on_commit(_wake_delivery, robust=True)


def _wake_delivery() -> None:
    from outbox.tasks import deliver_outbox

    if not settings.OUTBOX_WAKE_AFTER_COMMIT:
        return

    # Redis down (it is the broker too): no wake-up; the beat run delivers within a minute.
    if cache_guard.add(WAKE_FLAG_KEY, 1, WAKE_FLAG_SECONDS, when_unavailable=False):
        # Sent from whatever schema committed: the outbox table is public, on every
        # search_path, so the run works in any of them.
        deliver_outbox.apply_async()


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff after the `attempts`-th failure, capped."""
    seconds = settings.OUTBOX_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.OUTBOX_RETRY_CAP_SECONDS))


def deliver_due_messages(*, now: datetime | None = None) -> DeliveryResult:
    """Send every message due by `now` (default: the start of the run), one row locked at a
    time; a message another run holds is skipped, not waited for."""
    due_by = now or timezone.now()
    # Cleared first: whatever commits from now on queues a run of its own.
    cache_guard.delete(WAKE_FLAG_KEY)
    result = DeliveryResult()
    while True:
        with transaction.atomic():
            message = (
                OutboxMessage.objects.select_for_update(skip_locked=True)
                .filter(status=MessageStatus.PENDING, next_attempt_at__lte=due_by)
                .order_by("next_attempt_at", "id")
                .first()
            )
            if message is None:
                return result
            _attempt(message, result)


def deliver_message(dedupe_key: str) -> bool:
    """Attempt one pending message now, for a caller that wants it out at once (a refund the
    merchant just made); a failure is recorded and retried like any other. False when it is
    not pending, another run holds it, or it failed again."""
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(dedupe_key=dedupe_key, status=MessageStatus.PENDING)
            .first()
        )
        if message is None:
            return False
        result = DeliveryResult()
        _attempt(message, result)
        return result.sent == 1


def _attempt(message: OutboxMessage, result: DeliveryResult) -> None:
    message.attempts += 1
    try:
        sender_for(message.channel)(message.payload)
    except RetryLater as later:
        message.last_error = str(later)[:2000]
        message.next_attempt_at = timezone.now() + later.delay
        result.retrying += 1
        message.save(update_fields=["attempts", "last_error", "next_attempt_at"])
        return
    except GiveUp as refusal:
        message.last_error = str(refusal)[:2000]
        message.status = MessageStatus.FAILED
        result.failed += 1
        message.save(update_fields=["attempts", "last_error", "status"])
        return
    except Exception as error:  # any failure of the channel: record it, try again later
        message.last_error = f"{type(error).__name__}: {error}"[:2000]
        if message.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
            message.status = MessageStatus.FAILED
            result.failed += 1
        else:
            message.next_attempt_at = timezone.now() + retry_delay(message.attempts)
            result.retrying += 1
        logger.warning(
            "Outbox message %s (%s) failed, attempt %s: %s",
            message.pk,
            message.dedupe_key,
            message.attempts,
            message.last_error,
        )
        message.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])
        return
    message.status = MessageStatus.SENT
    message.sent_at = timezone.now()
    if message.payload.get("sensitive"):
        message.payload = {**message.payload, "body": "", "html": ""}
    message.save(update_fields=["attempts", "status", "sent_at", "payload"])
    result.sent += 1
    result.sent_ids.append(message.pk)


def make_due_now(dedupe_keys: Iterable[str]) -> int:
    """Pending messages with these keys are due at once (a paused webhook endpoint resumed
    by its merchant); woken after the commit."""
    due = OutboxMessage.objects.filter(
        dedupe_key__in=list(dedupe_keys), status=MessageStatus.PENDING
    ).update(next_attempt_at=timezone.now())
    if due:
        wake_delivery_after_commit()
    return due


def retry_message(message_id: int) -> bool:
    """Staff: a failed message goes back to pending, due now. False when it is not failed."""
    return _retry(OutboxMessage.objects.filter(pk=message_id)) == 1


def retry_failed_messages() -> int:
    """Staff: every failed message goes back to pending, due now."""
    return _retry(OutboxMessage.objects.all())


def _retry(messages) -> int:
    with transaction.atomic():
        retried = messages.filter(status=MessageStatus.FAILED).update(
            status=MessageStatus.PENDING, next_attempt_at=timezone.now()
        )
        if retried:
            wake_delivery_after_commit()
    return retried
