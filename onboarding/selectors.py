"""Reads for the CSM console and the merchant's checklist (public tables only)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import (
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import PlatformRole, User
from accounts.selectors import unread_notices_of
from analytics.metrics import NpsFigure
from analytics.models import DailyMerchantStats
from billing.selectors import InvoiceFacts, invoice_facts
from core.links import followable
from onboarding.links import merchant_link
from onboarding.models import (
    STAGE_ORDER,
    Alert,
    HealthScore,
    Journey,
    Milestone,
    NpsResponse,
    NpsSurvey,
    Stage,
    StageStatus,
    Task,
    TierAssignment,
    TimelineEntry,
    TrainingRegistration,
    TrainingSession,
)
from tenants.models import Merchant

# ---------------------------------------------------------------------------- billing facts


def overdue_invoice_counts(merchant_ids: Sequence[int]) -> dict[int, int]:
    """Issued invoices past their due date, per merchant: the health score's invoice input.

    Customer success reads billing's invoice facts directly (onboarding sits above billing).
    """
    return {
        merchant_id: facts.overdue_count
        for merchant_id, facts in invoice_facts(merchant_ids).items()
    }


@dataclass(frozen=True)
class InvoiceSummary:
    open_count: int = 0
    overdue_count: int = 0
    overdue_total: Decimal = Decimal(0)


def invoice_summary(merchant: Merchant) -> InvoiceSummary:
    """Merchant 360's invoices card."""
    facts: InvoiceFacts | None = invoice_facts([merchant.pk]).get(merchant.pk)
    if facts is None:
        return InvoiceSummary()
    return InvoiceSummary(
        open_count=facts.open_count,
        overdue_count=facts.overdue_count,
        overdue_total=facts.overdue_total,
    )


def csm_for_merchant(merchant: Merchant) -> User | None:
    """The merchant's CSM (billing's renewal reminders go to them too)."""
    journey = Journey.objects.filter(merchant=merchant).select_related("csm").first()
    return journey.csm if journey else None


# ---------------------------------------------------------------------------- journeys


def stuck_after() -> timedelta:
    return timedelta(days=settings.ONBOARDING_STUCK_AFTER_DAYS)


def journey_status(milestones: Iterable[Milestone], now: datetime | None = None) -> str:
    """The worst status of the stages that are not done (Done when all are)."""
    now = now or timezone.now()
    statuses = [m.status(now) for m in milestones]
    for worst in (StageStatus.STUCK, StageStatus.BEHIND):
        if worst in statuses:
            return worst
    if all(s == StageStatus.DONE for s in statuses):
        return StageStatus.DONE
    return StageStatus.ON_TRACK


def current_milestone(milestones: Sequence[Milestone]) -> Milestone | None:
    open_ = [m for m in milestones if m.completed_at is None]
    return min(open_, key=lambda m: STAGE_ORDER.index(m.stage)) if open_ else None


def merchant_journey(merchant: Merchant) -> Journey | None:
    return (
        Journey.objects.select_related("csm")
        .prefetch_related("milestones")
        .filter(merchant_id=merchant.pk)
        .first()
    )


@dataclass(frozen=True)
class BoardFilters:
    csm_id: int | None = None
    stage: str = ""
    status: str = ""
    tier: str = ""
    include_done: bool = False


def board_journeys(filters: BoardFilters, now: datetime | None = None) -> QuerySet[Journey]:
    """Journeys with their current stage and status worked out in SQL (filterable, paged)."""
    now = now or timezone.now()
    open_ms = Milestone.objects.filter(journey=OuterRef("pk"), completed_at__isnull=True)
    journeys = (
        Journey.objects.select_related("merchant", "csm")
        .prefetch_related("milestones")
        .exclude(merchant__status="closed")
        .annotate(
            current_stage=Subquery(open_ms.order_by("opens_at", "id").values("stage")[:1]),
            is_stuck=Exists(open_ms.filter(due_at__lt=now - stuck_after())),
            is_behind=Exists(open_ms.filter(due_at__lt=now)),
        )
    )
    if not filters.include_done and filters.status != StageStatus.DONE:
        journeys = journeys.filter(completed_at__isnull=True)
    if filters.csm_id:
        journeys = journeys.filter(csm_id=filters.csm_id)
    if filters.stage in Stage.values:
        journeys = journeys.filter(current_stage=filters.stage)
    if filters.tier:
        journeys = journeys.filter(tier=filters.tier)
    if filters.status == StageStatus.STUCK:
        journeys = journeys.filter(is_stuck=True)
    elif filters.status == StageStatus.BEHIND:
        journeys = journeys.filter(is_behind=True, is_stuck=False)
    elif filters.status == StageStatus.ON_TRACK:
        journeys = journeys.filter(is_behind=False, completed_at__isnull=True)
    elif filters.status == StageStatus.DONE:
        journeys = journeys.filter(completed_at__isnull=False)
    return journeys.order_by("started_at", "id")


