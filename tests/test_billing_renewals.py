"""Renewal reminders, renewals, expiry and suspension; the run surviving a killed worker."""

import os
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core import mail
from django.db import connection, transaction
from django.utils import timezone as django_timezone
from django.utils import translation

from accounts.models import Notification
from billing.models import Invoice, InvoiceLine, RenewalReminder, SubscriptionEvent
from billing.reminders import (
    process_term_ends,
    send_dunning_reminders,
    send_renewal_reminders,
)
from billing.run import run_billing
from onboarding.models import Journey, RenewalHeadsUp
from onboarding.services import start_journey
from onboarding.sweep import send_renewal_heads_up_emails, tell_csms_of_renewals
from outbox.models import OutboxMessage
from tenants.models import Membership, Merchant, MerchantStatus
from tests.factories import PlatformStaffFactory, UserFactory
from tests.factories_billing import MerchantRowFactory, PlanFactory, sale, subscribe
from tests.outbox import deliver_outbox


@pytest.fixture
def yearly_shop(db):
    merchant = MerchantRowFactory(timezone="UTC")
    Membership.objects.create(
        merchant=merchant, user=UserFactory(email="owner@yearly.test"), role="owner"
    )
    start_journey(merchant=merchant, csm=PlatformStaffFactory(email="csm@platform.test"))
    plan = PlanFactory(monthly_fee=Decimal("100"), yearly_fee=Decimal("1000"))
    subscription = subscribe(merchant, plan, start=date(2026, 1, 1), interval="year")
    assert subscription.term_end == date(2026, 12, 31)
    return subscription


def _billing_then_customer_success_sweep(day: date) -> bool:
    """A day of billing's reminder sweep and customer success's renewal step, each run
    twice (a retried task and a duplicated beat)."""
    sent = False
    for _attempt in range(2):
        with time_machine.travel(f"{day.isoformat()} 08:00Z", tick=False):
            sent = bool(send_renewal_reminders()) or sent
            now = django_timezone.now()
            with transaction.atomic():
                tell_csms_of_renewals(now)
            send_renewal_heads_up_emails(now)
            deliver_outbox()
    return sent


@pytest.mark.django_db
def test_renewal_reminders_go_once_per_offset_to_the_owner_and_the_csm(yearly_shop):
    sent_on = []
    day = date(2026, 11, 20)
    while day <= date(2027, 1, 2):
        if _billing_then_customer_success_sweep(day):
            sent_on.append(day)
        day += timedelta(days=1)

    assert sent_on == [
        date(2026, 12, 1),
        date(2026, 12, 17),
        date(2026, 12, 24),
        date(2026, 12, 30),
    ]
    reminders = RenewalReminder.objects.order_by("-days_before")
    assert [r.days_before for r in reminders] == [30, 14, 7, 1]
    # Billing writes to the owners only; customer success tells the CSM.
    assert all(r.recipients == ["owner@yearly.test"] for r in reminders)
    shop = yearly_shop.merchant.name
    # The CSM's own subject names the shop; the body is the reminder's words.
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["owner@yearly.test"], "Your plan renewal: 30 days left"),
        (["csm@platform.test"], f"Renewal in 30 days: {shop}"),
        (["owner@yearly.test"], "Your plan renewal: 14 days left"),
        (["csm@platform.test"], f"Renewal in 14 days: {shop}"),
        (["owner@yearly.test"], "Your plan renewal: 7 days left"),
        (["csm@platform.test"], f"Renewal in 7 days: {shop}"),
        (["owner@yearly.test"], "Your plan renewal: 1 day left"),
        (["csm@platform.test"], f"Renewal in 1 day: {shop}"),
    ]
    assert mail.outbox[1].body == mail.outbox[0].body
    assert (
        sorted(
            Notification.objects.filter(kind="billing_renewal").values_list(
                "recipient__email", flat=True
            )
        )
        == ["csm@platform.test"] * 4 + ["owner@yearly.test"] * 4
    )
    assert RenewalHeadsUp.objects.filter(emailed_at__isnull=False).count() == 4


