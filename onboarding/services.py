"""State changes of customer success: journeys, contacts, milestones, tasks, training, NPS.

The set-based platform jobs (the sweep, tiering, health) live in onboarding/sweep.py and
onboarding/scoring.py; this module holds what one person does to one merchant.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import Notification, PlatformRole, User
from core.stored_text import Stored, shown, stored_message, stored_params
from onboarding.links import merchant_link
from onboarding.models import (
    STAGE_WINDOWS,
    ContactChannel,
    ContactLog,
    CsmProfile,
    Journey,
    Milestone,
    NpsResponse,
    NpsSurvey,
    Playbook,
    Stage,
    Task,
    TaskSource,
    Tier,
    TierThreshold,
    TimelineEntry,
    TimelineKind,
    TrainingRegistration,
    TrainingSession,
)
from onboarding.nps import add_working_days, ask_promoter_for_referral
from tenants.models import Membership, MembershipRole, Merchant

# ---------------------------------------------------------------------------- CSMs


def csm_users():
    """Platform staff who work as CSMs (a platform admin is not assigned merchants)."""
    return User.objects.filter(is_active=True, platform_roles__contains=[PlatformRole.CSM])


def csm_loads() -> dict[int, int]:
    """Open journeys per CSM who takes new merchants (0 for a CSM with none)."""
    declined = CsmProfile.objects.filter(accepts_new_merchants=False).values("user_id")
    rows = (
        csm_users()
        .exclude(pk__in=declined)
        .annotate(load=Count("journeys", filter=Q(journeys__completed_at__isnull=True)))
        .values_list("pk", "load")
    )
    return dict(rows)


class CsmPicker:
    """Least-loaded first; ties go to the lowest id, so equal loads take turns (round robin)."""

    def __init__(self, loads: dict[int, int]):
        self._heap = [(load, user_id) for user_id, load in loads.items()]
        heapq.heapify(self._heap)

    def next(self) -> int | None:
        if not self._heap:
            return None
        load, user_id = heapq.heappop(self._heap)
        heapq.heappush(self._heap, (load + 1, user_id))
        return user_id


def manager_of(user_id: int | None) -> int | None:
    if user_id is None:
        return None
    return CsmProfile.objects.filter(user_id=user_id).values_list("manager_id", flat=True).first()


def set_csm_manager(*, csm: User, manager: User | None) -> CsmProfile:
    if manager is not None and manager.pk == csm.pk:
        raise ValidationError({"manager": [_("A CSM cannot be their own manager.")]})
    profile, _created = CsmProfile.objects.update_or_create(user=csm, defaults={"manager": manager})
    return profile


# ---------------------------------------------------------------------------- journeys


# A CSM's notices, stored as catalogue messages (core.stored_text): shown in the CSM's language.
NEW_MERCHANT = gettext_noop("New merchant to onboard: %(name)s")
NOW_YOURS = gettext_noop("You now look after %(name)s")


@dataclass(frozen=True)
class NewJourney:
    merchant_id: int
    started_at: datetime
    csm_id: int | None = None


def create_journeys(items: list[NewJourney], *, actor: User | None = None) -> list[Journey]:
    """Journeys with their five milestones and timeline entries, in a handful of queries.

    Used for one merchant at signup and for thousands by the sweep. Journeys without a
    CSM named get the least-loaded one. Merchants that already have a journey are skipped.
    """
    if not items:
        return []
    with transaction.atomic():
        existing = set(
            Journey.objects.filter(merchant_id__in=[i.merchant_id for i in items]).values_list(
                "merchant_id", flat=True
            )
        )
        items = [item for item in items if item.merchant_id not in existing]
        if not items:
            return []
        picker = CsmPicker(csm_loads()) if any(i.csm_id is None for i in items) else None
        journeys = [
            Journey(
                merchant_id=item.merchant_id,
                started_at=item.started_at,
                csm_id=item.csm_id if item.csm_id is not None else picker.next(),
            )
            for item in items
        ]
        # ignore_conflicts would hide the new ids; a concurrent creator makes this fail
        # instead, and the sweep tries again on its next run.
        Journey.objects.bulk_create(journeys, batch_size=2000)
        Milestone.objects.bulk_create(
            [
                Milestone(
                    journey=journey,
                    stage=stage,
                    opens_at=journey.started_at + opens,
                    due_at=journey.started_at + due,
                )
                for journey in journeys
                for stage, (opens, due) in STAGE_WINDOWS.items()
            ],
            batch_size=5000,
        )
        now = timezone.now()
        entries = []
        notifications = []
        csm_emails = dict(
            User.objects.filter(pk__in={j.csm_id for j in journeys if j.csm_id}).values_list(
                "pk", "email"
            )
        )
        for journey in journeys:
            entries.append(
                TimelineEntry(
                    merchant_id=journey.merchant_id,
                    kind=TimelineKind.JOURNEY_STARTED,
                    actor=actor,
                    at=now,
                )
            )
            if journey.csm_id is not None:
                entries.append(
                    TimelineEntry(
                        merchant_id=journey.merchant_id,
                        kind=TimelineKind.CSM_ASSIGNED,
                        detail=csm_emails[journey.csm_id],
                        actor=actor,
                        at=now,
                    )
                )
        TimelineEntry.objects.bulk_create(entries, batch_size=5000)
        names = dict(
            Merchant.objects.filter(pk__in=[j.merchant_id for j in journeys]).values_list(
                "pk", "name"
            )
        )
        for journey in journeys:
            if journey.csm_id is not None:
                # Stored as a message and values: shown in the CSM's language.
                params = stored_params(name=names[journey.merchant_id])
                notifications.append(
                    Notification(
                        recipient_id=journey.csm_id,
                        text=shown(NEW_MERCHANT, params),
                        message=NEW_MERCHANT,
                        params=params,
                        link=merchant_link(journey.merchant_id),
                        created_at=now,
                    )
                )
        Notification.objects.bulk_create(notifications, batch_size=5000)
    return journeys


def start_journey(
    *,
    merchant: Merchant,
    started_at: datetime | None = None,
    csm: User | None = None,
    actor: User | None = None,
) -> Journey:
    """Start a merchant's journey (signup, or a sales order entered by platform staff).

    A merchant has one journey: starting it again returns the one it has.
    """
    if csm is not None and not csm.has_platform_role(PlatformRole.CSM):
        raise ValidationError({"csm": [_("Choose a customer success manager.")]})
    created = create_journeys(
        [
            NewJourney(
                merchant_id=merchant.pk,
                started_at=started_at or merchant.created_at or timezone.now(),
                csm_id=csm.pk if csm else None,
            )
        ],
        actor=actor,
    )
    return created[0] if created else Journey.objects.get(merchant=merchant)


def start_journey_for_new_merchant(*, merchant: Merchant, owner: User) -> None:
    """onboarding.signup.open_merchant: every new merchant gets a journey at signup."""
    start_journey(merchant=merchant, started_at=merchant.created_at)


def assign_csm(*, journey: Journey, csm: User, actor: User | None) -> Journey:
    if not csm.has_platform_role(PlatformRole.CSM) or not csm.is_active:
        raise ValidationError({"csm": [_("Choose a customer success manager.")]})
    with transaction.atomic():
        Journey.objects.filter(pk=journey.pk).update(csm=csm)
        journey.csm = csm
        TimelineEntry.objects.create(
            merchant_id=journey.merchant_id,
            kind=TimelineKind.CSM_ASSIGNED,
            detail=csm.email,
            actor=actor,
        )
        params = stored_params(name=journey.merchant.name)
        Notification.objects.create(
            recipient=csm,
            text=shown(NOW_YOURS, params),
            message=NOW_YOURS,
            params=params,
            link=merchant_link(journey.merchant_id),
        )
    return journey


# ---------------------------------------------------------------------------- milestones


def _finish_journey_if_done(journey_id: int) -> None:
    open_left = Milestone.objects.filter(journey_id=journey_id, completed_at__isnull=True)
    if not open_left.exists():
        last = (
            Milestone.objects.filter(journey_id=journey_id)
            .order_by("-completed_at")
            .values_list("completed_at", flat=True)
            .first()
        )
        Journey.objects.filter(pk=journey_id, completed_at__isnull=True).update(completed_at=last)


def complete_milestone(
    *,
    milestone: Milestone,
    actor: User | None,
    note: str = "",
    via: str = "csm",
    at: datetime | None = None,
    require_note: bool = True,
) -> bool:
    """Mark a stage done. False (and nothing written) when it was done already."""
    note = note.strip()
    if require_note and not note:
        raise ValidationError({"note": [_("Say why you complete this stage by hand.")]})
    at = at or timezone.now()
    with transaction.atomic():
        done = Milestone.objects.filter(pk=milestone.pk, completed_at__isnull=True).update(
            completed_at=at, completed_via=via, completed_by=actor, note=note
        )
        if not done:
            return False
        TimelineEntry.objects.create(
            merchant_id=milestone.journey.merchant_id,
            kind=TimelineKind.MILESTONE_DONE,
            stage=milestone.stage,
            detail=note,
            actor=actor,
            at=at,
        )
        _finish_journey_if_done(milestone.journey_id)
    milestone.refresh_from_db()
    return True


def reopen_milestone(*, milestone: Milestone, actor: User | None, note: str) -> Milestone:
    note = note.strip()
    if not note:
        raise ValidationError({"note": [_("Say why you reopen this stage.")]})
    now = timezone.now()
    with transaction.atomic():
        reopened = Milestone.objects.filter(pk=milestone.pk, completed_at__isnull=False).update(
            completed_at=None, completed_via="", completed_by=None, reopened_at=now, note=note
        )
        if not reopened:
            raise ValidationError({"stage": [_("This stage is not done; nothing to reopen.")]})
        Journey.objects.filter(pk=milestone.journey_id).update(completed_at=None)
        TimelineEntry.objects.create(
            merchant_id=milestone.journey.merchant_id,
            kind=TimelineKind.MILESTONE_REOPENED,
            stage=milestone.stage,
            detail=note,
            actor=actor,
            at=now,
        )
    milestone.refresh_from_db()
    return milestone


@dataclass(frozen=True)
class ContactInput:
    channel: str
    notes: str
    system_contact: str = ""
    store_role_owners: str = ""


def log_contact(*, journey: Journey, data: ContactInput, actor: User | None) -> ContactLog:
    """A CSM reached the merchant. The first one completes the First contact stage once
    the merchant's system contact and store role owners are on record."""
    errors: dict[str, list[str]] = {}
    if data.channel not in ContactChannel.values:
        errors["channel"] = [_("Choose how you reached the merchant.")]
    if not data.notes.strip():
        errors["notes"] = [_("Write what was said.")]
    system_contact = data.system_contact.strip() or journey.system_contact
    owners = data.store_role_owners.strip() or journey.store_role_owners
    first_contact = journey.milestones.get(stage=Stage.FIRST_CONTACT)
    if first_contact.completed_at is None:
        if not system_contact:
            errors["system_contact"] = [_("Record the merchant's system contact.")]
        if not owners:
            errors["store_role_owners"] = [_("Record who owns each store role.")]
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    with transaction.atomic():
        contact = ContactLog.objects.create(
            journey=journey,
            channel=data.channel,
            notes=data.notes.strip(),
            logged_by=actor,
            contacted_at=now,
        )
        Journey.objects.filter(pk=journey.pk).update(
            system_contact=system_contact, store_role_owners=owners
        )
        journey.system_contact, journey.store_role_owners = system_contact, owners
        TimelineEntry.objects.create(
            merchant_id=journey.merchant_id,
            kind=TimelineKind.CONTACT,
            detail=f"{ContactChannel(data.channel).label}: {contact.notes}",
            actor=actor,
            at=now,
        )
        complete_milestone(
            milestone=first_contact, actor=actor, via="contact", at=now, require_note=False
        )
    return contact


