"""Daily billing sweeps: dunning after a failed payment, renewal reminders, and what happens
at the end of a term (renew, expire, suspend after the grace period).

Each reminder is written as a row under a unique constraint in the same transaction that
enqueues its email in the outbox, so retries and a duplicated beat send nothing twice.
Reminders to a shop's owners are emailed in the shop's language (`Merchant.language`),
whatever language the sweep runs in; their console notices are stored as a catalogue message
and its values (core.stored_text) and shown in each reader's language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from accounts.models import Notification, User
from accounts.services import forget_badges_after_commit
from billing.formatting import format_money
from billing.models import (
    DunningReminder,
    Invoice,
    InvoiceStatus,
    RenewalReminder,
    Subscription,
    SubscriptionEventKind,
    SubscriptionStatus,
)
from billing.subscriptions import (
    LIVE_STATUSES,
    local_today,
    monthly_value,
    record_subscription_event,
    term_end_for,
)
from core.stored_text import Stored, plural_noop, stored_message
from outbox.services import enqueue_email
from tenants.models import Membership, MembershipRole, MerchantStatus
from tenants.services import change_merchant_status


@dataclass
class SweepSummary:
    dunning_sent: int = 0
    renewal_sent: int = 0
    converted: int = 0
    renewed: int = 0
    expired: int = 0
    past_due: int = 0
    suspended: int = 0


def owners(merchant_id: int) -> list[User]:
    return [
        membership.user
        for membership in Membership.objects.filter(
            merchant_id=merchant_id, role=MembershipRole.OWNER
        ).select_related("user")
    ]


def notify(
    users: list[User],
    *,
    kind: str,
    subject: str,
    text: Stored,
    dedupe_key: str,
    merchant_id: int | None = None,
    link: str = "",
) -> list[str]:
    """An email (through the outbox, in the caller's transaction) plus a console notice to
    each user; returns the addresses written to. The email is the text in the active language
    (the caller's: the shop's); each notice stores the text's message and values, shown in
    its reader's language (`Notification.shown_text`)."""
    words = text.shown()
    addresses = sorted({user.email for user in users if user.email})
    if addresses:
        enqueue_email(
            to=addresses,
            subject=subject,
            body=f"{words}\n\n{link}".strip(),
            dedupe_key=dedupe_key,
            merchant_id=merchant_id,
        )
    notices = Notification.objects.bulk_create(
        Notification(
            recipient=user,
            merchant_id=merchant_id,
            kind=kind,
            text=words[:500],
            message=text.message,
            params=text.params,
            link=link,
        )
        for user in users
    )
    forget_badges_after_commit(notices)
    return addresses


def send_dunning_reminders(now=None) -> int:
    """Day 1, 3 and 7 after a failed payment; after day 7 the subscription is past due."""
    now = now or timezone.now()
    sent = 0
    failing = Invoice.objects.filter(
        status=InvoiceStatus.OPEN, payment_failed_at__isnull=False
    ).select_related("merchant")
    for invoice in failing:
        days = (now - invoice.payment_failed_at).days
        for day in settings.BILLING_DUNNING_DAYS:
            if day > days:
                break
            if _send_dunning(invoice, day):
                sent += 1
        last_day = max(settings.BILLING_DUNNING_DAYS)
        if days >= last_day:
            since = invoice.payment_failed_at.date() + timedelta(days=last_day)
            mark_past_due(invoice.merchant_id, since=since)
    return sent


PAYMENT_FAILED = gettext_noop(
    "We could not collect %(total)s %(currency)s for invoice %(number)s. "
    "Please update your card or pay now to keep your shop running."
)


def _send_dunning(invoice: Invoice, day: int) -> bool:
    try:
        with transaction.atomic(), translation.override(invoice.merchant.language):
            reminder = DunningReminder.objects.create(invoice=invoice, day=day)
            notify(
                owners(invoice.merchant_id),
                kind="billing_dunning",
                dedupe_key=f"billing:dunning:{reminder.pk}",
                merchant_id=invoice.merchant_id,
                subject=_("Payment failed for invoice %(number)s") % {"number": invoice.number},
                text=stored_message(
                    PAYMENT_FAILED,
                    total=format_money(invoice.total, invoice.currency),
                    currency=invoice.currency,
                    number=invoice.number,
                ),
                link=invoice.stripe_hosted_url,
            )
    except IntegrityError:
        return False
    return True


def mark_past_due(merchant_id: int, *, since: date) -> bool:
    with transaction.atomic():
        subscription = (
            Subscription.objects.select_for_update().filter(merchant_id=merchant_id).first()
        )
        if subscription is None or subscription.status not in (
            SubscriptionStatus.ACTIVE,
            SubscriptionStatus.TRIAL,
        ):
            return False
        subscription.status = SubscriptionStatus.PAST_DUE
        subscription.past_due_since = since
        subscription.save(update_fields=["status", "past_due_since", "updated_at"])
    return True


def clear_past_due(merchant_id: int) -> None:
    """A paid invoice brings a past-due subscription back when nothing else is failing."""
    still_failing = Invoice.objects.filter(
        merchant_id=merchant_id, status=InvoiceStatus.OPEN, payment_failed_at__isnull=False
    ).exists()
    if not still_failing:
        Subscription.objects.filter(
            merchant_id=merchant_id, status=SubscriptionStatus.PAST_DUE
        ).update(status=SubscriptionStatus.ACTIVE, past_due_since=None)


def send_renewal_reminders() -> int:
    """30, 14, 7 and 1 days before a term ends, to the owners. Customer success reads the
    RenewalReminder rows and tells the merchant's CSM itself (onboarding.sweep)."""
    sent = 0
    horizon = timezone.now().date() + timedelta(
        days=max(settings.BILLING_RENEWAL_REMINDER_DAYS) + 1
    )
    due = Subscription.objects.filter(
        status__in=LIVE_STATUSES, term_end__lte=horizon
    ).select_related("merchant", "plan")
    for subscription in due:
        days_left = (subscription.term_end - local_today(subscription.merchant)).days
        # The most recent reminder day reached: a sweep that missed a day still sends the
        # latest reminder it owes, never every earlier one.
        passed = [days for days in settings.BILLING_RENEWAL_REMINDER_DAYS if days >= days_left]
        if days_left < 0 or not passed:
            continue
        days_before = min(passed)
        if subscription.term_end - timedelta(days=days_before) < subscription.term_start:
            continue  # a monthly term has no "30 days before"
        if _send_renewal(subscription, days_before):
            sent += 1
    return sent


@dataclass(frozen=True)
class RenewalMessage:
    subject: str
    text: str
    # The text's catalogue message and values (core.stored_text): a console notice stores
    # these and is shown in its reader's language.
    msgid: str = ""
    params: dict = field(default_factory=dict)

    @property
    def stored(self) -> Stored:
        return Stored(self.msgid, self.params)


RENEWS = plural_noop(
    "%(shop)s's %(plan)s plan renews on %(day)s (in %(days)s day).",
    "%(shop)s's %(plan)s plan renews on %(day)s (in %(days)s days).",
    "days",
)
ENDS = plural_noop(
    "%(shop)s's %(plan)s plan ends on %(day)s (in %(days)s day) and will not renew. "
    "Renew it to keep the shop open.",
    "%(shop)s's %(plan)s plan ends on %(day)s (in %(days)s days) and will not renew. "
    "Renew it to keep the shop open.",
    "days",
)
# The messages notices stored before the plural forms: kept in the catalogue so those rows
# are still shown in their reader's language.
STORED_BEFORE = (
    gettext_noop("%(shop)s's %(plan)s plan renews on %(day)s (in %(days)s days)."),
    gettext_noop(
        "%(shop)s's %(plan)s plan ends on %(day)s (in %(days)s days) and will not renew. "
        "Renew it to keep the shop open."
    ),
)


def renewal_subject(days: int) -> str:
    """The owners' subject (the CSM's heads-up has its own), in the active language."""
    return ngettext(
        "Your plan renewal: %(days)s day left", "Your plan renewal: %(days)s days left", days
    ) % {"days": days}


def renewal_message(subscription: Subscription, days_before: int) -> RenewalMessage:
    """What a renewal reminder says (to the owners, and through customer success to the CSM),
    in the active language: the caller chooses it (the shop's for its owners, the CSM's for
    the heads-up)."""
    merchant = subscription.merchant
    day = (
        subscription.term_end + timedelta(days=1)
        if subscription.auto_renew
        else subscription.term_end
    )
    stored = stored_message(
        RENEWS if subscription.auto_renew else ENDS,
        shop=merchant.name,
        plan=subscription.plan.name,
        day=day.isoformat(),
        days=days_before,
    )
    return RenewalMessage(
        subject=renewal_subject(days_before),
        text=stored.shown(),
        msgid=stored.message,
        params=stored.params,
    )


def _send_renewal(subscription: Subscription, days_before: int) -> bool:
    try:
        # The shop's language: the email's words, and the notices' text as written.
        with transaction.atomic(), translation.override(subscription.merchant.language):
            message = renewal_message(subscription, days_before)
            reminder = RenewalReminder.objects.create(
                subscription=subscription, term_end=subscription.term_end, days_before=days_before
            )
            reminder.recipients = notify(
                owners(subscription.merchant_id),
                kind="billing_renewal",
                dedupe_key=f"billing:renewal:{reminder.pk}",
                merchant_id=subscription.merchant_id,
                subject=message.subject,
                text=message.stored,
            )
            reminder.save(update_fields=["recipients"])
    except IntegrityError:
        return False
    return True


def process_term_ends() -> SweepSummary:
    """Trials convert; ended terms renew or expire; expired shops are suspended after grace."""
    summary = SweepSummary()
    live = Subscription.objects.filter(status__in=LIVE_STATUSES).select_related("merchant", "plan")
    for subscription in live:
        catch_up_term(subscription, summary)
    grace = timedelta(days=settings.BILLING_SUSPEND_AFTER_DAYS)
    ended = Subscription.objects.filter(
        status=SubscriptionStatus.EXPIRED, merchant__status=MerchantStatus.ACTIVE
    ).select_related("merchant")
    for subscription in ended:
        if subscription.ended_on and subscription.ended_on + grace < local_today(
            subscription.merchant
        ):
            change_merchant_status(
                merchant=subscription.merchant,
                to_status=MerchantStatus.SUSPENDED,
                reason=_("Subscription ended on %(day)s and was not renewed.")
                % {"day": subscription.ended_on.isoformat()},
                changed_by=None,
            )
            summary.suspended += 1
    return summary


def catch_up_term(subscription: Subscription, summary: SweepSummary | None = None) -> SweepSummary:
    """Bring one subscription's term to today, as the hourly sweep does: an ended trial
    converts, ended terms renew (or the subscription expires). The merchant's billing page
    runs it too, so it never shows a term that has ended as the current one, whether or not
    the sweep has run. Idempotent: the events are keyed by term."""
    summary = summary or SweepSummary()
    today = local_today(subscription.merchant)
    if (
        subscription.status == SubscriptionStatus.TRIAL
        and subscription.trial_ends_on
        and subscription.trial_ends_on < today
    ):
        summary.converted += _convert_trial(subscription)
    while subscription.term_end < today and subscription.status in LIVE_STATUSES:
        if subscription.auto_renew:
            summary.renewed += _renew(subscription)
        else:
            summary.expired += _expire(subscription)
    return summary


@transaction.atomic
def _convert_trial(subscription: Subscription) -> int:
    subscription.status = SubscriptionStatus.ACTIVE
    subscription.save(update_fields=["status", "updated_at"])
    record_subscription_event(
        subscription,
        SubscriptionEventKind.CONVERTED,
        on=subscription.trial_ends_on + timedelta(days=1),
        before=0,
        after=monthly_value(subscription.plan, subscription.interval),
        unique_key=f"converted:{subscription.pk}",
    )
    return 1


@transaction.atomic
def _renew(subscription: Subscription) -> int:
    value = monthly_value(subscription.plan, subscription.interval)
    subscription.term_start = subscription.term_end + timedelta(days=1)
    subscription.term_end = term_end_for(subscription.term_start, subscription.interval)
    subscription.save(update_fields=["term_start", "term_end", "updated_at"])
    recorded = record_subscription_event(
        subscription,
        SubscriptionEventKind.RENEWED,
        on=subscription.term_start,
        before=value,
        after=value,
        unique_key=f"renewed:{subscription.pk}:{subscription.term_start.isoformat()}",
    )
    return int(recorded)


@transaction.atomic
def _expire(subscription: Subscription) -> int:
    subscription.status = SubscriptionStatus.EXPIRED
    subscription.ended_on = subscription.term_end
    subscription.save(update_fields=["status", "ended_on", "updated_at"])
    record_subscription_event(
        subscription,
        SubscriptionEventKind.EXPIRED,
        on=subscription.term_end + timedelta(days=1),
        before=monthly_value(subscription.plan, subscription.interval),
        after=0,
        unique_key=f"expired:{subscription.pk}:{subscription.term_end.isoformat()}",
    )
    return 1


def run_daily_sweeps() -> SweepSummary:
    summary = process_term_ends()
    summary.renewal_sent = send_renewal_reminders()
    summary.dunning_sent = send_dunning_reminders()
    return summary
