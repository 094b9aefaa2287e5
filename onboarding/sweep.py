"""The onboarding sweep (beat, every few minutes).

Set-based over public tables only: a fixed number of queries whatever the number of
merchants, never a query per merchant and never a tenant schema. Steps, in one
transaction under an advisory lock (two sweeps never overlap):

1. journeys for recent merchants that have none (signup normally made one already);
2. stages completed by ledger events (store setup, go-live);
3. day-30 tiering (completes the Tiering stage);
4. alerts: 24 h first-contact warning, Behind, Stuck — one row per (journey, stage,
   level), inserted with ON CONFLICT DO NOTHING, so a retried sweep alerts nobody twice;
5. NPS waves (day 30, then every 90 days), once per merchant and wave;
6. renewal heads-ups: each renewal reminder billing sent the owners is told to the
   merchant's CSM once (one RenewalHeadsUp per RenewalReminder).

Emails are written into the outbox in the same transaction: each is claimed (emailed_at /
reminded_at set by a conditional UPDATE) and enqueued under a dedupe key naming its row, so
a retried sweep writes none twice, and the outbox sends each after the commit, retrying
while the mail server is down.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from accounts.models import Notification, email_language
from analytics.events import EventKind
from billing.models import RenewalReminder
from billing.reminders import renewal_message
from core.stored_text import shown, stored_params
from onboarding import nps
from onboarding.links import merchant_link
from onboarding.models import (
    Alert,
    AlertLevel,
    Journey,
    RenewalHeadsUp,
    Stage,
    SweepRun,
    TimelineEntry,
    TimelineKind,
)
from onboarding.scoring import assign_tiers
from onboarding.services import NewJourney, create_journeys
from outbox import services as outbox
from tenants.hosts import platform_url
from tenants.models import Merchant, MerchantStatus

SWEEP_LOCK_ID = 61_000_001


@dataclass
class SweepResult:
    skipped: bool = False
    journeys_created: int = 0
    milestones_completed: int = 0
    journeys_tiered: int = 0
    alerts_raised: int = 0
    surveys_opened: int = 0
    renewal_heads_ups: int = 0
    alert_emails: int = 0
    survey_emails: int = 0
    reminder_emails: int = 0
    renewal_emails: int = 0
    detractor_escalations: int = 0


def run_sweep(now: datetime | None = None) -> SweepResult:
    now = now or timezone.now()
    started = timezone.now()
    connection.set_schema_to_public()
    result = SweepResult()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [SWEEP_LOCK_ID])
            if not cursor.fetchone()[0]:
                return SweepResult(skipped=True)
        result.journeys_created = create_missing_journeys(now)
        result.milestones_completed = complete_from_ledger(now)
        result.journeys_tiered = tier_due_journeys(now)
        result.alerts_raised = raise_alerts(now)
        result.surveys_opened = open_nps_waves(now) + nps.open_transactional_surveys(now)
        result.renewal_heads_ups = tell_csms_of_renewals(now)
        result.alert_emails = send_alert_emails(now)
        result.survey_emails = send_survey_emails(now)
        result.reminder_emails = send_survey_reminders(now)
        result.renewal_emails = send_renewal_heads_up_emails(now)
        result.detractor_escalations = nps.escalate_missed_detractor_calls(now)
    SweepRun.objects.create(
        name="onboarding", started_at=started, finished_at=timezone.now(), figures=asdict(result)
    )
    # A run every few minutes: keep a week of them.
    SweepRun.objects.filter(started_at__lt=started - timedelta(days=7)).delete()
    return result


# ---------------------------------------------------------------------------- 1. journeys


def create_missing_journeys(now: datetime) -> int:
    since = now - timedelta(days=settings.ONBOARDING_BACKFILL_DAYS)
    missing = (
        Merchant.objects.filter(
            status=MerchantStatus.ACTIVE,
            created_at__gte=since,
            created_at__lte=now,
            journey__isnull=True,
        )
        .exclude(schema_name="public")
        .values_list("pk", "created_at")
    )
    return len(create_journeys([NewJourney(mid, created) for mid, created in missing]))


# ---------------------------------------------------------------------------- 2. ledger

# Per stage, the ledger kinds that must all have happened (the stage completes at the
# latest of their first occurrences). Events from before a CSM reopened the stage do
# not count.
LEDGER_SIGNALS = {
    Stage.STORE_SETUP: (EventKind.STORE_SETUP_COMPLETED,),
    Stage.GO_LIVE: (EventKind.FIRST_IN_STORE_ORDER, EventKind.CAMPAIGN_LAUNCHED),
}


FROM_THE_SHOPS_DATA = gettext_noop("From the shop's data")


def complete_from_ledger(now: datetime) -> int:
    def first(kind: str) -> str:
        return f"""(SELECT MIN(e.occurred_at) FROM analytics_merchantevent e
                    WHERE e.merchant_id = o.merchant_id AND e.kind = '{kind}'
                      AND e.occurred_at > o.since AND e.occurred_at <= %(now)s)"""

    kinds = sorted({kind for needed in LEDGER_SIGNALS.values() for kind in needed})
    columns = ",\n".join(f"{first(kind)} AS {kind}" for kind in kinds)
    cases = " ".join(
        f"WHEN s.stage = '{stage}' THEN "
        + (
            f"CASE WHEN {' AND '.join(f'{k} IS NOT NULL' for k in needed)} "
            f"THEN GREATEST({', '.join(needed)}) END"
        )
        for stage, needed in LEDGER_SIGNALS.items()
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH open_stages AS (
                SELECT m.id, m.stage, j.merchant_id,
                       COALESCE(m.reopened_at, '-infinity'::timestamptz) AS since
                FROM onboarding_milestone m JOIN onboarding_journey j ON j.id = m.journey_id
                WHERE m.completed_at IS NULL AND m.stage = ANY(%(stages)s)
            ), signals AS (
                SELECT o.id, o.stage, o.merchant_id, {columns} FROM open_stages o
            ), done AS (
                SELECT s.id, s.merchant_id, CASE {cases} END AS done_at FROM signals s
            )
            UPDATE onboarding_milestone m
            SET completed_at = done.done_at, completed_via = 'ledger'
            FROM done
            WHERE m.id = done.id AND done.done_at IS NOT NULL
            RETURNING m.journey_id, done.merchant_id, m.stage, done.done_at
            """,
            {"stages": [str(stage) for stage in LEDGER_SIGNALS], "now": now},
        )
        completed = cursor.fetchall()
    TimelineEntry.objects.bulk_create(
        [
            TimelineEntry(
                merchant_id=merchant_id,
                kind=TimelineKind.MILESTONE_DONE,
                stage=stage,
                detail=_("From the shop's data"),
                message=FROM_THE_SHOPS_DATA,
                at=done_at,
            )
            for _journey, merchant_id, stage, done_at in completed
        ],
        batch_size=5000,
    )
    finish_journeys([row[0] for row in completed])
    return len(completed)


