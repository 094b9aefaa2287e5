"""State changes of the merchant community, each in one transaction. Emails go through the
outbox with a dedupe key, so a retried call never sends twice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, override

import features.flags
from accounts import services as accounts_services
from accounts.models import Notification, User
from community import selectors
from community.models import (
    Audience,
    Beta,
    BetaFeedback,
    BetaParticipant,
    BusinessValue,
    Comment,
    FeatureRequest,
    LifecycleCard,
    NotesSeen,
    Question,
    ReleaseNote,
    Reply,
    RequestStatus,
    StatusChange,
    UserValue,
    Vote,
)
from community.workday import answer_due
from core.stored_text import Stored, stored_message
from onboarding.models import Journey, Segment, Tier
from onboarding.nps import survey_after_support_answer
from outbox import services as outbox
from tenants.hosts import platform_url, shop_url
from tenants.models import MembershipRole, Merchant


def _manage_link(name: str, *args) -> str:
    return reverse(name, args=args, urlconf="config.urls_tenant")


def _console_link(name: str, *args) -> str:
    return reverse(name, args=args, urlconf="config.urls_public")


def _check_audience(audience: str, value: str) -> str:
    """The audience value must name a real plan, tier or segment (blank for everyone)."""
    from billing.models import Plan

    value = (value or "").strip()
    if audience == Audience.ALL:
        return ""
    valid = {
        Audience.PLAN: set(Plan.objects.values_list("code", flat=True)),
        Audience.TIER: set(Tier.values),
        Audience.SEGMENT: set(Segment.values),
    }[audience]
    if value not in valid:
        raise ValidationError(
            {
                "audience_value": _("Choose one of: %(values)s.")
                % {"values": ", ".join(sorted(valid))}
            }
        )
    return value


def _check_link(link: str) -> str:
    link = (link or "").strip()
    if link and (not link.startswith("/manage/") or "//" in link or " " in link):
        raise ValidationError({"link": _("Give a path in the merchant console, e.g. /manage/.")})
    return link


# ------------------------------------------------------------------------------ notes


@dataclass(frozen=True)
class NoteInput:
    title: str
    feature: str
    scenario: str
    caveats: str
    audience: str
    audience_value: str
    link: str


def _checked(**checks) -> dict[str, str]:
    """Run each field's check; refuse with every field's error at once."""
    values, errors = {}, {}
    for name, check in checks.items():
        try:
            values[name] = check()
        except ValidationError as error:
            errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    return values


@transaction.atomic
def publish_note(*, data: NoteInput, actor: User | None) -> ReleaseNote:
    checked = _checked(
        audience_value=lambda: _check_audience(data.audience, data.audience_value),
        link=lambda: _check_link(data.link),
    )
    transaction.on_commit(selectors.forget_every_unread)
    return ReleaseNote.objects.create(
        title=data.title,
        feature=data.feature,
        scenario=data.scenario,
        caveats=data.caveats,
        audience=data.audience,
        audience_value=checked["audience_value"],
        link=checked["link"],
        created_by=actor,
    )


def mark_notes_seen(*, user: User, merchant: Merchant) -> None:
    NotesSeen.objects.update_or_create(
        user=user, merchant=merchant, defaults={"seen_at": timezone.now()}
    )
    selectors.forget_unread(user_id=user.pk, merchant_id=merchant.pk)


def mark_notices_read(*, user: User, merchant: Merchant, link: str) -> int:
    read = accounts_services.mark_notices_read(
        user=user,
        merchant_id=merchant.pk,
        kinds=selectors.COMMUNITY_NOTIFICATION_KINDS,
        link=link,
    )
    if read:
        selectors.forget_unread(user_id=user.pk, merchant_id=merchant.pk)
    return read


# ------------------------------------------------------------------------------ questions


@transaction.atomic
def ask_question(
    *, merchant: Merchant, user: User, title: str, body: str, is_public: bool
) -> Question:
    now = timezone.now()
    return Question.objects.create(
        merchant=merchant,
        asked_by=user,
        title=title,
        body=body,
        is_public=is_public,
        asked_at=now,
        due_at=answer_due(now),
    )


@transaction.atomic
def follow_up(*, question: Question, user: User, body: str) -> Reply:
    """The merchant adds to its thread: staff owe an answer again."""
    question = Question.objects.select_for_update().get(pk=question.pk)
    now = timezone.now()
    reply = Reply.objects.create(question=question, author=user, body=body, created_at=now)
    if question.due_at is None:
        question.due_at = answer_due(now)
        question.save(update_fields=["due_at"])
    return reply


# The asker's notice, stored as a message and its values (core.stored_text): shown in the
# language of whoever reads it.
ANSWERED = gettext_noop("Your question “%(title)s” has an answer.")


@transaction.atomic
def answer_question(*, question: Question, staff: User, body: str) -> Reply:
    """Staff answer: the thread is no longer due; the asker gets an email (outbox) and a
    notice in the console."""
    question = Question.objects.select_for_update().select_related("merchant").get(pk=question.pk)
    now = timezone.now()
    reply = Reply.objects.create(
        question=question, author=staff, from_staff=True, body=body, created_at=now
    )
    question.answered_at = now
    question.due_at = None
    question.save(update_fields=["answered_at", "due_at"])
    asker = question.asked_by
    if asker is not None and asker.is_active:
        link = _manage_link("community_question", question.pk)
        notice = stored_message(ANSWERED, title=question.title[:200])
        # The shop's language: the email's words, and the notice's text as written.
        with override(question.merchant.language):
            answered = Notification.objects.create(
                recipient=asker,
                merchant_id=question.merchant_id,
                kind="community_answer",
                text=notice.shown()[:500],
                message=notice.message,
                params=notice.params,
                link=link,
            )
            outbox.enqueue_email(
                to=[asker.email],
                subject=_("Your question has an answer: %(title)s")
                % {"title": question.title[:120]},
                body=_("%(answer)s\n\nRead the thread: %(url)s")
                % {"answer": body, "url": shop_url(None, question.merchant, link)},
                dedupe_key=f"community-answer:{reply.pk}",
                merchant_id=question.merchant_id,
            )
        accounts_services.forget_badges_after_commit([answered])
        transaction.on_commit(
            lambda: selectors.forget_unread(user_id=asker.pk, merchant_id=question.merchant_id)
        )
    # How was the answer? A transactional NPS survey, inside the 30-day quota.
    survey_after_support_answer(merchant=question.merchant)
    return reply


# ------------------------------------------------------------------------------ requests


@transaction.atomic
def post_request(*, merchant: Merchant, user: User, title: str, need: str) -> FeatureRequest:
    """A new request; its author's shop votes for it."""
    request = FeatureRequest.objects.create(
        title=title, need=need, merchant=merchant, created_by=user
    )
    Vote.objects.create(request=request, merchant=merchant, user=user)
    return request


