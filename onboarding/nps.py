"""NPS, the north star: surveys customer success sends by hand, answers from the console or
from the email's signed link, the follow-up each answer gets, and how merchants came
(referrals from promoters).

Quota: whoever asks (the quarterly wave sweep, a CSM, a lead), a merchant gets at most one
survey in ONBOARDING_NPS_QUIET_DAYS. Senders serialise on one advisory lock
(NPS_SURVEY_LOCK_ID, also taken by the wave sweep) and check after taking it, so two
concurrent senders cannot both survey one merchant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

import outbox.services as outbox
from accounts.models import Notification, User
from core.stored_text import shown, stored_params
from onboarding.links import merchant_link
from onboarding.models import (
    NpsSurvey,
    SignupSource,
    SurveyKind,
    Task,
    TaskSource,
    TimelineEntry,
    TimelineKind,
)
from tenants.hosts import platform_url, shop_host_for_slug
from tenants.models import Membership, MembershipRole, Merchant
from tenants.signup import SignupChannel

# Taken by every survey sender (hand-sent surveys and the wave sweep) for the length of its
# transaction; the quota check runs after it.
NPS_SURVEY_LOCK_ID = 7_310_042
ANSWER_LINK_SALT = "onboarding.nps.answer"
ANSWER_LINK_MAX_AGE = timedelta(days=60)


def quiet_period() -> timedelta:
    return timedelta(days=settings.ONBOARDING_NPS_QUIET_DAYS)


def lock_survey_senders() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [NPS_SURVEY_LOCK_ID])


def next_survey_allowed_at(merchant_id: int, now: datetime | None = None) -> datetime | None:
    """None when the merchant may be surveyed now; else the first moment they may."""
    now = now or timezone.now()
    last = (
        NpsSurvey.objects.filter(merchant_id=merchant_id, sent_at__gt=now - quiet_period())
        .order_by("-sent_at")
        .values_list("sent_at", flat=True)
        .first()
    )
    return last + quiet_period() if last else None


def send_nps_survey(
    *,
    merchant: Merchant,
    actor: User | None,
    kind: str = SurveyKind.MANUAL,
    now: datetime | None = None,
) -> NpsSurvey:
    """Survey one merchant now (the invitation email goes through the outbox in the same
    transaction); refused, naming `survey`, inside the quiet period or without an owner."""
    now = now or timezone.now()
    if kind == SurveyKind.WAVE:
        raise ValueError("waves are opened by the sweep")
    with transaction.atomic():
        lock_survey_senders()
        if merchant.status != "active":
            raise ValidationError({"survey": [_("Only active shops are surveyed.")]})
        allowed_at = next_survey_allowed_at(merchant.pk, now)
        if allowed_at is not None:
            raise ValidationError(
                {
                    "survey": [
                        ngettext(
                            "%(name)s had a survey less than %(days)s day ago; the next one "
                            "can go on %(date)s.",
                            "%(name)s had a survey less than %(days)s days ago; the next one "
                            "can go on %(date)s.",
                            settings.ONBOARDING_NPS_QUIET_DAYS,
                        )
                        % {
                            "name": merchant.name,
                            "days": settings.ONBOARDING_NPS_QUIET_DAYS,
                            "date": timezone.localtime(allowed_at).date().isoformat(),
                        }
                    ]
                }
            )
        if not owner_emails({merchant.pk}).get(merchant.pk):
            raise ValidationError({"survey": [_("The shop has no owner to answer the survey.")]})
        survey = NpsSurvey.objects.create(
            merchant=merchant, kind=kind, requested_by=actor, sent_at=now, emailed_at=now
        )
        TimelineEntry.objects.create(
            merchant=merchant,
            kind=TimelineKind.NPS,
            detail=_("NPS survey sent (%(kind)s)") % {"kind": survey.get_kind_display()},
            actor=actor,
            at=now,
        )
        outbox.enqueue_emails(survey_invitations([survey.pk], reminder=False))
    return survey


def survey_after_support_answer(*, merchant: Merchant) -> NpsSurvey | None:
    """The transactional survey after staff answered the merchant's question (community),
    unless the quota says the merchant was asked lately: then nothing, silently."""
    try:
        return send_nps_survey(merchant=merchant, actor=None, kind=SurveyKind.SUPPORT)
    except ValidationError:
        return None


def send_nps_surveys(
    *, merchants: list[Merchant], actor: User | None, now: datetime | None = None
) -> tuple[list[NpsSurvey], list[Merchant]]:
    """A survey to each merchant that may get one: (sent, skipped inside the quota)."""
    sent, skipped = [], []
    for merchant in merchants:
        try:
            sent.append(send_nps_survey(merchant=merchant, actor=actor, now=now))
        except ValidationError:
            skipped.append(merchant)
    return sent, skipped


# Transactional surveys follow their moment within this window, or not at all.
TRANSACTIONAL_WINDOW = timedelta(days=7)


def open_transactional_surveys(now: datetime) -> int:
    """A survey after go-live (the go-live stage completed) and after a renewal (billing's
    `renewed` subscription event), within TRANSACTIONAL_WINDOW of the moment, one per
    merchant per run, never inside the quiet period after any other survey (the quota wins:
    a merchant surveyed last week is not asked again because it renewed)."""
    lock_survey_senders()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO onboarding_npssurvey (merchant_id, kind, sent_at)
            SELECT DISTINCT ON (c.merchant_id) c.merchant_id, c.kind, %(now)s FROM (
                SELECT j.merchant_id, 'go_live' AS kind, m.completed_at AS happened
                FROM onboarding_milestone m JOIN onboarding_journey j ON j.id = m.journey_id
                WHERE m.stage = 'go_live' AND m.completed_at > %(since)s
                  AND m.completed_at <= %(now)s
                UNION ALL
                SELECT e.merchant_id, 'renewal', e.occurred_on::timestamptz
                FROM billing_subscriptionevent e
                WHERE e.kind = 'renewed' AND e.occurred_on > %(since_date)s
                  AND e.occurred_on <= %(today)s
            ) c
            JOIN tenants_merchant t ON t.id = c.merchant_id AND t.status = 'active'
            WHERE NOT EXISTS (
                SELECT 1 FROM onboarding_npssurvey s
                WHERE s.merchant_id = c.merchant_id AND s.sent_at > %(quiet_since)s
            )
            ORDER BY c.merchant_id, c.happened DESC
            RETURNING id
            """,
            {
                "now": now,
                "since": now - TRANSACTIONAL_WINDOW,
                "today": timezone.localdate(now),
                "since_date": timezone.localdate(now - TRANSACTIONAL_WINDOW),
                "quiet_since": now - quiet_period(),
            },
        )
        return len(cursor.fetchall())


