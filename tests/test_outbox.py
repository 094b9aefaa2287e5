"""The outbox: every email is a row written in the business transaction, delivered after
the commit through a real SMTP server (aiosmtpd on a free local port), marked sent only on
success, retried with backoff, visible to staff."""

import asyncio
import socket
import threading
from datetime import timedelta
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import PlatformRole
from outbox.models import MessageStatus, OutboxMessage
from outbox.services import (
    WAKE_FLAG_KEY,
    deliver_due_messages,
    enqueue_email,
    retry_delay,
    retry_failed_messages,
)
from tests.conftest import on_host
from tests.factories_outbox import OutboxEmailFactory

pytestmark = pytest.mark.django_db


class Inbox:
    """What the SMTP server received: one entry per message, with its envelope recipients."""

    def __init__(self, delay: float = 0.0) -> None:
        self.received: list[tuple[list[str], str]] = []
        self.delay = delay
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        subject = message_from_bytes(envelope.content)["Subject"]
        with self._lock:
            self.received.append((list(envelope.rcpt_tos), subject))
        return "250 Message accepted for delivery"

    @property
    def subjects(self) -> list[str]:
        return sorted(subject for _to, subject in self.received)


class SmtpServer:
    """A real SMTP server on 127.0.0.1 that can be taken down and brought back."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.inbox = Inbox()
        self._controller: Controller | None = None

    def up(self) -> None:
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def down(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture
def smtp(settings):
    server = SmtpServer()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    server.up()
    yield server
    server.down()


def enqueue_three() -> None:
    with transaction.atomic():
        for n in range(3):
            enqueue_email(
                to=[f"owner{n}@example.test"],
                subject=f"Reminder {n}",
                body="Your plan renews soon.",
                dedupe_key=f"test:reminder:{n}",
                merchant_id=7,
            )


def test_smtp_down_marks_nothing_sent_and_schedules_a_retry_then_each_goes_once(smtp):
    enqueue_three()
    smtp.down()
    before = timezone.now()

    down = deliver_due_messages()

    assert (down.sent, down.retrying, down.failed) == (0, 3, 0)
    rows = list(OutboxMessage.objects.order_by("dedupe_key"))
    assert [(row.status, row.attempts, row.sent_at) for row in rows] == [
        (MessageStatus.PENDING, 1, None)
    ] * 3
    assert all(row.next_attempt_at >= before + timedelta(seconds=60) for row in rows)
    assert all("Error" in row.last_error for row in rows)
    assert deliver_due_messages().sent == 0  # not due yet: no second attempt at once

    smtp.up()
    later = timezone.now() + timedelta(minutes=2)
    up = deliver_due_messages(now=later)
    again = deliver_due_messages(now=later)

    assert (up.sent, again.sent) == (3, 0)
    assert smtp.inbox.subjects == ["Reminder 0", "Reminder 1", "Reminder 2"]
    assert sorted(to for to, _subject in smtp.inbox.received) == [
        ["owner0@example.test"],
        ["owner1@example.test"],
        ["owner2@example.test"],
    ]
    assert set(OutboxMessage.objects.values_list("status", "attempts")) == {(MessageStatus.SENT, 2)}
    assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 0


def test_a_message_is_retried_with_capped_backoff_then_parked_as_failed(smtp, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    enqueue_email(to=["a@example.test"], subject="Hello", body="-", dedupe_key="test:once")
    smtp.down()

    first = deliver_due_messages()
    second = deliver_due_messages(now=timezone.now() + timedelta(minutes=1, seconds=1))
    third = deliver_due_messages(now=timezone.now() + timedelta(minutes=4))
    fourth = deliver_due_messages(now=timezone.now() + timedelta(days=1))

    assert [(r.retrying, r.failed) for r in (first, second, third, fourth)] == [
        (1, 0),
        (1, 0),
        (0, 1),
        (0, 0),
    ]
    message = OutboxMessage.objects.get()
    assert (message.status, message.attempts, message.sent_at) == (MessageStatus.FAILED, 3, None)
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 6, 7, 20)] == [
        60,
        120,
        240,
        1920,
        3600,
        3600,
    ]
    assert smtp.inbox.received == []


@pytest.mark.django_db(transaction=True)
def test_two_senders_at_once_send_each_message_once(smtp):
    smtp.inbox.delay = 0.02  # each send takes a while: the two runs overlap
    # A run counts as queued already, so the commit wakes no task: the two runs below are
    # the only senders even when a session's Celery worker is listening.
    cache.add(WAKE_FLAG_KEY, 1, 60)
    with transaction.atomic():
        for n in range(20):
            enqueue_email(
                to=[f"member{n}@example.test"],
                subject=f"Notice {n:02d}",
                body="-",
                dedupe_key=f"test:notice:{n}",
            )
    results = []
    start = threading.Barrier(2)

    def run() -> None:
        try:
            start.wait()
            results.append(deliver_due_messages().sent)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sum(results) == 20
    assert len(results) == 2
    assert smtp.inbox.subjects == [f"Notice {n:02d}" for n in range(20)]
    assert OutboxMessage.objects.filter(status=MessageStatus.SENT, attempts=1).count() == 20


def test_a_duplicate_dedupe_key_writes_one_row_and_sends_one_email(smtp):
    first = enqueue_email(to=["a@example.test"], subject="NPS", body="-", dedupe_key="nps:1")
    second = enqueue_email(to=["b@example.test"], subject="NPS again", body="-", dedupe_key="nps:1")

    assert (first, second) == (True, False)
    assert deliver_due_messages().sent == 1
    assert OutboxMessage.objects.count() == 1
    assert smtp.inbox.received == [(["a@example.test"], "NPS")]


def test_a_rolled_back_business_transaction_leaves_no_message_and_sends_nothing(
    smtp, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        enqueue_email(to=["a@example.test"], subject="Paid", body="-", dedupe_key="k:1")
        raise RuntimeError("the business change failed")

    assert callbacks == []
    assert OutboxMessage.objects.count() == 0
    assert deliver_due_messages().sent == 0
    assert smtp.inbox.received == []


def test_the_commit_wakes_the_delivery_task(
    smtp, django_capture_on_commit_callbacks, tasks_run_inline
):
    with django_capture_on_commit_callbacks(execute=True):
        enqueue_three()

    assert smtp.inbox.subjects == ["Reminder 0", "Reminder 1", "Reminder 2"]
    assert OutboxMessage.objects.filter(status=MessageStatus.SENT).count() == 3


def test_a_shop_schema_writes_its_email_into_the_public_outbox(smtp, shop):
    with shop.merchant:
        enqueue_email(
            to=["member@example.test"],
            subject="Your seat is paid",
            body="-",
            dedupe_key=f"{shop.merchant.schema_name}:groupbuy:notice:1",
            merchant_id=shop.merchant.pk,
        )
        assert deliver_due_messages().sent == 1
    connection.set_schema_to_public()

    message = OutboxMessage.objects.get()
    assert (message.merchant_id, message.status) == (shop.merchant.pk, MessageStatus.SENT)
    assert smtp.inbox.received == [(["member@example.test"], "Your seat is paid")]


def test_a_sensitive_body_is_blanked_once_sent_and_kept_until_then(smtp):
    enqueue_email(
        to=["a@example.test"],
        subject="Reset your password",
        body="https://example.test/reset/secret-token/",
        dedupe_key="reset:1",
        sensitive=True,
    )
    assert OutboxMessage.objects.get().payload["body"] == "https://example.test/reset/secret-token/"

    deliver_due_messages()

    assert OutboxMessage.objects.get().payload["body"] == ""
    assert smtp.inbox.received == [(["a@example.test"], "Reset your password")]


def test_retry_of_all_failed_messages_touches_only_failed_ones():
    failed = OutboxEmailFactory.create_batch(2, status=MessageStatus.FAILED, attempts=8)
    sent = OutboxEmailFactory(status=MessageStatus.SENT, sent_at=timezone.now(), attempts=1)

    assert retry_failed_messages() == 2
    assert set(
        OutboxMessage.objects.filter(pk__in=[m.pk for m in failed]).values_list("status", flat=True)
    ) == {MessageStatus.PENDING}
    sent.refresh_from_db()
    assert sent.status == MessageStatus.SENT


# ------------------------------------------------------------------------ console


@pytest.fixture
def console(make_staff, platform_client):
    def sign_in(*roles):
        platform_client.force_login(make_staff(*roles))
        return platform_client

    return sign_in


@pytest.mark.parametrize("role", [PlatformRole.CSM, PlatformRole.PLATFORM_ADMIN])
def test_csm_and_platform_admin_see_counts_and_messages(console, role):
    OutboxEmailFactory(payload={"to": ["x@example.test"], "subject": "Waiting", "body": ""})
    OutboxEmailFactory(
        status=MessageStatus.FAILED, attempts=8, last_error="SMTPConnectError: refused"
    )
    OutboxEmailFactory.create_batch(3, status=MessageStatus.SENT, sent_at=timezone.now())

    response = console(role).get("/console/outbox/")

    assert response.status_code == 200
    assert response.context["counts"] == {"pending": 1, "sent": 3, "failed": 1}
    assert response.context["page"].paginator.count == 5
    assert "Waiting" in response.content.decode()
    assert "SMTPConnectError: refused" in response.content.decode()


def test_finance_and_shop_hosts_cannot_open_the_outbox(console, shop, client):
    assert console(PlatformRole.FINANCE).get("/console/outbox/").status_code == 403
    on_host(client, f"{shop.merchant.slug}.localhost")
    assert client.get("/console/outbox/").status_code == 404


def test_filters_narrow_the_list_and_bad_filters_are_a_400_naming_the_field(console):
    OutboxEmailFactory(merchant_id=11, payload={"to": ["a@x.test"], "subject": "Alpha"})
    OutboxEmailFactory(merchant_id=12, status=MessageStatus.FAILED, attempts=8)
    staff = console(PlatformRole.CSM)

    by_status = staff.get("/console/outbox/", {"status": "failed"})
    by_merchant = staff.get("/console/outbox/", {"merchant": "11"})
    by_text = staff.get("/console/outbox/", {"q": "alpha"})
    bad = staff.get("/console/outbox/", {"merchant": "eleven", "status": "lost"})

    assert [m.merchant_id for m in by_status.context["page"]] == [12]
    assert [m.merchant_id for m in by_merchant.context["page"]] == [11]
    assert [m.merchant_id for m in by_text.context["page"]] == [11]
    assert bad.status_code == 400
    assert set(bad.context["form"].errors) == {"merchant", "status"}
    assert "Merchant id" in bad.content.decode()


def test_the_list_is_paginated_with_a_fixed_number_of_queries(console, django_assert_num_queries):
    staff = console(PlatformRole.CSM)
    OutboxEmailFactory.create_batch(3)
    with django_assert_num_queries(5) as few:
        staff.get("/console/outbox/")
    OutboxEmailFactory.create_batch(60, status=MessageStatus.FAILED, attempts=8)
    with django_assert_num_queries(len(few.captured_queries)):
        response = staff.get("/console/outbox/", {"page": "2"})

    assert response.context["page"].number == 2
    assert len(response.context["page"].object_list) == 13


def test_a_failed_message_retried_from_the_console_is_sent_once(console, smtp, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 1
    enqueue_email(to=["cs@example.test"], subject="Stuck", body="-", dedupe_key="alert:1")
    smtp.down()
    deliver_due_messages()
    message = OutboxMessage.objects.get()
    assert message.status == MessageStatus.FAILED
    smtp.up()
    csm, admin = console(PlatformRole.CSM), None

    refused = csm.post(f"/console/outbox/{message.pk}/retry/")
    assert refused.status_code == 403
    admin = console(PlatformRole.PLATFORM_ADMIN)
    response = admin.post(f"/console/outbox/{message.pk}/retry/")
    twice = admin.post(f"/console/outbox/{message.pk}/retry/")
    delivered = deliver_due_messages()
    again = deliver_due_messages(now=timezone.now() + timedelta(days=1))

    assert (response.status_code, twice.status_code) == (302, 302)
    assert (delivered.sent, again.sent) == (1, 0)
    assert smtp.inbox.received == [(["cs@example.test"], "Stuck")]
    message.refresh_from_db()
    assert (message.status, message.attempts) == (MessageStatus.SENT, 2)


def test_retry_all_failed_from_the_console(console, smtp):
    OutboxEmailFactory.create_batch(
        2, status=MessageStatus.FAILED, attempts=8, next_attempt_at=timezone.now()
    )

    response = console(PlatformRole.PLATFORM_ADMIN).post("/console/outbox/retry-failed/")
    delivered = deliver_due_messages()

    assert response.status_code == 302
    assert delivered.sent == 2
    assert len(smtp.inbox.received) == 2
    assert OutboxMessage.objects.filter(status=MessageStatus.FAILED).count() == 0


class MessageIdInbox(Inbox):
    """Keeps each received message's Message-ID too."""

    def __init__(self) -> None:
        super().__init__()
        self.message_ids: list[str] = []

    async def handle_DATA(self, server, session, envelope):
        self.message_ids.append(message_from_bytes(envelope.content)["Message-ID"])
        return await super().handle_DATA(server, session, envelope)


def test_a_send_repeated_after_a_crash_before_the_commit_carries_the_same_message_id(smtp):
    # The soak (bench/soak.py) found it: a worker killed between the SMTP server's "250"
    # and the commit left the row pending, and the next run sent it again as a new email.
    smtp.inbox = MessageIdInbox()
    smtp.down()
    smtp.up()
    enqueue_email(to=["a@example.test"], subject="Team", body="-", dedupe_key="gb:notice:1")
    enqueue_email(to=["a@example.test"], subject="Team", body="-", dedupe_key="gb:notice:2")
    assert deliver_due_messages().sent == 2
    # What the crash leaves: the email has gone, the row is still pending.
    OutboxMessage.objects.update(status=MessageStatus.PENDING, sent_at=None)
    assert deliver_due_messages().sent == 2

    first, second, first_again, second_again = smtp.inbox.message_ids
    assert (first_again, second_again) == (first, second)
    assert first != second
    assert first.startswith("<") and first.endswith(".outbox@localhost>")
    assert len(smtp.inbox.received) == 4