def _live(request: FeatureRequest) -> FeatureRequest:
    """Votes and comments go to the request a duplicate was merged into."""
    request = FeatureRequest.objects.get(pk=request.pk)
    seen = set()
    while request.merged_into_id and request.pk not in seen:
        seen.add(request.pk)
        request = FeatureRequest.objects.get(pk=request.merged_into_id)
    return request


@transaction.atomic
def vote(*, request: FeatureRequest, merchant: Merchant, user: User) -> bool:
    """True when the shop's vote was added (a shop votes once)."""
    request = _live(request)
    _, created = Vote.objects.get_or_create(
        request=request, merchant=merchant, defaults={"user": user}
    )
    return created


@transaction.atomic
def unvote(*, request: FeatureRequest, merchant: Merchant) -> bool:
    deleted, _ = Vote.objects.filter(request=_live(request), merchant=merchant).delete()
    return bool(deleted)


@transaction.atomic
def comment(
    *, request: FeatureRequest, user: User, body: str, merchant: Merchant | None = None
) -> Comment:
    return Comment.objects.create(
        request=_live(request),
        merchant=merchant,
        author=user,
        from_staff=merchant is None,
        body=body,
    )


@transaction.atomic
def merge_requests(*, duplicate: FeatureRequest, into: FeatureRequest, actor: User) -> int:
    """Fold a duplicate into another request: its votes move (a shop that voted for both
    keeps one vote), its comments move, and it disappears from the lists. Returns the
    number of votes moved."""
    if duplicate.pk == into.pk:
        raise ValidationError({"into": _("A request cannot be merged into itself.")})
    first, second = sorted([duplicate.pk, into.pk])
    locked = {
        row.pk: row
        for row in FeatureRequest.objects.select_for_update().filter(pk__in=[first, second])
    }
    duplicate, into = locked[duplicate.pk], locked[into.pk]
    if duplicate.merged_into_id or into.merged_into_id:
        raise ValidationError({"into": _("Merged requests cannot be merged again.")})
    already = Vote.objects.filter(request=into).values("merchant_id")
    Vote.objects.filter(request=duplicate, merchant_id__in=already).delete()
    moved = Vote.objects.filter(request=duplicate).update(request=into)
    Comment.objects.filter(request=duplicate).update(request=into)
    Comment.objects.create(
        request=into,
        author=actor,
        from_staff=True,
        body=_("Merged “%(title)s” into this request.") % {"title": duplicate.title},
    )
    duplicate.merged_into = into
    duplicate.save(update_fields=["merged_into"])
    return moved


