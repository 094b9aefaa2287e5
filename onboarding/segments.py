"""Segments: a saved filter of merchants (tier, onboarding stage, health band, NPS band,
renewal within N days, plan, industry) and the bulk actions customer success runs on one: assign a
CSM, apply a playbook, send an NPS survey (the survey quota still holds per merchant)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from billing.models import Subscription
from onboarding import nps
from onboarding.models import (
    HealthScore,
    Journey,
    Milestone,
    NpsResponse,
    Playbook,
    SavedSegment,
    TierAssignment,
)
from onboarding.services import apply_playbook, assign_csm
from tenants.models import Merchant, MerchantStatus

HEALTH_BANDS = ("red", "amber", "green")
NPS_BANDS = ("promoter", "passive", "detractor", "none")
GREEN_FROM = 70


@dataclass(frozen=True)
class SegmentFilters:
    tier: str = ""
    stage: str = ""  # an onboarding stage, or "done"
    health: str = ""  # red / amber / green
    nps: str = ""  # promoter / passive / detractor / none (never answered)
    renewal_within_days: int | None = None
    plan: str = ""  # billing Plan.code
    industry: str = ""  # tenants.models.Industry

    @classmethod
    def from_json(cls, data: dict) -> SegmentFilters:
        known = {key: data[key] for key in asdict(cls()) if key in data}
        return cls(**known)


def segment_merchants(filters: SegmentFilters) -> QuerySet[Merchant]:
    """Active merchants matching every filter set, in one query (annotated with what the
    preview shows: tier, current stage, health, latest NPS score)."""
    latest_tier = TierAssignment.objects.filter(merchant=OuterRef("pk")).order_by(
        "-computed_at", "-id"
    )
    latest_health = HealthScore.objects.filter(merchant=OuterRef("pk")).order_by("-computed_on")
    latest_answer = NpsResponse.objects.filter(survey__merchant=OuterRef("pk")).order_by(
        "-answered_at", "-id"
    )
    open_stage = Milestone.objects.filter(
        journey__merchant=OuterRef("pk"), completed_at__isnull=True
    ).order_by("opens_at", "id")
    merchants = (
        Merchant.objects.filter(status=MerchantStatus.ACTIVE)
        .exclude(schema_name="public")
        .annotate(
            segment_tier=Subquery(latest_tier.values("tier")[:1]),
            segment_stage=Subquery(open_stage.values("stage")[:1]),
            segment_health=Subquery(
                latest_health.annotate(
                    effective=Coalesce("override_score", "score", output_field=IntegerField())
                ).values("effective")[:1]
            ),
            segment_nps=Subquery(latest_answer.values("score")[:1]),
        )
    )
    if filters.tier:
        merchants = merchants.filter(segment_tier=filters.tier)
    if filters.stage == "done":
        merchants = merchants.filter(
            Exists(Journey.objects.filter(merchant=OuterRef("pk"), completed_at__isnull=False))
        )
    elif filters.stage:
        merchants = merchants.filter(segment_stage=filters.stage)
    red_below = settings.ONBOARDING_HEALTH_RED_BELOW
    if filters.health == "red":
        merchants = merchants.filter(segment_health__lt=red_below)
    elif filters.health == "amber":
        merchants = merchants.filter(segment_health__gte=red_below, segment_health__lt=GREEN_FROM)
    elif filters.health == "green":
        merchants = merchants.filter(segment_health__gte=GREEN_FROM)
    if filters.nps == "promoter":
        merchants = merchants.filter(segment_nps__gte=9)
    elif filters.nps == "passive":
        merchants = merchants.filter(segment_nps__in=[7, 8])
    elif filters.nps == "detractor":
        merchants = merchants.filter(segment_nps__lte=6)
    elif filters.nps == "none":
        merchants = merchants.filter(segment_nps__isnull=True)
    if filters.renewal_within_days is not None:
        today = timezone.localdate()
        merchants = merchants.filter(
            Exists(
                Subscription.objects.filter(
                    merchant=OuterRef("pk"),
                    auto_renew=True,
                    ended_on__isnull=True,
                    term_end__gte=today,
                    term_end__lte=today + timedelta(days=filters.renewal_within_days),
                )
            )
        )
    if filters.industry:
        merchants = merchants.filter(industry=filters.industry)
    if filters.plan:
        merchants = merchants.filter(
            Exists(Subscription.objects.filter(merchant=OuterRef("pk"), plan__code=filters.plan))
        )
    return merchants.order_by("name", "pk")


def save_segment(*, name: str, filters: SegmentFilters, actor: User) -> SavedSegment:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": [_("Name the segment.")]})
    if not any(value not in ("", None) for value in asdict(filters).values()):
        raise ValidationError({"__all__": [_("Choose at least one filter.")]})
    try:
        with transaction.atomic():
            return SavedSegment.objects.create(name=name, filters=asdict(filters), created_by=actor)
    except IntegrityError as error:
        raise ValidationError({"name": [_("A segment with this name exists.")]}) from error


@dataclass(frozen=True)
class BulkOutcome:
    done: int
    skipped: int


def bulk_assign_csm(*, segment: SavedSegment, csm: User, actor: User) -> BulkOutcome:
    merchants = segment_merchants(SegmentFilters.from_json(segment.filters))
    journeys = Journey.objects.filter(merchant__in=merchants).select_related("merchant")
    done = 0
    with transaction.atomic():
        for journey in journeys:
            if journey.csm_id != csm.pk:
                assign_csm(journey=journey, csm=csm, actor=actor)
                done += 1
    return BulkOutcome(done=done, skipped=merchants.count() - done)


def bulk_apply_playbook(*, segment: SavedSegment, playbook: Playbook, actor: User) -> BulkOutcome:
    merchants = list(segment_merchants(SegmentFilters.from_json(segment.filters)))
    csms = dict(Journey.objects.filter(merchant__in=merchants).values_list("merchant_id", "csm_id"))
    assignees = User.objects.in_bulk([csm for csm in csms.values() if csm])
    with transaction.atomic():
        for merchant in merchants:
            apply_playbook(
                merchant=merchant,
                playbook=playbook,
                assignee=assignees.get(csms.get(merchant.pk)),
                actor=actor,
            )
    return BulkOutcome(done=len(merchants), skipped=0)


def bulk_send_survey(*, segment: SavedSegment, actor: User) -> BulkOutcome:
    merchants = list(segment_merchants(SegmentFilters.from_json(segment.filters)))
    sent, skipped = nps.send_nps_surveys(merchants=merchants, actor=actor)
    return BulkOutcome(done=len(sent), skipped=len(skipped))