def add_note(*, merchant: Merchant, text: str, actor: User | None) -> TimelineEntry:
    text = text.strip()
    if not text:
        raise ValidationError({"text": [_("Write the note.")]})
    return TimelineEntry.objects.create(
        merchant=merchant, kind=TimelineKind.NOTE, detail=text, actor=actor
    )


# ---------------------------------------------------------------------------- tasks


def create_task(
    *,
    merchant: Merchant,
    title: str,
    assignee: User | None,
    due_on: date | None,
    actor: User | None,
    source: str = TaskSource.MANUAL,
) -> Task:
    title = title.strip()
    errors: dict[str, list[str]] = {}
    if not title:
        errors["title"] = [_("Give the task a title.")]
    if due_on is None:
        errors["due_on"] = [_("Give the task a due date.")]
    if assignee is not None and not assignee.is_platform_staff:
        errors["assignee"] = [_("Tasks go to platform staff.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        task = Task.objects.create(
            merchant=merchant,
            title=title,
            assignee=assignee,
            due_on=due_on,
            source=source,
            created_by=actor,
        )
        TimelineEntry.objects.create(
            merchant=merchant, kind=TimelineKind.TASK, detail=title, actor=actor
        )
    return task


DONE = gettext_noop("Done: %(title)s")


def complete_task(*, task: Task, actor: User | None) -> bool:
    with transaction.atomic():
        done = Task.objects.filter(pk=task.pk, completed_at__isnull=True).update(
            completed_at=timezone.now(), completed_by=actor
        )
        if done:
            # "Done:" in the reader's language, and a platform task's title too; a person's
            # title as they typed it.
            entry = stored_message(DONE, title=task.stored_title)
            TimelineEntry.objects.create(
                merchant_id=task.merchant_id,
                kind=TimelineKind.TASK,
                detail=entry.shown(),
                message=entry.message,
                params=entry.params,
                actor=actor,
            )
    return bool(done)


def apply_playbook(
    *, merchant: Merchant, playbook: Playbook, assignee: User | None, actor: User | None
) -> list[Task]:
    today = timezone.localdate()
    steps = list(playbook.steps.all())
    if not steps:
        raise ValidationError({"playbook": [_("This playbook has no steps.")]})
    with transaction.atomic():
        return [
            create_task(
                merchant=merchant,
                title=step.title,
                assignee=assignee,
                due_on=today + timedelta(days=step.due_in_days),
                actor=actor,
                source=TaskSource.PLAYBOOK,
            )
            for step in steps
        ]


def create_system_tasks(
    rows: Iterable[tuple[int, Stored, str, int | None]], source: str, due_on: date | None = None
) -> int:
    """Platform-made tasks (merchant_id, title, key, assignee_id), once per key; due
    tomorrow unless `due_on` says otherwise. The title is stored as its message and values
    (shown in each reader's language); `title` keeps its words in the platform's language."""
    due_on = due_on or timezone.localdate() + timedelta(days=1)
    tasks = []
    with translation.override(settings.LANGUAGE_CODE):
        for merchant_id, title, key, assignee_id in rows:
            tasks.append(
                Task(
                    merchant_id=merchant_id,
                    title=title.shown()[:200],
                    message=title.message,
                    params=title.params,
                    assignee_id=assignee_id,
                    due_on=due_on,
                    source=source,
                    source_key=key,
                )
            )
    if not tasks:
        return 0
    keys = [task.source_key for task in tasks]
    before = Task.objects.filter(source_key__in=keys).count()
    Task.objects.bulk_create(tasks, ignore_conflicts=True, batch_size=2000)
    return Task.objects.filter(source_key__in=keys).count() - before


# ---------------------------------------------------------------------------- training


@dataclass(frozen=True)
class TrainingInput:
    title: str
    starts_at: datetime
    location: str
    capacity: int = 20


def schedule_training(*, data: TrainingInput, actor: User | None) -> TrainingSession:
    session = TrainingSession(
        title=data.title.strip(),
        starts_at=data.starts_at,
        location=data.location.strip(),
        capacity=data.capacity,
        created_by=actor,
    )
    session.full_clean()
    session.save()
    return session


def register_for_training(
    *, session: TrainingSession, merchant: Merchant, user: User
) -> TrainingRegistration:
    """A member of the shop signs up; full or past sessions refuse."""
    if not Membership.objects.filter(user=user, merchant=merchant).exists():
        raise ValidationError({"session": [_("Only the shop's staff can sign up.")]})
    if session.starts_at < timezone.now():
        raise ValidationError({"session": [_("This session has already started.")]})
    with transaction.atomic():
        locked = TrainingSession.objects.select_for_update().get(pk=session.pk)
        existing = TrainingRegistration.objects.filter(session=locked, user=user).first()
        if existing is not None:
            return existing
        if locked.registrations.count() >= locked.capacity:
            raise ValidationError({"session": [_("This session is full.")]})
        registration = TrainingRegistration.objects.create(
            session=locked, merchant=merchant, user=user
        )
        TimelineEntry.objects.create(
            merchant=merchant,
            kind=TimelineKind.TRAINING,
            detail=_("%(email)s signed up for %(title)s")
            % {"email": user.email, "title": locked.title},
            actor=user,
        )
    return registration


def mark_attendance(*, registration: TrainingRegistration, actor: User | None) -> bool:
    """The person attended: the merchant's Training stage is done (once)."""
    now = timezone.now()
    with transaction.atomic():
        marked = TrainingRegistration.objects.filter(
            pk=registration.pk, attended_at__isnull=True
        ).update(attended_at=now)
        if not marked:
            return False
        TimelineEntry.objects.create(
            merchant_id=registration.merchant_id,
            kind=TimelineKind.TRAINING,
            detail=_("%(email)s attended %(title)s")
            % {"email": registration.user.email, "title": registration.session.title},
            actor=actor,
            at=now,
        )
        training = Milestone.objects.filter(
            journey__merchant_id=registration.merchant_id, stage=Stage.TRAINING
        ).first()
        if training is not None:
            complete_milestone(
                milestone=training, actor=actor, via="training", at=now, require_note=False
            )
    return True


# ---------------------------------------------------------------------------- NPS


CALL_BACK_DETRACTOR = gettext_noop("Call back a detractor (NPS %(score)s)")


def answer_nps(*, survey: NpsSurvey, score, comment: str, user: User) -> NpsResponse:
    """An owner answers; a detractor (0-6) gives the merchant's CSM a task."""
    try:
        value = int(str(score).strip())
    except (TypeError, ValueError):
        value = -1
    if not 0 <= value <= 10:
        raise ValidationError({"score": [_("Choose a score from 0 to 10.")]})
    if not Membership.objects.filter(
        user=user, merchant_id=survey.merchant_id, role=MembershipRole.OWNER
    ).exists():
        raise ValidationError({"survey": [_("Only the shop's owner answers this survey.")]})
    comment = comment.strip()
    try:
        with transaction.atomic():
            response = NpsResponse.objects.create(
                survey=survey, score=value, comment=comment, answered_by=user
            )
            TimelineEntry.objects.create(
                merchant_id=survey.merchant_id,
                kind=TimelineKind.NPS,
                detail=f"{value}: {comment}" if comment else str(value),
                actor=user,
            )
            if value <= 6:
                csm_id = (
                    Journey.objects.filter(merchant_id=survey.merchant_id)
                    .values_list("csm_id", flat=True)
                    .first()
                )
                # Two working days to call a detractor back; the sweep tells the CSM's lead
                # once if it is missed (onboarding.nps.escalate_missed_detractor_calls).
                create_system_tasks(
                    [
                        (
                            survey.merchant_id,
                            stored_message(CALL_BACK_DETRACTOR, score=value),
                            f"nps:{survey.pk}",
                            csm_id,
                        )
                    ],
                    TaskSource.NPS,
                    due_on=add_working_days(timezone.localdate(), 2),
                )
            elif value <= 8:
                TimelineEntry.objects.create(
                    merchant_id=survey.merchant_id,
                    kind=TimelineKind.NOTE,
                    detail=_("Passive (NPS %(score)s): worth a conversation about what is missing.")
                    % {"score": value},
                    actor=user,
                )
            else:
                ask_promoter_for_referral(merchant=survey.merchant, survey_id=survey.pk)
    except IntegrityError as error:
        raise ValidationError({"survey": [_("This survey has been answered already.")]}) from error
    return response


# ---------------------------------------------------------------------------- tiers


@dataclass(frozen=True)
class ThresholdInput:
    tier: str
    min_monthly_gmv: str | Decimal
    min_active_outlets: int | str


def save_tier_thresholds(rows: list[ThresholdInput]) -> list[TierThreshold]:
    """Entry bars must not rise from SKA down to C; C is the floor."""
    parsed: dict[str, tuple[Decimal, int]] = {}
    errors: dict[str, list[str]] = {}
    for row in rows:
        if row.tier not in Tier.values:
            errors["tier"] = [_("Unknown tier.")]
            continue
        try:
            gmv = Decimal(str(row.min_monthly_gmv).strip())
            # The column holds 16 whole digits and 2 places (max_digits 18).
            if gmv < 0 or not gmv.is_finite() or gmv >= Decimal("1e16"):
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            errors[f"{row.tier}_min_monthly_gmv"] = [_("Enter an amount of 0 or more.")]
            continue
        try:
            outlets = int(str(row.min_active_outlets).strip())
            if not 0 <= outlets <= 2147483647:  # the PositiveIntegerField column's range
                raise ValueError
        except ValueError:
            errors[f"{row.tier}_min_active_outlets"] = [_("Enter a whole number of 0 or more.")]
            continue
        parsed[row.tier] = (gmv.quantize(Decimal("0.01")), outlets)
    if not errors and set(parsed) != set(Tier.values):
        errors["tier"] = [_("Give a threshold for every tier.")]
    if not errors:
        order = Tier.values  # SKA first
        for higher, lower in itertools.pairwise(order):
            if parsed[higher][0] < parsed[lower][0] or parsed[higher][1] < parsed[lower][1]:
                errors[f"{higher}_min_monthly_gmv"] = [
                    _("%(higher)s cannot have a lower bar than %(lower)s.")
                    % {"higher": higher, "lower": lower}
                ]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        saved = []
        for tier, (gmv, outlets) in parsed.items():
            threshold, _created = TierThreshold.objects.update_or_create(
                tier=tier, defaults={"min_monthly_gmv": gmv, "min_active_outlets": outlets}
            )
            saved.append(threshold)
    return saved