# Which statuses may follow which (declined and shipped may be reopened for review).
NEXT_STATUSES: dict[str, set[str]] = {
    RequestStatus.NEW: {RequestStatus.UNDER_REVIEW, RequestStatus.DECLINED, RequestStatus.PLANNED},
    RequestStatus.UNDER_REVIEW: {RequestStatus.PLANNED, RequestStatus.DECLINED},
    RequestStatus.PLANNED: {
        RequestStatus.IN_BETA,
        RequestStatus.SHIPPED,
        RequestStatus.DECLINED,
        RequestStatus.UNDER_REVIEW,
    },
    RequestStatus.IN_BETA: {RequestStatus.SHIPPED, RequestStatus.PLANNED, RequestStatus.DECLINED},
    RequestStatus.SHIPPED: {RequestStatus.UNDER_REVIEW},
    RequestStatus.DECLINED: {RequestStatus.UNDER_REVIEW},
}


@transaction.atomic
def change_status(
    *,
    request: FeatureRequest,
    to: str,
    actor: User,
    reason: str = "",
    release_note: ReleaseNote | None = None,
) -> StatusChange:
    """Move a request on; every voter, their CSMs (and on ship the merchants who asked for
    it in an NPS comment) hear about it once (outbox keys name the status change)."""
    request = FeatureRequest.objects.select_for_update().get(pk=request.pk)
    if request.merged_into_id:
        raise ValidationError({"status": _("This request was merged into another.")})
    if to not in NEXT_STATUSES.get(request.status, set()):
        raise ValidationError(
            {
                "status": _("A request that is %(now)s cannot become %(to)s.")
                % {
                    "now": request.get_status_display(),
                    "to": RequestStatus(to).label if to in RequestStatus.values else to,
                }
            }
        )
    reason = (reason or "").strip()
    if to == RequestStatus.DECLINED and not reason:
        raise ValidationError({"reason": _("Say why the request is declined.")})
    if to == RequestStatus.SHIPPED and release_note is None:
        raise ValidationError({"release_note": _("Link the release note it shipped in.")})
    change = StatusChange.objects.create(
        request=request, from_status=request.status, to_status=to, reason=reason, changed_by=actor
    )
    request.status = to
    request.status_changed_at = change.changed_at
    request.declined_reason = reason if to == RequestStatus.DECLINED else ""
    if release_note is not None:
        request.release_note = release_note
    request.save(update_fields=["status", "status_changed_at", "declined_reason", "release_note"])
    _notify_status_change(request, change)
    return change


# A status change, stored as a message and its values (core.stored_text): each console notice
# is shown in its reader's language; each email is written in its reader's (the shop's).
STATUS_CHANGED = gettext_noop("“%(title)s” is now %(status)s.")
DECLINED = gettext_noop("“%(title)s” is now %(status)s. Why: %(reason)s")
SHIPPED = gettext_noop(
    "“%(title)s” is now %(status)s.\n\n%(note)s\n\n%(feature)s\n\nWhat it is for: %(scenario)s"
)
SHIPPED_WITH_CAVEATS = gettext_noop(
    "“%(title)s” is now %(status)s.\n\n%(note)s\n\n%(feature)s\n\nWhat it is for: %(scenario)s"
    "\n\nWatch out for: %(caveats)s"
)


def _request_message(request: FeatureRequest, change: StatusChange) -> Stored:
    """What a status change says: the new status, why a request was declined, the release
    note of a shipped one (the merchant's words: title, feature, scenario, caveats)."""
    status = RequestStatus(request.status).label
    if change.to_status == RequestStatus.DECLINED:
        return stored_message(DECLINED, title=request.title, status=status, reason=change.reason)
    if change.to_status == RequestStatus.SHIPPED and request.release_note is not None:
        note = request.release_note
        values = {"note": note.title, "feature": note.feature, "scenario": note.scenario}
        if note.caveats:
            return stored_message(
                SHIPPED_WITH_CAVEATS,
                title=request.title,
                status=status,
                caveats=note.caveats,
                **values,
            )
        return stored_message(SHIPPED, title=request.title, status=status, **values)
    return stored_message(STATUS_CHANGED, title=request.title, status=status)


