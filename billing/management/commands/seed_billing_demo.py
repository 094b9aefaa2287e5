"""Billing demo data for `make demo` (after seed_demo): the demo shops' subscriptions and
invoices, made by replaying every day since the first signup with the clock moved to it
(time-machine) and running what runs in production on that day:

- the signup day starts the shop's trial (`start_subscription`, as signup does);
- the daily sweep converts trials, renews terms, lets lapsed ones expire and suspends them
  after the grace period, and sends renewal reminders;
- the first of a month runs the billing run for the month before, from the ledger that
  seed_demo's orders wrote; finance approves on the 3rd and the transfer arrives on the
  10th — except last month's invoices, left as drafts for finance to review.

What the owners did: Tea House moved up to Advanced 45 days after signing up, Paper Kite's
owner turned off automatic renewal after 50 days, Flower Lab chose Premium on its first
day of trial. Safe to run again: once the demo shops have subscriptions, nothing is replayed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.core.management.base import BaseCommand
from django.utils import timezone

from accounts.models import User
from billing.models import BillingAccount, Invoice, InvoiceStatus, Plan, Subscription
from billing.reminders import run_daily_sweeps
from billing.run import previous_month, run_billing
from billing.services import approve, record_payment
from billing.subscriptions import change_plan, set_auto_renew, start_subscription
from tenants.models import Merchant

DEMO_SLUGS = ("tea-house", "paper-kite", "noodle-bar", "flower-lab")
APPROVE_ON_DAY = 3
PAID_ON_DAY = 10


def _upgrade_to(code: str) -> Callable[[Subscription], None]:
    def upgrade(subscription: Subscription) -> None:
        change_plan(subscription, to_plan=Plan.objects.get(code=code))

    return upgrade


def _stop_renewing(subscription: Subscription) -> None:
    set_auto_renew(subscription, auto_renew=False)


@dataclass(frozen=True)
class OwnerDecision:
    slug: str
    days_after_signup: int
    act: Callable[[Subscription], None]


DECISIONS = [
    OwnerDecision("flower-lab", 1, _upgrade_to("premium")),
    OwnerDecision("tea-house", 45, _upgrade_to("advanced")),
    OwnerDecision("paper-kite", 50, _stop_renewing),
]


class Command(BaseCommand):
    help = "Replay the demo shops' billing since their signups (idempotent)."

    def handle(self, *args, **options):
        # Approval renders PDFs; the font subsetter's INFO lines would bury the demo's output.
        logging.getLogger("fontTools").setLevel(logging.WARNING)
        merchants = list(Merchant.objects.filter(slug__in=DEMO_SLUGS).order_by("created_at"))
        if not merchants:
            self.stdout.write("Billing demo: no demo shops (run seed_demo first).")
            return
        if Subscription.objects.filter(merchant__in=merchants).exists():
            self.stdout.write("Billing demo: already replayed.")
            return
        finance = User.objects.filter(email="finance@demo.test").first()
        zone = ZoneInfo(merchants[0].timezone)
        today = timezone.now().astimezone(zone).date()
        last_full = date(*previous_month(today), 1)
        signups = {m.pk: m.created_at.astimezone(zone).date() for m in merchants}
        day = min(signups.values())
        while day <= today:
            moment = datetime.combine(day, time(8), tzinfo=zone)
            with time_machine.travel(min(moment, timezone.now())):
                self._replay_day(merchants, signups, day, last_full, finance)
            day += timedelta(days=1)
        drafts = Invoice.objects.filter(status=InvoiceStatus.DRAFT, merchant__in=merchants)
        self.stdout.write(f"Billing demo: {drafts.count()} draft invoices to review")

    @staticmethod
    def _replay_day(merchants, signups, day: date, last_full: date, finance) -> None:
        for merchant in merchants:
            signed_up = signups[merchant.pk]
            if signed_up == day:
                start_subscription(merchant)
                BillingAccount.objects.get_or_create(
                    merchant=merchant,
                    defaults={
                        "collection_method": BillingAccount.Collection.BANK_TRANSFER,
                        "billing_email": f"owner@{merchant.slug}.test",
                    },
                )
            for decision in DECISIONS:
                if decision.slug == merchant.slug and (day - signed_up).days == (
                    decision.days_after_signup
                ):
                    decision.act(Subscription.objects.get(merchant=merchant))
        run_daily_sweeps()
        if day.day == 1:
            run_billing(*previous_month(day))
        closed = date(*previous_month(day), 1)
        if closed >= last_full:
            return  # last month's invoices wait for finance's review
        invoices = Invoice.objects.filter(merchant__in=merchants, period_start=closed)
        if day.day == APPROVE_ON_DAY:
            for invoice in invoices.filter(status=InvoiceStatus.DRAFT):
                approve(invoice.pk, actor=finance)
        if day.day == PAID_ON_DAY:
            for invoice in invoices.filter(status=InvoiceStatus.OPEN):
                record_payment(invoice.pk, actor=finance, reference="DEMO-TRANSFER")
