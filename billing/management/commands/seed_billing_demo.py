"""Billing demo data for `make demo`: the demo shops on three plans, two months of sales
history in the ledger, last-but-one month invoiced and paid, last month's drafts waiting for
finance. Safe to run again: every write is keyed."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand
from django.utils import timezone

from accounts.models import User
from analytics.events import OrderPaid
from analytics.ledger import StatsDelta, record_event
from billing.models import BillingAccount, Invoice, InvoiceStatus, Plan, Subscription
from billing.run import previous_month, run_billing
from billing.services import approve, record_payment
from billing.subscriptions import start_subscription
from tenants.models import Merchant

PLANS = {"tea-house": "advanced", "noodle-bar": "basic", "flower-lab": "premium"}
DAILY_SALES = {"tea-house": 4200, "noodle-bar": 1300, "flower-lab": 9800}


class Command(BaseCommand):
    help = "Subscriptions, ledger history and invoices for the demo shops."

    def handle(self, *args, **options):
        today = timezone.now().date()
        last = previous_month(today)
        before_last = previous_month(date(*last, 1))
        history_start = date(*before_last, 1)
        finance = User.objects.filter(email="finance@demo.test").first()
        for slug, plan_code in PLANS.items():
            merchant = Merchant.objects.filter(slug=slug).first()
            if merchant is None:
                continue
            # Signup started a trial today; the demo shops have been customers for months.
            Subscription.objects.filter(
                merchant=merchant, started_on__gt=history_start, plan_changes__isnull=True
            ).delete()
            start_subscription(
                merchant,
                plan=Plan.objects.get(code=plan_code),
                start=history_start - timedelta(days=45),
                trial_days=0,
            )
            Subscription.objects.filter(merchant=merchant).update(status="active")
            BillingAccount.objects.get_or_create(
                merchant=merchant,
                defaults={
                    "collection_method": "bank_transfer" if slug == "noodle-bar" else "stripe",
                    "billing_email": f"owner@{slug}.test",
                },
            )
            # Up to yesterday: both months, and this month so far, have sales.
            self._history(merchant, history_start, today, DAILY_SALES[slug])
        run_billing(*before_last)
        run_billing(*last)
        for invoice in Invoice.objects.filter(
            period_start=history_start, status=InvoiceStatus.DRAFT, merchant__slug__in=PLANS
        ):
            BillingAccount.objects.filter(merchant_id=invoice.merchant_id).update(
                collection_method="bank_transfer"
            )
            approve(invoice.pk, actor=finance)
            record_payment(invoice.pk, actor=finance, reference="DEMO-TRANSFER")
        self.stdout.write(
            f"Billing demo: {Invoice.objects.filter(status='draft').count()} draft invoices to review"
        )

    @staticmethod
    def _history(merchant: Merchant, start: date, end: date, base: int) -> None:
        """One day's online, in-store and group-buy takings per past day, in the ledger."""
        zone = ZoneInfo(merchant.timezone)
        day = start
        while day < end:
            wave = (day.toordinal() % 7) * base // 10
            online = Decimal(base + wave)
            in_store = Decimal(base // 3)
            groupbuy = Decimal(base // 5 if day.weekday() >= 5 else 0)
            total = online + in_store + groupbuy
            record_event(
                merchant=merchant,
                event=OrderPaid(total=total, channel="mixed"),
                idempotency_key=f"demo-history:{merchant.slug}:{day.isoformat()}",
                occurred_at=datetime.combine(day, time(15), tzinfo=zone),
                delta=StatsDelta(
                    gmv=total,
                    orders=12 + day.day % 5,
                    online_orders=8,
                    online_gmv=online,
                    in_store_orders=3,
                    in_store_gmv=in_store,
                    groupbuy_orders=1 if groupbuy else 0,
                    groupbuy_gmv=groupbuy,
                    groupbuy_new_customers=1 if groupbuy else 0,
                    new_customers=2 + day.day % 3,
                    returning_customers=5,
                ),
            )
            day += timedelta(days=1)