def _notify_status_change(request: FeatureRequest, change: StatusChange) -> None:
    voters = list(
        Vote.objects.filter(request=request).select_related("merchant", "user").order_by("id")
    )
    voter_merchants = {vote.merchant_id: vote.merchant for vote in voters}
    # On ship, the merchants who asked for it in an NPS comment hear about it too.
    mentioned: dict[int, Merchant] = {}
    if change.to_status == RequestStatus.SHIPPED:
        for answer in selectors.nps_mentions(request):
            mentioned.setdefault(answer.survey.merchant_id, answer.survey.merchant)
    link = _manage_link("community_request", request.pk)
    update = _request_message(request, change)
    messages = []
    notices = []
    told: set[str] = set()
    for vote in voters:
        recipient = vote.user
        if recipient is None or not recipient.is_active or recipient.email in told:
            continue
        told.add(recipient.email)
        with override(vote.merchant.language):
            text = update.shown()
            subject = _("Feature request update: %(title)s") % {"title": request.title[:120]}
            url = shop_url(None, vote.merchant, link)
        messages.append(
            outbox.email(
                to=[recipient.email],
                subject=subject,
                body=f"{text}\n\n{url}",
                dedupe_key=f"community-status:{change.pk}:voter:{recipient.pk}",
                merchant_id=vote.merchant_id,
            )
        )
        notices.append(
            Notification(
                recipient=recipient,
                # The shop the person voted from: the link opens its console.
                merchant_id=vote.merchant_id,
                kind="community_request",
                text=text[:500],
                message=update.message,
                params=update.params,
                link=link,
            )
        )
    for merchant_id, merchant in mentioned.items():
        if merchant_id in voter_merchants:
            continue
        owners = User.objects.filter(
            memberships__merchant_id=merchant_id,
            memberships__role=MembershipRole.OWNER,
            is_active=True,
        )
        for owner in owners:
            if owner.email in told:
                continue
            told.add(owner.email)
            with override(merchant.language):
                text = _("You asked for this in a survey: %(text)s") % {"text": update.shown()}
                subject = _("Shipped: %(title)s") % {"title": request.title[:120]}
            messages.append(
                outbox.email(
                    to=[owner.email],
                    subject=subject,
                    body=f"{text}\n\n{shop_url(None, merchant, link)}",
                    dedupe_key=f"community-status:{change.pk}:nps:{owner.pk}",
                    merchant_id=merchant_id,
                )
            )
    # Each CSM once, naming their merchants among the voters (and NPS mentions).
    by_csm: dict[int, list[str]] = {}
    csms: dict[int, User] = {}
    for journey in Journey.objects.filter(
        merchant_id__in=set(voter_merchants) | set(mentioned), csm__isnull=False
    ).select_related("csm", "merchant"):
        csms[journey.csm_id] = journey.csm
        by_csm.setdefault(journey.csm_id, []).append(journey.merchant.name)
    console = _console_link("console_product_request", request.pk)
    for csm_id, names in by_csm.items():
        csm = csms[csm_id]
        if not csm.is_active:
            continue
        # The CSM's language (else the platform's) for the email; the notice is shown in
        # whatever language the CSM reads it in.
        with override(csm.email_language):
            text = update.shown()
            body = _("Your merchants who asked for it: %(names)s") % {
                "names": ", ".join(sorted(names))
            }
            subject = _("Feature request update: %(title)s") % {"title": request.title[:120]}
        messages.append(
            outbox.email(
                to=[csm.email],
                subject=subject,
                body=f"{text}\n\n{body}\n\n{platform_url(None, console)}",
                dedupe_key=f"community-status:{change.pk}:csm:{csm_id}",
            )
        )
        notices.append(
            Notification(
                recipient=csm,
                kind="community_request",
                text=text[:500],
                message=update.message,
                params=update.params,
                link=console,
            )
        )
    outbox.enqueue_emails(messages)
    Notification.objects.bulk_create(notices)
    accounts_services.forget_badges_after_commit(notices)
    told_voters = [(vote.user_id, vote.merchant_id) for vote in voters if vote.user_id]
    transaction.on_commit(
        lambda: [
            selectors.forget_unread(user_id=user_id, merchant_id=merchant_id)
            for user_id, merchant_id in told_voters
        ]
    )


@dataclass(frozen=True)
class TriageInput:
    user_value: str
    user_value_score: int
    business_value: str
    business_value_score: int
    capacity_cost: int
    capacity_note: str
    nps_keywords: str