def finish_journeys(journey_ids: list[int]) -> None:
    """Journeys whose every stage is done get completed_at = their last stage's."""
    if not journey_ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE onboarding_journey j SET completed_at = x.last_done
            FROM (
                SELECT journey_id, MAX(completed_at) AS last_done FROM onboarding_milestone
                WHERE journey_id = ANY(%s)
                GROUP BY journey_id HAVING COUNT(*) = COUNT(completed_at)
            ) x
            WHERE j.id = x.journey_id AND j.completed_at IS NULL
            """,
            [list(set(journey_ids))],
        )


# ---------------------------------------------------------------------------- 3. tiering


def tier_due_journeys(now: datetime) -> int:
    """Day 30 has come: tier and segment the merchant, and the Tiering stage is done."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT m.id, m.journey_id, j.merchant_id
            FROM onboarding_milestone m JOIN onboarding_journey j ON j.id = m.journey_id
            JOIN tenants_merchant t ON t.id = j.merchant_id
            WHERE m.stage = %s AND m.completed_at IS NULL AND m.opens_at <= %s
              AND t.status = 'active'
            """,
            [Stage.TIERING.value, now],
        )
        due = cursor.fetchall()
    if not due:
        return 0
    assign_tiers([row[2] for row in due], now=now, reason="day30")
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE onboarding_milestone SET completed_at = %s, completed_via = 'tiering'
            WHERE id = ANY(%s) AND completed_at IS NULL
            """,
            [now, [row[0] for row in due]],
        )
    TimelineEntry.objects.bulk_create(
        [
            TimelineEntry(
                merchant_id=mid, kind=TimelineKind.MILESTONE_DONE, stage=Stage.TIERING, at=now
            )
            for _m, _j, mid in due
        ],
        batch_size=5000,
    )
    finish_journeys([row[1] for row in due])
    return len(due)


