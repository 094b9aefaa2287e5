"""Reads for the merchant community. Public tables only; every list is a fixed number of
queries whatever its length."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Exists, F, Func, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from accounts.selectors import unread_notices_of
from billing.models import Subscription
from community.models import (
    Audience,
    Beta,
    BetaParticipant,
    FeatureRequest,
    LifecycleCard,
    LifecycleStage,
    NotesSeen,
    Question,
    ReleaseNote,
    RequestStatus,
    Vote,
)
from core import cache_guard
from onboarding.models import (
    STAGE_ORDER,
    HealthScore,
    Journey,
    Milestone,
    NpsResponse,
    Tier,
    TierAssignment,
)
from tenants.models import Merchant

COMMUNITY_NOTIFICATION_KINDS = ("community_answer", "community_request", "community_release")

# How much one merchant's vote weighs by its tier (plus its monthly GMV, see demand_for).
TIER_WEIGHTS: dict[str, Decimal] = {
    Tier.SKA: Decimal("8"),
    Tier.KA: Decimal("4"),
    Tier.A: Decimal("2"),
    Tier.B: Decimal("1.5"),
    Tier.C: Decimal("1"),
}


@dataclass(frozen=True)
class AudienceFacts:
    plan: str
    tier: str
    segment: str


def audience_facts(merchant: Merchant) -> AudienceFacts:
    """The merchant's plan code, tier and segment: what notes and betas are aimed at."""
    plan = (
        Subscription.objects.filter(merchant=merchant).values_list("plan__code", flat=True).first()
    )
    journey = Journey.objects.filter(merchant=merchant).values("tier", "segment").first() or {}
    return AudienceFacts(
        plan=plan or "", tier=journey.get("tier", ""), segment=journey.get("segment", "")
    )


def _aimed_at(facts: AudienceFacts) -> Q:
    aimed = Q(audience=Audience.ALL)
    for audience, value in (
        (Audience.PLAN, facts.plan),
        (Audience.TIER, facts.tier),
        (Audience.SEGMENT, facts.segment),
    ):
        if value:
            aimed |= Q(audience=audience, audience_value=value)
    return aimed


def notes_for(merchant: Merchant, facts: AudienceFacts | None = None) -> QuerySet[ReleaseNote]:
    facts = facts or audience_facts(merchant)
    return ReleaseNote.objects.filter(_aimed_at(facts), published_at__lte=timezone.now())