@dataclass
class BoardColumn:
    stage: str
    label: str
    journeys: list[Journey] = field(default_factory=list)


def board_columns(journeys: Iterable[Journey], now: datetime | None = None) -> list[BoardColumn]:
    now = now or timezone.now()
    columns = {stage: BoardColumn(stage, Stage(stage).label) for stage in STAGE_ORDER}
    done = BoardColumn("done", str(StageStatus.DONE.label))
    for journey in journeys:
        journey.status = journey_status(journey.milestones.all(), now)
        journey.days = journey.day(now)
        target = columns.get(journey.current_stage) if journey.current_stage else done
        target.journeys.append(journey)
    return [*columns.values(), done]


def csm_choices() -> QuerySet[User]:
    return User.objects.filter(
        is_active=True, platform_roles__contains=[PlatformRole.CSM]
    ).order_by("email")


# ---------------------------------------------------------------------------- my day


@dataclass(frozen=True)
class DayItem:
    priority: int  # lower comes first
    kind: str
    text: str
    link: str
    due: datetime | date | None
    task_id: int | None = None


def my_day(user: User, now: datetime | None = None) -> list[DayItem]:
    """The CSM's prioritised list: stuck and behind stages first, then overdue tasks,
    tasks due today, first contacts due within 24 h, unread alerts."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    items: list[DayItem] = []
    open_stages = (
        Milestone.objects.filter(
            journey__csm=user,
            completed_at__isnull=True,
            due_at__lt=now + timedelta(hours=24),
            journey__merchant__status="active",
        )
        .select_related("journey__merchant")
        .order_by("due_at")[:200]
    )
    for milestone in open_stages:
        status = milestone.status(now)
        name = milestone.journey.merchant.name
        params = {"merchant": name, "stage": milestone.get_stage_display()}
        if status == StageStatus.STUCK:
            priority, text = 0, _("%(merchant)s: %(stage)s is stuck") % params
        elif status == StageStatus.BEHIND:
            priority, text = 1, _("%(merchant)s: %(stage)s is behind") % params
        else:
            priority, text = 4, _("%(merchant)s: %(stage)s is due soon") % params
        items.append(
            DayItem(
                priority,
                status,
                text,
                merchant_link(milestone.journey.merchant_id),
                milestone.due_at,
            )
        )
    tasks = (
        Task.objects.filter(assignee=user, completed_at__isnull=True, due_on__lte=today)
        .select_related("merchant")
        .order_by("due_on")[:200]
    )
    for task in tasks:
        overdue = task.due_on < today
        items.append(
            DayItem(
                2 if overdue else 3,
                "task_overdue" if overdue else "task_due",
                f"{task.merchant.name}: {task.shown_title}",
                merchant_link(task.merchant_id),
                task.due_on,
                task.pk,
            )
        )
    for note in unread_notices_of(user)[:50]:
        # A stored link is followed only when it stays on our hosts (relative: the console).
        link = followable(note.link, (settings.PLATFORM_HOST,))
        items.append(DayItem(5, "notification", note.shown_text, link, note.created_at))

    def sort_key(item: DayItem):
        due = item.due
        if isinstance(due, datetime):
            due = due.date()
        return (item.priority, due or today)

    return sorted(items, key=sort_key)


@dataclass(frozen=True)
class TeamStage:
    merchant_id: int
    merchant_name: str
    stage_label: str
    status: str
    due_at: datetime
    link: str


@dataclass
class TeamMemberAttention:
    """One CSM of a lead's team: their Behind and Stuck stages and overdue tasks."""

    csm: User
    stages: list[TeamStage] = field(default_factory=list)
    overdue_tasks: int = 0

    @property
    def stuck(self) -> int:
        return sum(1 for stage in self.stages if stage.status == StageStatus.STUCK)

    @property
    def behind(self) -> int:
        return sum(1 for stage in self.stages if stage.status == StageStatus.BEHIND)