# ---------------------------------------------------------------------------- the email


def owner_emails(merchant_ids: set[int]) -> dict[int, list[str]]:
    owners: dict[int, list[str]] = {}
    for merchant_id, email in Membership.objects.filter(
        merchant_id__in=merchant_ids, role=MembershipRole.OWNER, user__is_active=True
    ).values_list("merchant_id", "user__email"):
        owners.setdefault(merchant_id, []).append(email)
    return owners


def answer_token(survey_id: int) -> str:
    return signing.dumps(survey_id, salt=ANSWER_LINK_SALT)


def survey_from_token(token: str) -> NpsSurvey | None:
    try:
        survey_id = signing.loads(
            token, salt=ANSWER_LINK_SALT, max_age=ANSWER_LINK_MAX_AGE.total_seconds()
        )
    except signing.BadSignature:
        return None
    if not isinstance(survey_id, int):
        return None
    return NpsSurvey.objects.select_related("merchant").filter(pk=survey_id).first()


def answer_url(survey_id: int) -> str:
    path = reverse(
        "nps_answer", args=[answer_token(survey_id)], urlconf=settings.PUBLIC_SCHEMA_URLCONF
    )
    return platform_url(None, path)


def survey_invitations(ids: list[int], *, reminder: bool) -> list[outbox.NewMessage]:
    """The invitation (or its one reminder) for each survey, in the merchant's language,
    with a signed one-click link and the console page."""
    surveys = list(
        NpsSurvey.objects.filter(pk__in=ids).values_list(
            "pk", "merchant_id", "merchant__slug", "merchant__name", "merchant__language"
        )
    )
    owners = owner_emails({row[1] for row in surveys})
    messages = []
    for survey_id, merchant_id, slug, name, language in surveys:
        if not owners.get(merchant_id):
            continue
        console = f"{settings.SITE_SCHEME}://{shop_host_for_slug(slug)}/manage/onboarding/"
        with translation.override(language):
            subject = (
                _("Reminder: how likely are you to recommend us? (%(name)s)")
                if reminder
                else _("How likely are you to recommend us? (%(name)s)")
            ) % {"name": name}
            body = _(
                "On a scale from 0 to 10, how likely are you to recommend our platform to a "
                "friend or colleague? It takes ten seconds: %(link)s\n\n"
                "You can also answer in your shop's console: %(console)s"
            ) % {"link": answer_url(survey_id), "console": console}
        messages.append(
            outbox.email(
                to=owners[merchant_id],
                subject=subject,
                body=body,
                dedupe_key=f"onboarding:nps:{survey_id}:{'reminder' if reminder else 'survey'}",
                merchant_id=merchant_id,
            )
        )
    return messages


