"""Subscriptions: start, change plan mid-term, renew, expire. Dates are the merchant's local
dates; every move that changes recurring revenue is recorded as a SubscriptionEvent."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.models import (
    BillingInterval,
    Plan,
    PlanChange,
    Subscription,
    SubscriptionEvent,
    SubscriptionEventKind,
    SubscriptionStatus,
)
from billing.seed import ensure_catalog
from tenants.models import Merchant

DEFAULT_PLAN = "basic"
TRIAL_DAYS = 14
LIVE_STATUSES = (SubscriptionStatus.TRIAL, SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE)


def local_today(merchant: Merchant) -> date:
    return timezone.now().astimezone(ZoneInfo(merchant.timezone)).date()


def term_end_for(start: date, interval: str) -> date:
    """The last day of a term starting on `start` (a month or a year, same day number)."""
    months = 12 if interval == BillingInterval.YEAR else 1
    year, month = divmod(start.month - 1 + months, 12)
    following = _same_day(start.year + year, month + 1, start.day)
    return following - timedelta(days=1)


def _same_day(year: int, month: int, day: int) -> date:
    for candidate in (day, 30, 29, 28):
        try:
            return date(year, month, min(day, candidate))
        except ValueError:
            continue
    raise ValueError("no such month")


def monthly_value(plan: Plan, interval: str) -> Decimal:
    """MRR of a subscription: its fee per month (a yearly fee counts as a twelfth)."""
    if interval == BillingInterval.YEAR:
        return plan.yearly_fee / 12
    return plan.monthly_fee


def record_subscription_event(
    subscription: Subscription,
    kind: str,
    *,
    on: date,
    before: Decimal,
    after: Decimal,
    unique_key: str,
) -> bool:
    try:
        with transaction.atomic():
            SubscriptionEvent.objects.create(
                subscription=subscription,
                merchant_id=subscription.merchant_id,
                kind=kind,
                occurred_on=on,
                mrr_before=before,
                mrr_after=after,
                unique_key=unique_key,
            )
    except IntegrityError:
        return False
    return True


@transaction.atomic
def start_subscription(
    merchant: Merchant,
    *,
    plan: Plan | None = None,
    interval: str = BillingInterval.MONTH,
    start: date | None = None,
    trial_days: int = TRIAL_DAYS,
) -> Subscription:
    """The merchant's subscription, starting it (on a trial) when it has none yet."""
    existing = Subscription.objects.filter(merchant=merchant).first()
    if existing:
        return existing
    if plan is None:
        plan = Plan.objects.filter(code=DEFAULT_PLAN).first()
        if plan is None:
            ensure_catalog()
            plan = Plan.objects.get(code=DEFAULT_PLAN)
    start = start or merchant.created_at.astimezone(ZoneInfo(merchant.timezone)).date()
    trial_end = start + timedelta(days=trial_days - 1) if trial_days else None
    subscription = Subscription.objects.create(
        merchant=merchant,
        plan=plan,
        interval=interval,
        status=SubscriptionStatus.TRIAL if trial_end else SubscriptionStatus.ACTIVE,
        started_on=start,
        trial_ends_on=trial_end,
        term_start=start,
        term_end=term_end_for(start, interval),
    )
    record_subscription_event(
        subscription,
        SubscriptionEventKind.STARTED,
        on=start,
        before=Decimal("0"),
        after=Decimal("0") if trial_end else monthly_value(plan, interval),
        unique_key=f"started:{subscription.pk}",
    )
    return subscription


def start_subscription_for_new_merchant(*, merchant: Merchant, owner) -> None:
    """onboarding.signup.open_merchant: a new shop starts on the default plan's trial."""
    start_subscription(merchant)


def start_missing_subscriptions() -> int:
    """Every active merchant has a subscription (new shops start on the default plan's trial).

    Signup lives in `tenants`, which knows nothing of billing; this daily sweep and the
    billing run close the gap. Returns how many it started.
    """
    missing = Merchant.objects.exclude(schema_name="public").filter(subscription__isnull=True)
    started = 0
    for merchant in missing.iterator():
        start_subscription(merchant)
        started += 1
    return started


@transaction.atomic
def change_plan(
    subscription: Subscription, *, to_plan: Plan, actor=None, on: date | None = None
) -> PlanChange:
    """Move to another plan from `on` (today by default); fees pro-rate by day."""
    subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
    if subscription.status not in LIVE_STATUSES:
        raise ValidationError({"plan": [_("This subscription has ended; start a new one.")]})
    if not to_plan.is_active:
        raise ValidationError({"plan": [_("This plan is no longer offered.")]})
    if to_plan.pk == subscription.plan_id:
        raise ValidationError({"plan": [_("The shop is already on this plan.")]})
    on = on or local_today(subscription.merchant)
    before = monthly_value(subscription.plan, subscription.interval)
    after = monthly_value(to_plan, subscription.interval)
    change = PlanChange.objects.create(
        subscription=subscription,
        from_plan=subscription.plan,
        to_plan=to_plan,
        effective_on=on,
        changed_by=actor,
    )
    subscription.plan = to_plan
    subscription.save(update_fields=["plan", "updated_at"])
    if subscription.status != SubscriptionStatus.TRIAL:
        record_subscription_event(
            subscription,
            SubscriptionEventKind.EXPANSION
            if after > before
            else SubscriptionEventKind.CONTRACTION,
            on=on,
            before=before,
            after=after,
            unique_key=f"plan-change:{change.pk}",
        )
    return change


@transaction.atomic
def set_auto_renew(subscription: Subscription, *, auto_renew: bool) -> Subscription:
    subscription.auto_renew = auto_renew
    subscription.save(update_fields=["auto_renew", "updated_at"])
    return subscription


def plan_segments(
    subscription: Subscription, changes: list[PlanChange], start: date, end: date
) -> list[tuple[int, date, date]]:
    """(plan id, first day, last day) for each plan in force within [start, end]."""
    plan_id = changes[0].from_plan_id if changes else subscription.plan_id
    cursor = max(start, subscription.started_on)
    last = min(end, subscription.ended_on or end)
    segments = []
    for change in changes:
        if change.effective_on > last:
            break
        if change.effective_on > cursor:
            segments.append((plan_id, cursor, change.effective_on - timedelta(days=1)))
            cursor = change.effective_on
        plan_id = change.to_plan_id
    if cursor <= last:
        segments.append((plan_id, cursor, last))
    return segments