def team_attention(lead: User, now: datetime | None = None) -> list[TeamMemberAttention]:
    """Every Behind or Stuck stage and the overdue task count of each CSM the lead manages
    (CsmProfile.manager), worst first. Three queries whatever the team's size."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    members = {
        user.pk: TeamMemberAttention(csm=user)
        for user in User.objects.filter(csm_profile__manager=lead).order_by("email")
    }
    if not members:
        return []
    late_stages = (
        Milestone.objects.filter(
            journey__csm_id__in=members,
            completed_at__isnull=True,
            due_at__lt=now,
            journey__merchant__status="active",
        )
        .select_related("journey__merchant")
        .order_by("due_at")
    )
    for milestone in late_stages:
        members[milestone.journey.csm_id].stages.append(
            TeamStage(
                merchant_id=milestone.journey.merchant_id,
                merchant_name=milestone.journey.merchant.name,
                stage_label=str(milestone.get_stage_display()),
                status=milestone.status(now),
                due_at=milestone.due_at,
                link=merchant_link(milestone.journey.merchant_id),
            )
        )
    overdue = (
        Task.objects.filter(assignee_id__in=members, completed_at__isnull=True, due_on__lt=today)
        .values("assignee_id")
        .annotate(count=Count("id"))
    )
    for row in overdue:
        members[row["assignee_id"]].overdue_tasks = row["count"]
    return sorted(
        members.values(),
        key=lambda member: (-member.stuck, -member.behind, -member.overdue_tasks, member.csm.email),
    )


# ---------------------------------------------------------------------------- merchant 360


@dataclass(frozen=True)
class MonthGmv:
    month: date
    net_gmv: Decimal
    orders: int
    percent: int  # of the best month, for the bar chart

    @property
    def bar_top(self) -> int:
        """The bar's top edge in a 100-high SVG chart."""
        return 100 - self.percent


def monthly_gmv(merchant: Merchant, months: int = 12) -> list[MonthGmv]:
    today = timezone.localdate()
    start = (today.replace(day=1) - timedelta(days=31 * (months - 1))).replace(day=1)
    rows = (
        DailyMerchantStats.objects.filter(merchant_id=merchant.pk, date__gte=start)
        .annotate(month=TruncMonth("date"))
        .values("month")
        .annotate(net=Sum(F("gmv") - F("refunds")), orders=Sum("orders"))
        .order_by("month")
    )
    found = list(rows)
    best = max((row["net"] for row in found), default=Decimal(0)) or Decimal(1)
    return [
        MonthGmv(
            month=row["month"],
            net_gmv=row["net"],
            orders=row["orders"],
            percent=max(0, int(100 * row["net"] / best)),
        )
        for row in found
    ]


@dataclass(frozen=True)
class HealthTrend:
    latest: HealthScore | None
    arrow: str  # "up", "down", "flat" or ""
    history: list[HealthScore]


def health_trend(merchant: Merchant, days: int = 30) -> HealthTrend:
    history = list(HealthScore.objects.filter(merchant_id=merchant.pk)[:days])
    if not history:
        return HealthTrend(None, "", [])
    arrow = ""
    if len(history) > 1:
        change = history[0].effective_score - history[1].effective_score
        arrow = "up" if change > 0 else "down" if change < 0 else "flat"
    return HealthTrend(history[0], arrow, history)


@dataclass
class Merchant360:
    merchant: Merchant
    journey: Journey | None
    milestones: list[Milestone]
    status: str
    contacts: list
    timeline: list[TimelineEntry]
    gmv: list[MonthGmv]
    health: HealthTrend
    tiers: list[TierAssignment]
    nps: list[NpsResponse]
    open_tasks: list[Task]
    done_tasks: list[Task]
    alerts: list[Alert]
    invoices: InvoiceSummary
    trainings: list[TrainingRegistration]