# ---------------------------------------------------------------------------- 4. alerts


def raise_alerts(now: datetime) -> int:
    """Insert the alerts that are due and not yet raised; notify their recipients."""
    stuck_days = settings.ONBOARDING_STUCK_AFTER_DAYS
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO onboarding_alert (journey_id, stage, level, recipient_id, created_at)
            SELECT m.journey_id, m.stage, lvl.level,
                   CASE WHEN lvl.level = 'stuck' THEN COALESCE(p.manager_id, j.csm_id)
                        ELSE j.csm_id END,
                   %(now)s
            FROM onboarding_milestone m
            JOIN onboarding_journey j ON j.id = m.journey_id
            JOIN tenants_merchant t ON t.id = j.merchant_id AND t.status = 'active'
            LEFT JOIN onboarding_csmprofile p ON p.user_id = j.csm_id
            CROSS JOIN LATERAL (VALUES
                ('due_soon', m.stage = 'first_contact'
                             AND %(now)s >= m.due_at - interval '24 hours'
                             AND %(now)s <= m.due_at),
                ('behind', %(now)s > m.due_at),
                ('stuck', %(now)s > m.due_at + %(stuck)s * interval '1 day')
            ) AS lvl(level, hit)
            WHERE m.completed_at IS NULL
              AND m.due_at <= %(now)s + interval '24 hours'
              AND lvl.hit
            ON CONFLICT (journey_id, stage, level) DO NOTHING
            RETURNING id, journey_id, stage, level, recipient_id
            """,
            {"now": now, "stuck": stuck_days},
        )
        raised = cursor.fetchall()
    if not raised:
        return 0
    merchants = dict(
        Journey.objects.filter(pk__in={row[1] for row in raised}).values_list("pk", "merchant_id")
    )
    names = dict(Merchant.objects.filter(pk__in=set(merchants.values())).values_list("pk", "name"))
    notifications, entries = [], []
    for _id, journey_id, stage, level, recipient_id in raised:
        merchant_id = merchants[journey_id]
        # Stored as a message and its values: each reader sees it in their own language.
        message, params = alert_message(level, stage, names[merchant_id])
        text = shown(message, params)
        entries.append(
            TimelineEntry(
                merchant_id=merchant_id,
                kind=TimelineKind.ALERT,
                stage=stage,
                detail=text,
                message=message,
                params=params,
                at=now,
            )
        )
        if recipient_id is not None:
            notifications.append(
                Notification(
                    recipient_id=recipient_id,
                    kind="onboarding_alert",
                    text=text,
                    message=message,
                    params=params,
                    link=merchant_link(merchant_id),
                    created_at=now,
                )
            )
    TimelineEntry.objects.bulk_create(entries, batch_size=5000)
    Notification.objects.bulk_create(notifications, batch_size=5000)
    return len(raised)


ALERT_MESSAGES = {
    AlertLevel.DUE_SOON: gettext_noop("%(merchant)s: %(stage)s is due within 24 hours"),
    AlertLevel.BEHIND: gettext_noop("%(merchant)s: %(stage)s is behind (past its due date)"),
    AlertLevel.STUCK: gettext_noop("%(merchant)s: %(stage)s is stuck — please step in"),
}


def alert_message(level: str, stage: str, merchant_name: str) -> tuple[str, dict]:
    """An alert's catalogue message and values (the stage's label kept as its msgid)."""
    return ALERT_MESSAGES[AlertLevel(level)], stored_params(
        merchant=merchant_name, stage=Stage(stage).label
    )


def alert_text(level: str, stage: str, merchant_name: str) -> str:
    """An alert in the active language."""
    return shown(*alert_message(level, stage, merchant_name))


def _claim(table: str, column: str, ids_sql: str, params: dict) -> list[int]:
    """Set `column` on unclaimed rows and return their ids: whoever claims a row enqueues its
    email (in the same transaction)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {column} = %(now)s WHERE {column} IS NULL AND {ids_sql} RETURNING id",
            params,
        )
        return [row[0] for row in cursor.fetchall()]