@transaction.atomic
def triage(*, request: FeatureRequest, data: TriageInput) -> FeatureRequest:
    errors = {}
    for name, kind, score, choices in (
        ("user_value", data.user_value, data.user_value_score, UserValue.values),
        ("business_value", data.business_value, data.business_value_score, BusinessValue.values),
    ):
        if score and kind not in choices:
            errors[name] = _("Classify the value you scored.")
    if errors:
        raise ValidationError(errors)
    request = FeatureRequest.objects.select_for_update().get(pk=request.pk)
    request.user_value = data.user_value if data.user_value_score else ""
    request.user_value_score = data.user_value_score
    request.business_value = data.business_value if data.business_value_score else ""
    request.business_value_score = data.business_value_score
    request.capacity_cost = data.capacity_cost
    request.capacity_note = data.capacity_note
    request.nps_keywords = data.nps_keywords
    request.triaged_at = timezone.now()
    request.save()
    return request


# ------------------------------------------------------------------------------ betas


@dataclass(frozen=True)
class BetaInput:
    feature: str
    title: str
    plan: str
    expectations: str
    audience: str
    audience_value: str
    starts_on: date
    ends_on: date
    request: FeatureRequest | None = None


@transaction.atomic
def open_beta(*, data: BetaInput, actor: User) -> Beta:
    if data.ends_on < data.starts_on:
        raise ValidationError({"ends_on": _("The beta cannot end before it starts.")})
    if Beta.objects.filter(feature=data.feature).exists():
        raise ValidationError({"feature": _("A beta for this feature flag exists already.")})
    return Beta.objects.create(
        feature=data.feature,
        title=data.title,
        plan=data.plan,
        expectations=data.expectations,
        audience=data.audience,
        audience_value=_check_audience(data.audience, data.audience_value),
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        request=data.request,
        created_by=actor,
    )


def _may_join(beta: Beta, merchant: Merchant) -> bool:
    return selectors.betas_for(merchant).filter(pk=beta.pk).exists()


@transaction.atomic
def join_beta(*, beta: Beta, merchant: Merchant, user: User) -> BetaParticipant:
    today = timezone.localdate()
    if not _may_join(beta, merchant):
        raise ValidationError(_("Your shop is not invited to this beta."))
    if not beta.starts_on <= today <= beta.ends_on:
        raise ValidationError(_("This beta is not running."))
    participant, _created = BetaParticipant.objects.get_or_create(
        beta=beta, merchant=merchant, defaults={"joined_by": user}
    )
    features.flags.switch_on(merchant_id=merchant.pk, name=beta.feature, actor=user)
    return participant


@transaction.atomic
def leave_beta(*, beta: Beta, merchant: Merchant) -> bool:
    deleted, _ = BetaParticipant.objects.filter(beta=beta, merchant=merchant).delete()
    features.flags.switch_off(merchant_id=merchant.pk, name=beta.feature)
    return bool(deleted)


@transaction.atomic
def end_finished_betas(today: date | None = None) -> int:
    """Switch off the flags of betas past their end date (the beat runs it hourly; a run
    that finds nothing left to switch off changes nothing). Participants stay as history.
    Returns the number of flags switched off."""
    today = today or timezone.localdate()
    ended = list(Beta.objects.filter(ends_on__lt=today).values_list("feature", flat=True))
    if not ended:
        return 0
    return features.flags.switch_off_everywhere(names=ended)


@transaction.atomic
def beta_feedback(*, beta: Beta, merchant: Merchant, user: User, body: str) -> BetaFeedback:
    if not BetaParticipant.objects.filter(beta=beta, merchant=merchant).exists():
        raise ValidationError(_("Join the beta to leave feedback."))
    return BetaFeedback.objects.create(beta=beta, merchant=merchant, author=user, body=body)


# ------------------------------------------------------------------------------ lifecycle


@transaction.atomic
def save_lifecycle_card(*, industry: str, texts: dict[str, str], actor: User) -> None:
    for stage, text in texts.items():
        text = text.strip()
        if text:
            LifecycleCard.objects.update_or_create(
                industry=industry,
                stage=stage,
                defaults={"cares_about": text, "updated_by": actor},
            )
        else:
            LifecycleCard.objects.filter(industry=industry, stage=stage).delete()


def set_industry(*, merchant: Merchant, industry: str) -> None:
    Merchant.objects.filter(pk=merchant.pk).update(industry=industry)
    merchant.industry = industry