def merchant_360(merchant: Merchant, now: datetime | None = None) -> Merchant360:
    now = now or timezone.now()
    journey = merchant_journey(merchant)
    milestones = (
        sorted(journey.milestones.all(), key=lambda m: STAGE_ORDER.index(m.stage))
        if journey
        else []
    )
    tasks = Task.objects.filter(merchant_id=merchant.pk).select_related("assignee")
    return Merchant360(
        merchant=merchant,
        journey=journey,
        milestones=milestones,
        status=journey_status(milestones, now) if journey else "",
        contacts=list(journey.contacts.select_related("logged_by")[:50]) if journey else [],
        timeline=list(
            TimelineEntry.objects.filter(merchant_id=merchant.pk).select_related("actor")[:100]
        ),
        gmv=monthly_gmv(merchant),
        health=health_trend(merchant),
        tiers=list(TierAssignment.objects.filter(merchant_id=merchant.pk)[:12]),
        nps=list(
            NpsResponse.objects.filter(survey__merchant_id=merchant.pk)
            .select_related("survey", "answered_by")
            .order_by("-answered_at")
        ),
        open_tasks=list(tasks.filter(completed_at__isnull=True)),
        done_tasks=list(tasks.filter(completed_at__isnull=False).order_by("-completed_at")[:20]),
        alerts=list(Alert.objects.filter(journey__merchant_id=merchant.pk)[:20]) if journey else [],
        invoices=invoice_summary(merchant),
        trainings=list(
            TrainingRegistration.objects.filter(merchant_id=merchant.pk).select_related(
                "session", "user"
            )
        ),
    )


# ---------------------------------------------------------------------------- training


def upcoming_sessions(now: datetime | None = None) -> QuerySet[TrainingSession]:
    now = now or timezone.now()
    return (
        TrainingSession.objects.filter(starts_at__gte=now - timedelta(hours=12))
        .annotate(registered=Count("registrations"))
        .order_by("starts_at")
    )


# ---------------------------------------------------------------------------- NPS


NPS_COUNTS = {
    "respondents": Count("pk"),
    "promoters": Count("pk", filter=Q(score__gte=9)),
    "passives": Count("pk", filter=Q(score__gte=7, score__lte=8)),
    "detractors": Count("pk", filter=Q(score__lte=6)),
}


@dataclass(frozen=True)
class NpsRow:
    label: str
    figure: NpsFigure


def _nps_rows(group_by: str, label=lambda value: value) -> list[NpsRow]:
    rows = NpsResponse.objects.values(group_by).annotate(**NPS_COUNTS).order_by(group_by)
    return [
        NpsRow(
            label(row[group_by]),
            NpsFigure(row["respondents"], row["promoters"], row["passives"], row["detractors"]),
        )
        for row in rows
    ]


@dataclass(frozen=True)
class NpsReport:
    overall: NpsFigure
    by_csm: list[NpsRow]
    by_tier: list[NpsRow]
    by_cohort: list[NpsRow]
    by_month: list[NpsRow]


def nps_report() -> NpsReport:
    """Answers grouped in SQL (one query per view). Tier is the merchant's current tier;
    cohort the month of its journey's day 0."""
    overall = NpsResponse.objects.aggregate(**NPS_COUNTS)
    return NpsReport(
        overall=NpsFigure(**overall),
        by_csm=_nps_rows("survey__merchant__journey__csm__email", lambda v: v or _("No CSM")),
        by_tier=_nps_rows("survey__merchant__journey__tier", lambda v: v or _("Not tiered")),
        by_cohort=_cohort_rows(),
        by_month=_month_rows(),
    )


def _cohort_rows() -> list[NpsRow]:
    rows = (
        NpsResponse.objects.annotate(cohort=TruncMonth("survey__merchant__created_at"))
        .values("cohort")
        .annotate(**NPS_COUNTS)
        .order_by("cohort")
    )
    return [
        NpsRow(
            row["cohort"].strftime("%Y-%m") if row["cohort"] else "—",
            NpsFigure(row["respondents"], row["promoters"], row["passives"], row["detractors"]),
        )
        for row in rows
    ]


def _month_rows() -> list[NpsRow]:
    rows = (
        NpsResponse.objects.annotate(month=TruncMonth("answered_at"))
        .values("month")
        .annotate(**NPS_COUNTS)
        .order_by("month")
    )
    return [
        NpsRow(
            row["month"].strftime("%Y-%m"),
            NpsFigure(row["respondents"], row["promoters"], row["passives"], row["detractors"]),
        )
        for row in rows
    ]


def open_survey(merchant: Merchant) -> NpsSurvey | None:
    """The merchant's newest unanswered survey (only the current wave can be answered)."""
    latest = NpsSurvey.objects.filter(merchant_id=merchant.pk).order_by("-sent_at", "-id").first()
    if latest is None or NpsResponse.objects.filter(survey=latest).exists():
        return None
    return latest