@pytest.mark.django_db
def test_a_chinese_shops_renewal_reminder_is_in_chinese_once_and_its_csm_reads_the_default(
    yearly_shop,
):
    merchant, plan = yearly_shop.merchant, yearly_shop.plan
    Merchant.objects.filter(pk=merchant.pk).update(language="zh-hans")

    # The sweep's own language does not matter: each email is written in its reader's.
    with translation.override("en"):
        assert _billing_then_customer_success_sweep(date(2026, 12, 1)) is True

    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["owner@yearly.test"], "套餐续费提醒：还剩 30 天"),
        # The CSM has no language of their own: the platform's default (English).
        (["csm@platform.test"], f"Renewal in 30 days: {merchant.name}"),
    ]
    assert mail.outbox[0].body == (
        f"{merchant.name} 的 {plan.name} 套餐将于 2027-01-01 续费（还有 30 天）。"
    )
    assert mail.outbox[1].body == (
        f"{merchant.name}'s {plan.name} plan renews on 2027-01-01 (in 30 days)."
    )
    owner_notice = Notification.objects.get(recipient__email="owner@yearly.test")
    assert owner_notice.text == mail.outbox[0].body
    reminder = RenewalReminder.objects.get()
    heads_up = RenewalHeadsUp.objects.get()
    # Still one row and one message per reminder, under the same keys as before.
    assert sorted(OutboxMessage.objects.values_list("dedupe_key", flat=True)) == [
        f"billing:renewal:{reminder.pk}",
        f"onboarding:renewal-heads-up:{heads_up.pk}",
    ]
    assert deliver_outbox() == 0  # no second email


@pytest.mark.django_db
def test_an_english_shops_renewal_reminder_is_in_english_and_a_chinese_csm_reads_chinese(
    yearly_shop,
):
    merchant, plan = yearly_shop.merchant, yearly_shop.plan
    assert merchant.language == "en"
    csm = Journey.objects.get(merchant=merchant).csm
    csm.language = "zh-hans"
    csm.save(update_fields=["language"])

    # A sweep run while Chinese is active (a request's language) still writes English.
    with translation.override("zh-hans"):
        assert _billing_then_customer_success_sweep(date(2026, 12, 17)) is True

    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["owner@yearly.test"], "Your plan renewal: 14 days left"),
        (["csm@platform.test"], f"14 天后续费：{merchant.name}"),
    ]
    assert mail.outbox[0].body == (
        f"{merchant.name}'s {plan.name} plan renews on 2027-01-01 (in 14 days)."
    )
    assert mail.outbox[1].body == (
        f"{merchant.name} 的 {plan.name} 套餐将于 2027-01-01 续费（还有 14 天）。"
    )
    # The CSM's console notice is stored as a message: shown in its reader's language.
    csm_notice = Notification.objects.get(recipient=csm, kind="billing_renewal")
    with translation.override("zh-hans"):
        assert csm_notice.shown_text == mail.outbox[1].body
    with translation.override("en"):
        assert csm_notice.shown_text == mail.outbox[0].body
    assert RenewalReminder.objects.count() == 1
    assert OutboxMessage.objects.count() == 2
    assert deliver_outbox() == 0  # no second email


@pytest.mark.django_db
def test_a_chinese_shops_dunning_reminder_is_in_chinese_once_per_day(yearly_shop):
    merchant = yearly_shop.merchant
    Merchant.objects.filter(pk=merchant.pk).update(language="zh-hans")
    failed_at = django_timezone.now() - timedelta(days=1, hours=1)
    invoice = Invoice.objects.create(
        merchant=merchant,
        period_start=date(2026, 10, 1),
        period_end=date(2026, 10, 31),
        currency="CNY",
        status="open",
        number="INV-2026-0042",
        total=Decimal("88.00"),
        payment_failed_at=failed_at,
    )

    with translation.override("en"):
        sent = [send_dunning_reminders(), send_dunning_reminders()]
    deliver_outbox()

    assert sent == [1, 0]
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["owner@yearly.test"], "发票 INV-2026-0042 付款失败")
    ]
    assert list(invoice.dunning.values_list("day", flat=True)) == [1]
    assert deliver_outbox() == 0


@pytest.mark.django_db
def test_a_merchant_without_a_csm_gets_its_reminder_and_no_heads_up_is_written(yearly_shop):
    Journey.objects.filter(merchant=yearly_shop.merchant).update(csm=None)

    assert _billing_then_customer_success_sweep(date(2026, 12, 1)) is True

    assert [m.to for m in mail.outbox] == [["owner@yearly.test"]]
    assert RenewalHeadsUp.objects.count() == 0


