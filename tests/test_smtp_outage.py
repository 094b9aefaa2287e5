"""A mail server outage loses nothing and doubles nothing, end to end through the sweeps
that write the emails (onboarding alerts, NPS surveys, billing renewal reminders), on a
real SMTP server (aiosmtpd) that goes down, comes back, or refuses one recipient."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from email.header import decode_header, make_header

import pytest
import time_machine
from django.db import transaction

from billing.models import RenewalReminder
from billing.reminders import send_renewal_reminders
from onboarding.models import Alert, NpsSurvey
from onboarding.sweep import run_sweep
from outbox.models import MessageStatus, OutboxMessage
from outbox.services import deliver_due_messages
from tenants.models import Membership
from tests.factories import ShopFactory, UserFactory
from tests.factories_billing import MerchantRowFactory, PlanFactory, subscribe
from tests.factories_onboarding import make_csm
from tests.test_outbox import SmtpServer

pytestmark = pytest.mark.django_db

DAY0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


class RefusingInbox:
    """Refuses one recipient at RCPT (as a server does for an unknown mailbox), accepts the
    rest; wraps the test_outbox inbox."""

    def __init__(self, inbox, refused: str) -> None:
        self.inbox = inbox
        self.refused = refused

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == self.refused:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        return await self.inbox.handle_DATA(server, session, envelope)


def smtp_settings(settings, server: SmtpServer) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5


@pytest.fixture
def smtp(settings):
    server = SmtpServer()
    smtp_settings(settings, server)
    server.up()
    yield server
    server.down()


def test_onboarding_alerts_and_nps_surveys_survive_an_smtp_outage_once_each(smtp):
    make_csm("csm@platform.test")
    with time_machine.travel(DAY0, tick=False) as clock:
        shop = ShopFactory(slug="quiet-shop", shop_name="Quiet Shop")
        smtp.down()
        # Day 30, never contacted: alerts for every late stage and the NPS wave 0 survey,
        # written by sweeps that run (and are retried) while the mail server is down.
        clock.move_to(DAY0 + timedelta(days=30, hours=2))
        run_sweep()
        run_sweep()
        down = deliver_due_messages()
        clock.move_to(DAY0 + timedelta(days=30, hours=3))
        run_sweep()

        messages = list(OutboxMessage.objects.order_by("id"))
        assert down.sent == 0 and down.retrying == len(messages)
        assert all(m.status == MessageStatus.PENDING and m.attempts == 1 for m in messages)
        assert smtp.inbox.received == []
        alerts = Alert.objects.filter(journey__merchant=shop.merchant).count()
        survey = NpsSurvey.objects.get(merchant=shop.merchant)
        keys = [m.dedupe_key for m in messages]
        assert f"onboarding:nps:{survey.pk}:survey" in keys
        assert sum(key.startswith("onboarding:alert:") for key in keys) == alerts > 0

        smtp.up()
        clock.move_to(DAY0 + timedelta(days=30, hours=4))
        back = deliver_due_messages()
        run_sweep()
        again = deliver_due_messages()

    assert (back.sent, again.sent) == (len(messages), 0)
    received = [(to, readable(subject)) for to, subject in smtp.inbox.received]
    assert sorted(received) == sorted((m.recipients, m.summary) for m in messages)
    assert len(set(map(repr, received))) == len(received)  # each once
    assert (["owner@quiet-shop.test"], survey_subject(messages, survey)) in received
    assert OutboxMessage.objects.filter(status=MessageStatus.SENT).count() == len(messages)


def readable(subject: str) -> str:
    """A subject header as the reader sees it (non-ASCII ones arrive MIME-encoded)."""
    return str(make_header(decode_header(subject)))


def survey_subject(messages, survey) -> str:
    (message,) = [m for m in messages if m.dedupe_key == f"onboarding:nps:{survey.pk}:survey"]
    return message.summary


@pytest.fixture
def refusing_smtp(settings):
    server = SmtpServer()
    server.inbox = RefusingInbox(server.inbox, refused="gone@renewing.test")
    smtp_settings(settings, server)
    server.up()
    yield server
    server.down()


def renewing_shop(slug: str, owner: str):
    merchant = MerchantRowFactory(timezone="UTC", slug=slug)
    Membership.objects.create(merchant=merchant, user=UserFactory(email=owner), role="owner")
    plan = PlanFactory(monthly_fee=Decimal("100"), yearly_fee=Decimal("1000"))
    return subscribe(merchant, plan, start=date(2026, 1, 1), interval="year")


def test_one_refused_email_does_not_stop_the_rest_of_a_billing_reminder_sweep(refusing_smtp):
    renewing_shop("first-renewing", "first@renewing.test")
    renewing_shop("gone-renewing", "gone@renewing.test")
    renewing_shop("last-renewing", "last@renewing.test")

    with time_machine.travel("2026-12-01 08:00Z", tick=False):
        with transaction.atomic():
            sent = send_renewal_reminders()
        delivered = deliver_due_messages()
        # The retried sweep and the next delivery write and send nothing twice.
        with transaction.atomic():
            send_renewal_reminders()
        deliver_due_messages()

    assert sent
    assert RenewalReminder.objects.filter(days_before=30).count() == 3
    assert (delivered.sent, delivered.retrying) == (2, 1)
    inbox = refusing_smtp.inbox.inbox
    assert sorted(to for to, _subject in inbox.received) == [
        ["first@renewing.test"],
        ["last@renewing.test"],
    ]
    refused = OutboxMessage.objects.get(status=MessageStatus.PENDING)
    assert refused.recipients == ["gone@renewing.test"]
    assert "SMTPRecipientsRefused" in refused.last_error