# ---------------------------------------------------------------------------- follow-up


def add_working_days(start: date, days: int) -> date:
    """`days` working days (Monday to Friday) after `start`."""
    current = start
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


def referral_url(merchant: Merchant) -> str:
    path = reverse("signup", urlconf=settings.PUBLIC_SCHEMA_URLCONF)
    return platform_url(None, f"{path}?ref={merchant.slug}")


def ask_promoter_for_referral(*, merchant: Merchant, survey_id: int) -> int:
    """A promoter gets one email asking them to recommend us, with their referral link."""
    emails = owner_emails({merchant.pk}).get(merchant.pk)
    if not emails:
        return 0
    with translation.override(merchant.language):
        message = outbox.email(
            to=emails,
            subject=_("Thank you! Know a merchant who would like a shop like yours?"),
            body=_(
                "Thank you for recommending us. If you know a merchant who would like to sell "
                "online too, send them this link; we will know they came from %(name)s: "
                "%(link)s"
            )
            % {"name": merchant.name, "link": referral_url(merchant)},
            dedupe_key=f"onboarding:nps:{survey_id}:referral-ask",
            merchant_id=merchant.pk,
        )
    return outbox.enqueue_emails([message])


@dataclass(frozen=True)
class Escalation:
    task_id: int
    lead_id: int


MISSED_CALL_BACK = gettext_noop(
    "%(csm)s has not called back a detractor of %(merchant)s (due %(due)s)"
)


def escalate_missed_detractor_calls(now: datetime) -> int:
    """A detractor call-back past its due date is reported to the CSM's lead once: the
    `escalated_at` claim is the guarantee, the console notice and the email are written in
    the same transaction."""
    today = timezone.localdate(now)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE onboarding_task t SET escalated_at = %(now)s
            FROM onboarding_csmprofile p
            WHERE t.source = %(source)s AND t.completed_at IS NULL AND t.escalated_at IS NULL
              AND t.due_on < %(today)s AND p.user_id = t.assignee_id
              AND p.manager_id IS NOT NULL
            RETURNING t.id, p.manager_id
            """,
            {"now": now, "today": today, "source": TaskSource.NPS},
        )
        escalations = [Escalation(task_id, lead_id) for task_id, lead_id in cursor.fetchall()]
    if not escalations:
        return 0
    tasks = Task.objects.select_related("merchant", "assignee").in_bulk(
        [item.task_id for item in escalations]
    )
    leads = User.objects.in_bulk([item.lead_id for item in escalations])
    notices, messages = [], []
    for item in escalations:
        task, lead = tasks[item.task_id], leads[item.lead_id]
        link = merchant_link(task.merchant_id)
        params = stored_params(
            csm=task.assignee.email, merchant=task.merchant.name, due=task.due_on.isoformat()
        )
        # The lead's language (else the platform's): the email is theirs; the notice is
        # stored as a message and shown in whatever language the lead reads it in.
        with translation.override(lead.email_language):
            text = shown(MISSED_CALL_BACK, params)
            body = _("%(text)s\n\nOpen the merchant: %(link)s") % {
                "text": text,
                "link": platform_url(None, link),
            }
        notices.append(
            Notification(
                recipient=lead,
                kind="nps_escalation",
                text=text,
                message=MISSED_CALL_BACK,
                params=params,
                link=link,
                created_at=now,
            )
        )
        messages.append(
            outbox.email(
                to=[lead.email],
                subject=text,
                body=body,
                dedupe_key=f"onboarding:nps-escalation:{task.pk}",
                merchant_id=task.merchant_id,
            )
        )
    Notification.objects.bulk_create(notices)
    outbox.enqueue_emails(messages)
    return len(escalations)


# ---------------------------------------------------------------------------- signup source


def record_signup_source(*, merchant: Merchant, channel: str, referrer_slug: str = "") -> None:
    """How the merchant came; a referral names the referring shop (never the shop itself)."""
    if channel not in SignupChannel.values:
        return
    referrer = None
    if channel == SignupChannel.REFERRAL and referrer_slug:
        referrer = (
            Merchant.objects.exclude(pk=merchant.pk)
            .exclude(schema_name="public")
            .filter(slug=referrer_slug)
            .first()
        )
    SignupSource.objects.create(merchant=merchant, channel=channel, referrer=referrer)
