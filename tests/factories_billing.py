"""Billing factories: merchants as public rows only (billing never enters a shop's schema)."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import factory
from django.utils import timezone

from analytics.events import OrderPaid, OrderRefunded, PluginDisabled, PluginEnabled
from analytics.ledger import StatsDelta, record_event
from billing.models import CommissionTier, Invoice, Plan, Subscription
from billing.subscriptions import start_subscription
from tenants.models import Merchant


class MerchantRowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Merchant

    slug = factory.Sequence(lambda n: f"billed-{n}")
    # Unique like signup's look-alike key, without its digit-to-letter folding (which could
    # make two numbered factory slugs collide).
    slug_skeleton = factory.Sequence(lambda n: f"billed-row-{n}")
    schema_name = factory.LazyAttribute(lambda m: f"shop_{m.slug.replace('-', '_')}")
    name = factory.Sequence(lambda n: f"Billed Shop {n}")
    timezone = "Asia/Shanghai"
    currency = "CNY"
    # Invoice lines are written in the merchant's language; tests read them in English.
    language = "en"


class PlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Plan
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"plan-{n}")
    name = factory.Sequence(lambda n: f"Plan {n}")
    monthly_fee = Decimal("300")
    yearly_fee = Decimal("3000")
    included_seats = 2
    extra_seat_price = Decimal("50")
    included_storage_gb = 5
    extra_storage_gb_price = Decimal("10")

    @factory.post_generation
    def tiers(plan, create, extracted, **kwargs):
        for bound, rate in extracted or [("0", "1")]:
            CommissionTier.objects.create(
                plan=plan, lower_bound=Decimal(bound), rate_percent=Decimal(rate)
            )


def subscribe(merchant, plan=None, *, start: date, trial_days: int = 0, interval="month"):
    """The merchant's subscription as the test needs it (replacing the trial signup began)."""
    Subscription.objects.filter(merchant=merchant).delete()
    return start_subscription(
        merchant, plan=plan, start=start, trial_days=trial_days, interval=interval
    )


def local_noon(merchant, day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=ZoneInfo(merchant.timezone))


def sale(merchant, day: date, amount: str, key: str, **extra) -> None:
    """An order paid on `day`, as the shop's checkout writes it to the ledger."""
    value = Decimal(amount)
    record_event(
        merchant=merchant,
        event=OrderPaid(total=value, channel="online"),
        idempotency_key=f"{merchant.slug}:{key}",
        occurred_at=local_noon(merchant, day),
        delta=StatsDelta(gmv=value, orders=1, online_gmv=value, online_orders=1, **extra),
    )


def refund(merchant, day: date, amount: str, key: str, *, paid_on: date) -> None:
    value = Decimal(amount)
    earlier = (paid_on.year, paid_on.month) != (day.year, day.month)
    record_event(
        merchant=merchant,
        event=OrderRefunded(order=0, amount=value, paid_on=paid_on),
        idempotency_key=f"{merchant.slug}:{key}",
        occurred_at=local_noon(merchant, day),
        delta=StatsDelta(
            refunds=value,
            refund_count=1,
            prior_period_refunds=value if earlier else Decimal("0"),
        ),
    )


def plugin_switch(merchant, day: date, plugin: str, on: bool) -> None:
    record_event(
        merchant=merchant,
        event=PluginEnabled(plugin=plugin) if on else PluginDisabled(plugin=plugin),
        idempotency_key=f"{merchant.slug}:plugin:{plugin}:{on}:{day}",
        occurred_at=local_noon(merchant, day),
    )


def failed_invoice(merchant: Merchant, *, stripe_hosted_url: str = "") -> Invoice:
    """An open invoice of 88.00 CNY whose card payment failed a day ago: the dunning
    sweep's first day."""
    return Invoice.objects.create(
        merchant=merchant,
        period_start=date(2026, 10, 1),
        period_end=date(2026, 10, 31),
        currency="CNY",
        status="open",
        number="INV-2026-0042",
        total=Decimal("88.00"),
        payment_failed_at=timezone.now() - timedelta(days=1, hours=1),
        stripe_hosted_url=stripe_hosted_url,
    )