def send_alert_emails(now: datetime) -> int:
    ids = _claim("onboarding_alert", "emailed_at", "recipient_id IS NOT NULL", {"now": now})
    if not ids:
        return 0
    alerts = Alert.objects.filter(pk__in=ids).values_list(
        "pk",
        "stage",
        "level",
        "recipient__email",
        "recipient__language",
        "journey__merchant_id",
        "journey__merchant__name",
    )
    messages = []
    for alert_id, stage, level, email, language, merchant_id, name in alerts:
        if not email:
            continue
        # The CSM's language (else the platform's), not the merchant's: the CSM reads it.
        with translation.override(email_language(language)):
            text = alert_text(level, stage, name)
            body = _("%(text)s\n\nOpen the merchant: %(link)s") % {
                "text": text,
                "link": platform_url(None, merchant_link(merchant_id)),
            }
        messages.append(
            outbox.email(
                to=[email],
                subject=text,
                body=body,
                dedupe_key=f"onboarding:alert:{alert_id}",
                merchant_id=merchant_id,
            )
        )
    return outbox.enqueue_emails(messages)


# ---------------------------------------------------------------------------- 5. NPS


def open_nps_waves(now: datetime) -> int:
    """Wave n is due at day 30 + 90 n (from the journey's day 0, else signup). Only the
    current wave is opened: a merchant never gets a backlog of missed waves, nor a wave
    within the quiet period after any other survey (a CSM's included)."""
    nps.lock_survey_senders()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO onboarding_npssurvey (merchant_id, kind, wave, sent_at)
            SELECT x.merchant_id, 'wave', x.wave, %(now)s FROM (
                SELECT t.id AS merchant_id,
                       FLOOR((EXTRACT(EPOCH FROM (%(now)s - COALESCE(j.started_at, t.created_at)))
                              / 86400 - 30) / 90)::int AS wave
                FROM tenants_merchant t LEFT JOIN onboarding_journey j ON j.merchant_id = t.id
                WHERE t.status = 'active' AND t.schema_name <> 'public'
                  AND COALESCE(j.started_at, t.created_at) <= %(now)s - interval '30 days'
            ) x
            WHERE NOT EXISTS (
                SELECT 1 FROM onboarding_npssurvey s
                WHERE s.merchant_id = x.merchant_id
                  AND (s.wave = x.wave OR s.sent_at > %(quiet_since)s)
            )
            ON CONFLICT (merchant_id, wave) DO NOTHING
            RETURNING id
            """,
            {"now": now, "quiet_since": now - nps.quiet_period()},
        )
        return len(cursor.fetchall())


def send_survey_emails(now: datetime) -> int:
    ids = _claim("onboarding_npssurvey", "emailed_at", "TRUE", {"now": now})
    return outbox.enqueue_emails(nps.survey_invitations(ids, reminder=False)) if ids else 0


def send_survey_reminders(now: datetime) -> int:
    """One reminder per unanswered survey, some days after it was sent."""
    ids = _claim(
        "onboarding_npssurvey",
        "reminded_at",
        """sent_at <= %(due)s AND NOT EXISTS (
               SELECT 1 FROM onboarding_npsresponse r WHERE r.survey_id = onboarding_npssurvey.id)""",
        {"now": now, "due": now - timedelta(days=settings.ONBOARDING_NPS_REMINDER_AFTER_DAYS)},
    )
    return outbox.enqueue_emails(nps.survey_invitations(ids, reminder=True)) if ids else 0


# ---------------------------------------------------------------------------- 6. renewals

# Reminders older than this are history: a CSM assigned later is not told of them.
RENEWAL_HEADS_UP_WINDOW = timedelta(days=7)


def tell_csms_of_renewals(now: datetime) -> int:
    """One heads-up per renewal reminder billing sent, to the merchant's CSM, with the
    reminder's own words; the console notice and the outbox email are written in the sweep's
    transaction."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO onboarding_renewalheadsup (reminder_id, recipient_id, created_at)
            SELECT r.id, j.csm_id, %(now)s
            FROM billing_renewalreminder r
            JOIN billing_subscription s ON s.id = r.subscription_id
            JOIN onboarding_journey j ON j.merchant_id = s.merchant_id
            WHERE j.csm_id IS NOT NULL
              AND r.sent_at >= %(since)s
              AND r.term_end >= %(now)s::date - 1
            ON CONFLICT (reminder_id) DO NOTHING
            RETURNING reminder_id, recipient_id
            """,
            {"now": now, "since": now - RENEWAL_HEADS_UP_WINDOW},
        )
        told = dict(cursor.fetchall())
    if not told:
        return 0
    reminders = RenewalReminder.objects.filter(pk__in=told).select_related(
        "subscription__merchant", "subscription__plan"
    )
    notices = []
    for reminder in reminders:
        # The reminder's words as a message and values: shown in the CSM's language.
        message = renewal_message(reminder.subscription, reminder.days_before)
        notices.append(
            Notification(
                recipient_id=told[reminder.pk],
                kind="billing_renewal",
                text=message.text[:500],
                message=message.msgid,
                params=message.params,
                link=merchant_link(reminder.subscription.merchant_id),
                created_at=now,
            )
        )
    Notification.objects.bulk_create(notices)
    return len(told)


def renewal_heads_up_subject(shop: str, days: int) -> str:
    """The CSM's subject (the owners' one says "Your plan renewal"), in the active language."""
    return ngettext(
        "Renewal in %(days)s day: %(shop)s", "Renewal in %(days)s days: %(shop)s", days
    ) % {"days": days, "shop": shop}


def send_renewal_heads_up_emails(now: datetime) -> int:
    ids = _claim("onboarding_renewalheadsup", "emailed_at", "TRUE", {"now": now})
    if not ids:
        return 0
    heads_ups = RenewalHeadsUp.objects.filter(pk__in=ids).select_related(
        "recipient", "reminder__subscription__merchant", "reminder__subscription__plan"
    )
    messages = []
    for heads_up in heads_ups:
        if not heads_up.recipient.email:
            continue
        # The reminder's words in the CSM's language (else the platform's), under a subject
        # of the CSM's own (which shop, how soon).
        reminder = heads_up.reminder
        with translation.override(heads_up.recipient.email_language):
            message = renewal_message(reminder.subscription, reminder.days_before)
            subject = renewal_heads_up_subject(
                reminder.subscription.merchant.name, reminder.days_before
            )
        messages.append(
            outbox.email(
                to=[heads_up.recipient.email],
                subject=subject,
                body=message.text,
                dedupe_key=f"onboarding:renewal-heads-up:{heads_up.pk}",
                merchant_id=heads_up.reminder.subscription.merchant_id,
            )
        )
    return outbox.enqueue_emails(messages)