@pytest.mark.django_db
def test_an_auto_renewing_term_renews_once_and_invoices_the_years_fee(yearly_shop):
    with time_machine.travel("2027-01-01 09:00Z", tick=False):
        process_term_ends()
        process_term_ends()
    yearly_shop.refresh_from_db()
    assert (yearly_shop.term_start, yearly_shop.term_end) == (date(2027, 1, 1), date(2027, 12, 31))
    assert SubscriptionEvent.objects.filter(kind="renewed").count() == 1
    with time_machine.travel("2027-02-01 09:00Z", tick=False):
        run_billing(2027, 1)
    january = Invoice.objects.get(period_start=date(2027, 1, 1))
    assert [(line.kind, line.amount) for line in january.lines.all()] == [
        ("subscription", Decimal("1000.00"))
    ]


@pytest.mark.django_db
def test_a_term_that_does_not_renew_expires_and_the_shop_is_suspended_after_the_grace(
    yearly_shop, settings
):
    settings.BILLING_SUSPEND_AFTER_DAYS = 14
    yearly_shop.auto_renew = False
    yearly_shop.save()
    merchant = yearly_shop.merchant
    with time_machine.travel("2027-01-01 09:00Z", tick=False):
        summary = process_term_ends()
    yearly_shop.refresh_from_db()
    merchant.refresh_from_db()
    assert (summary.expired, yearly_shop.status, yearly_shop.ended_on) == (
        1,
        "expired",
        date(2026, 12, 31),
    )
    assert merchant.status == MerchantStatus.ACTIVE  # still in the grace period
    with time_machine.travel("2027-01-14 09:00Z", tick=False):
        assert process_term_ends().suspended == 0
    with time_machine.travel("2027-01-15 09:00Z", tick=False):
        assert process_term_ends().suspended == 1
        assert process_term_ends().suspended == 0
    merchant.refresh_from_db()
    assert merchant.status == MerchantStatus.SUSPENDED
    assert (
        merchant.status_changes.get().reason
        == "Subscription ended on 2026-12-31 and was not renewed."
    )
    assert list(
        SubscriptionEvent.objects.order_by("id").values_list("kind", "mrr_before", "mrr_after")
    ) == [
        ("started", Decimal("0"), Decimal("83.3333")),
        ("expired", Decimal("83.3333"), Decimal("0")),
    ]


@pytest.mark.django_db(transaction=True)
def test_a_billing_run_killed_mid_way_resumes_and_bills_everyone_exactly_once():
    plan = PlanFactory()
    merchants = [MerchantRowFactory() for _ in range(400)]
    for index, merchant in enumerate(merchants):
        subscribe(merchant, plan, start=date(2026, 9, 1))
        sale(merchant, date(2026, 10, 5), f"{100 + index}.00", "s")

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _test_database_url(),
    }
    command = [sys.executable, "manage.py", "run_billing", "--period", "2026-10", "--no-progress"]
    worker = subprocess.Popen(command, env=env, cwd=django_settings.BASE_DIR)
    deadline = time.monotonic() + 60
    while Invoice.objects.count() < 20 and time.monotonic() < deadline:
        time.sleep(0.01)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    cut_off_at = Invoice.objects.count()
    assert 0 < cut_off_at < 400, "the run was not cut off mid-way"

    finished = subprocess.run(command, env=env, cwd=django_settings.BASE_DIR, capture_output=True)
    assert finished.returncode == 0, finished.stderr.decode()
    assert (
        f"{400 - cut_off_at} invoices created, {cut_off_at} already billed"
        in finished.stdout.decode()
    )
    assert Invoice.objects.count() == 400
    assert sorted(Invoice.objects.values_list("merchant_id", flat=True)) == sorted(
        m.pk for m in merchants
    )
    # every invoice whole: its lines add up to its total
    for invoice in Invoice.objects.all():
        lines = InvoiceLine.objects.filter(invoice=invoice)
        assert lines.count() >= 1
        assert sum(line.amount for line in lines) == invoice.total


def _test_database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