def _count(queryset: QuerySet) -> Subquery:
    """`SELECT COUNT(*) …` of `queryset`, as a subquery."""
    return Subquery(queryset.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")[:1])


def unread_count(*, user: User, merchant: Merchant) -> int:
    """The badge in the manage navigation: notes for this shop newer than the person's last
    visit, plus community notices (an answer, a status change) not yet read. One query: it
    runs on every manage page."""
    journey = Journey.objects.filter(merchant_id=merchant.pk)
    plan = Subscription.objects.filter(merchant_id=merchant.pk).values("plan__code")[:1]
    seen = NotesSeen.objects.filter(user=user, merchant_id=merchant.pk).values("seen_at")[:1]
    notes = ReleaseNote.objects.filter(
        Q(audience=Audience.ALL)
        | Q(audience=Audience.PLAN, audience_value=Subquery(plan))
        | Q(audience=Audience.TIER, audience_value=Subquery(journey.values("tier")[:1]))
        | Q(audience=Audience.SEGMENT, audience_value=Subquery(journey.values("segment")[:1])),
        published_at__lte=timezone.now(),
    ).filter(Q(published_at__gt=Subquery(seen)) | ~Exists(seen))
    notices = unread_notices_of(user, merchant.pk).filter(kind__in=COMMUNITY_NOTIFICATION_KINDS)
    row = (
        Merchant.objects.filter(pk=merchant.pk)
        .annotate(notes=Coalesce(_count(notes), 0), notices=Coalesce(_count(notices), 0))
        .values("notes", "notices")
        .first()
    )
    return row["notes"] + row["notices"] if row else 0


# The badge is on every manage page: kept in Redis for a short while per person and shop.
# The person's own reads and new notices for them drop their key; a new note bumps the
# generation (every key); anything else (a tier change) shows within the TTL.
UNREAD_CACHE_SECONDS = 30
UNREAD_GENERATION_KEY = "community-unread-generation"


def _unread_key(generation, user_id: int, merchant_id: int) -> str:
    return f"community-unread:{generation}:{user_id}:{merchant_id}"


def cached_unread_count(*, user: User, merchant: Merchant) -> int:
    generation = cache_guard.get(UNREAD_GENERATION_KEY)
    if generation is cache_guard.UNAVAILABLE:
        return unread_count(user=user, merchant=merchant)
    key = _unread_key(generation or 0, user.pk, merchant.pk)
    cached = cache_guard.get(key)
    if isinstance(cached, int):
        return cached
    count = unread_count(user=user, merchant=merchant)
    cache_guard.set(key, count, UNREAD_CACHE_SECONDS)
    return count


def forget_unread(*, user_id: int, merchant_id: int) -> None:
    generation = cache_guard.get(UNREAD_GENERATION_KEY)
    if generation is not cache_guard.UNAVAILABLE:
        cache_guard.delete(_unread_key(generation or 0, user_id, merchant_id))


def forget_every_unread() -> None:
    cache_guard.set(UNREAD_GENERATION_KEY, timezone.now().timestamp(), None)


def last_seen(*, user: User, merchant: Merchant) -> datetime | None:
    return (
        NotesSeen.objects.filter(user=user, merchant=merchant)
        .values_list("seen_at", flat=True)
        .first()
    )


# ------------------------------------------------------------------------------ questions


def questions_of(merchant: Merchant) -> QuerySet[Question]:
    return Question.objects.filter(merchant=merchant).annotate(reply_count=Count("replies"))


def public_questions(exclude_merchant: Merchant | None = None) -> QuerySet[Question]:
    found = Question.objects.filter(is_public=True, answered_at__isnull=False)
    if exclude_merchant is not None:
        found = found.exclude(merchant=exclude_merchant)
    return found.annotate(reply_count=Count("replies"))


def question_for_merchant(merchant: Merchant, question_id: int) -> Question | None:
    """The merchant's own question, or another's public one."""
    return (
        Question.objects.filter(Q(merchant=merchant) | Q(is_public=True), pk=question_id)
        .prefetch_related("replies")
        .first()
    )


@dataclass(frozen=True)
class QuestionQueue:
    overdue: list[Question]
    due: list[Question]
    answered_today: int


def question_queue(now: datetime | None = None) -> QuestionQueue:
    now = now or timezone.now()
    waiting = list(
        Question.objects.filter(due_at__isnull=False)
        .select_related("merchant", "asked_by")
        .order_by("due_at", "id")
    )
    return QuestionQueue(
        overdue=[question for question in waiting if question.due_at < now],
        due=[question for question in waiting if question.due_at >= now],
        answered_today=Question.objects.filter(
            answered_at__gte=now - timedelta(hours=24), due_at__isnull=True
        ).count(),
    )


# ------------------------------------------------------------------------------ requests


def open_requests() -> QuerySet[FeatureRequest]:
    """Requests merchants see: everything not merged into another."""
    return FeatureRequest.objects.filter(merged_into__isnull=True).annotate(
        vote_count=Count("votes", distinct=True)
    )


def voted_request_ids(merchant: Merchant) -> set[int]:
    return set(Vote.objects.filter(merchant=merchant).values_list("request_id", flat=True))


@dataclass
class Demand:
    votes: int = 0
    weighted: Decimal = Decimal("0")
    at_risk: int = 0
    voters: list[VoterFacts] = field(default_factory=list)


@dataclass(frozen=True)
class VoterFacts:
    merchant_id: int
    name: str
    tier: str
    monthly_gmv: Decimal
    weight: Decimal
    health: int | None
    last_nps: int | None
    renewal_due: bool

    @property
    def at_risk(self) -> bool:
        return (
            (self.health is not None and self.health < settings.ONBOARDING_HEALTH_RED_BELOW)
            or (self.last_nps is not None and self.last_nps <= 6)
            or self.renewal_due
        )


def voter_facts(merchant_ids: set[int], today=None) -> dict[int, VoterFacts]:
    """Tier, monthly GMV, health, last NPS score and renewal of each merchant: five
    queries whatever the number."""
    if not merchant_ids:
        return {}
    today = today or timezone.localdate()
    ids = list(merchant_ids)
    names = dict(Merchant.objects.filter(pk__in=ids).values_list("pk", "name"))
    tiers = {
        row["merchant_id"]: row
        for row in TierAssignment.objects.filter(merchant_id__in=ids)
        .order_by("merchant_id", "-computed_at", "-id")
        .distinct("merchant_id")
        .values("merchant_id", "tier", "monthly_avg_gmv")
    }
    health = dict(
        HealthScore.objects.filter(merchant_id__in=ids)
        .order_by("merchant_id", "-computed_on")
        .distinct("merchant_id")
        .values_list("merchant_id", "score")
    )
    nps = dict(
        NpsResponse.objects.filter(survey__merchant_id__in=ids)
        .order_by("survey__merchant_id", "-answered_at")
        .distinct("survey__merchant_id")
        .values_list("survey__merchant_id", "score")
    )
    renewal_by = today + timedelta(days=settings.COMMUNITY_RENEWAL_RISK_DAYS)
    renewing = set(
        Subscription.objects.filter(
            merchant_id__in=ids, term_end__lte=renewal_by, ended_on__isnull=True
        ).values_list("merchant_id", flat=True)
    )
    facts = {}
    for merchant_id in ids:
        tier_row = tiers.get(merchant_id, {})
        tier = tier_row.get("tier", "")
        gmv = tier_row.get("monthly_avg_gmv") or Decimal("0")
        weight = TIER_WEIGHTS.get(tier, Decimal("1")) + (
            gmv / settings.COMMUNITY_GMV_WEIGHT_UNIT
        ).quantize(Decimal("0.01"))
        facts[merchant_id] = VoterFacts(
            merchant_id=merchant_id,
            name=names.get(merchant_id, ""),
            tier=tier,
            monthly_gmv=gmv,
            weight=weight,
            health=health.get(merchant_id),
            last_nps=nps.get(merchant_id),
            renewal_due=merchant_id in renewing,
        )
    return facts


def demand_for(requests: list[FeatureRequest]) -> dict[int, Demand]:
    """Votes, weighted votes and at-risk voters of each request: six queries in all."""
    votes = list(
        Vote.objects.filter(request__in=[request.pk for request in requests]).values_list(
            "request_id", "merchant_id"
        )
    )
    facts = voter_facts({merchant_id for _, merchant_id in votes})
    demand: dict[int, Demand] = defaultdict(Demand)
    for request_id, merchant_id in votes:
        voter = facts[merchant_id]
        entry = demand[request_id]
        entry.votes += 1
        entry.weighted += voter.weight
        entry.at_risk += voter.at_risk
        entry.voters.append(voter)
    return {request.pk: demand[request.pk] for request in requests}


@dataclass(frozen=True)
class BoardFilters:
    quadrant: str = ""
    status: str = ""
    tier: str = ""
    segment: str = ""


def board_requests(filters: BoardFilters) -> QuerySet[FeatureRequest]:
    found = open_requests().select_related("release_note")
    if filters.status:
        found = found.filter(status=filters.status)
    if filters.quadrant == "untriaged":
        found = found.filter(triaged_at__isnull=True)
    elif filters.quadrant:
        user = Q(user_value_score__gt=0)
        business = Q(business_value_score__gt=0)
        found = found.filter(triaged_at__isnull=False).filter(
            {
                "I": user & business,
                "II": user & ~business,
                "III": ~user & business,
                "IV": ~user & ~business,
            }[filters.quadrant]
        )
    if filters.tier:
        found = found.filter(
            Exists(
                Vote.objects.filter(request=OuterRef("pk"), merchant__journey__tier=filters.tier)
            )
        )
    if filters.segment:
        found = found.filter(
            Exists(
                Vote.objects.filter(
                    request=OuterRef("pk"), merchant__journey__segment=filters.segment
                )
            )
        )
    return found.order_by("-vote_count", "-created_at", "-id")


@dataclass(frozen=True)
class NpsBeforeAfter:
    before: int | None
    before_count: int
    after: int | None
    after_count: int


def _nps(scores: list[int]) -> int | None:
    if not scores:
        return None
    promoters = sum(score >= 9 for score in scores)
    detractors = sum(score <= 6 for score in scores)
    return round((promoters - detractors) * 100 / len(scores))


def voters_nps(request: FeatureRequest) -> NpsBeforeAfter:
    """NPS of the request's voters from answers before and after it shipped (all answers
    count as before while it has not shipped)."""
    merchant_ids = Vote.objects.filter(request=request).values("merchant_id")
    answers = list(
        NpsResponse.objects.filter(survey__merchant_id__in=merchant_ids).values_list(
            "score", "answered_at"
        )
    )
    shipped_at = request.status_changed_at if request.status == RequestStatus.SHIPPED else None
    before = [score for score, at in answers if shipped_at is None or at < shipped_at]
    after = [score for score, at in answers if shipped_at is not None and at >= shipped_at]
    return NpsBeforeAfter(_nps(before), len(before), _nps(after), len(after))


def nps_mentions(request: FeatureRequest) -> QuerySet[NpsResponse]:
    """NPS comments containing one of the request's keywords."""
    words = [word.strip() for word in request.nps_keywords.split(",") if word.strip()]
    if not words:
        return NpsResponse.objects.none()
    matches = Q()
    for word in words:
        matches |= Q(comment__icontains=word)
    return NpsResponse.objects.filter(matches).select_related("survey__merchant")


# ------------------------------------------------------------------------------ betas


def betas_for(merchant: Merchant, facts: AudienceFacts | None = None) -> QuerySet[Beta]:
    """Betas the merchant is invited to (running or upcoming) and those it joined."""
    facts = facts or audience_facts(merchant)
    today = timezone.localdate()
    joined = BetaParticipant.objects.filter(beta=OuterRef("pk"), merchant=merchant)
    return (
        Beta.objects.filter((_aimed_at(facts) & Q(ends_on__gte=today)) | Q(Exists(joined)))
        .annotate(joined=Exists(joined))
        .order_by("starts_on", "id")
    )


# ------------------------------------------------------------------------------ lifecycle


@dataclass(frozen=True)
class CardStage:
    stage: str
    label: str
    cares_about: str


def lifecycle_card(industry: str) -> list[CardStage]:
    if not industry:
        return []
    rows = dict(LifecycleCard.objects.filter(industry=industry).values_list("stage", "cares_about"))
    return [
        CardStage(stage.value, stage.label, rows[stage.value])
        for stage in LifecycleStage
        if rows.get(stage.value)
    ]


def lifecycle_stage_of(merchant: Merchant) -> str:
    """The lifecycle stage the merchant is in: its journey's first open milestone, or
    "after" once the 30 days are done (or without a journey)."""
    open_stages = set(
        Milestone.objects.filter(journey__merchant=merchant, completed_at__isnull=True).values_list(
            "stage", flat=True
        )
    )
    for stage in STAGE_ORDER:
        if stage in open_stages and stage in LifecycleStage.values:
            return stage
    return LifecycleStage.AFTER
