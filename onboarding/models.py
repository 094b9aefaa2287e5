"""Customer success: the 30-day onboarding journey, alerts, tasks, tiers, health and NPS.

Everything here lives in the public schema. Shop signals arrive only through the public
ledger (analytics.MerchantEvent / DailyMerchantStats); nothing here reads a tenant schema.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.stored_text import Stored, shown
from tenants.models import Merchant
from tenants.signup import SignupChannel


class Stage(models.TextChoices):
    FIRST_CONTACT = "first_contact", _("First contact")
    STORE_SETUP = "store_setup", _("Store setup")
    TRAINING = "training", _("Training")
    GO_LIVE = "go_live", _("Go-live")
    TIERING = "tiering", _("Tiering")


# Each stage's window counted from day 0 (the signup or the sales order): (opens, due).
STAGE_WINDOWS: dict[str, tuple[timedelta, timedelta]] = {
    Stage.FIRST_CONTACT: (timedelta(0), timedelta(hours=48)),
    Stage.STORE_SETUP: (timedelta(days=3), timedelta(days=7)),
    Stage.TRAINING: (timedelta(days=7), timedelta(days=14)),
    Stage.GO_LIVE: (timedelta(days=14), timedelta(days=30)),
    Stage.TIERING: (timedelta(days=30), timedelta(days=31)),
}
STAGE_ORDER = [stage.value for stage in Stage]


class StageStatus(models.TextChoices):
    DONE = "done", _("Done")
    UPCOMING = "upcoming", _("Upcoming")
    ON_TRACK = "on_track", _("On track")
    BEHIND = "behind", _("Behind")
    STUCK = "stuck", _("Stuck")


class Tier(models.TextChoices):
    SKA = "SKA", _("SKA (strategic key account)")
    KA = "KA", _("KA (key account)")
    A = "A", "A"
    B = "B", "B"
    C = "C", "C"


class Segment(models.TextChoices):
    NEEDS_OPERATIONS = "needs_operations", _("Needs operations help")
    NEEDS_TRAINING = "needs_training", _("Needs training")
    ACTIVE = "active", _("Active")


class CsmProfile(models.Model):
    """A CSM's place in the team: who their manager is and whether they take new merchants."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="csm_profile"
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_csms",
    )
    accepts_new_merchants = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("customer success manager")
        verbose_name_plural = _("customer success managers")

    def __str__(self) -> str:
        return f"{self.user} (manager: {self.manager or '-'})"


class Journey(models.Model):
    """One merchant's onboarding, from day 0 (signup or sales order) to tiering."""

    merchant = models.OneToOneField(Merchant, on_delete=models.CASCADE, related_name="journey")
    csm = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="journeys",
    )
    started_at = models.DateTimeField(db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # The current tier and segment, copied from the latest TierAssignment for the board.
    tier = models.CharField(max_length=3, choices=Tier.choices, blank=True)
    segment = models.CharField(max_length=20, choices=Segment.choices, blank=True)
    # Who the merchant told us to talk to (recorded at first contact).
    system_contact = models.CharField(max_length=200, blank=True)
    store_role_owners = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("onboarding journey")
        verbose_name_plural = _("onboarding journeys")
        indexes = [models.Index(fields=["csm", "completed_at"])]

    def __str__(self) -> str:
        return f"journey of {self.merchant_id}"

    def day(self, now=None) -> int:
        """Days since day 0 (day 0 is the day of signup)."""
        return max(0, ((now or timezone.now()) - self.started_at).days)


class Milestone(models.Model):
    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="milestones")
    stage = models.CharField(max_length=20, choices=Stage.choices)
    opens_at = models.DateTimeField()
    due_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    # "ledger", "csm", "training" or "tiering": what completed it.
    completed_via = models.CharField(max_length=20, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Ledger events from before a CSM reopened the stage do not complete it again.
    reopened_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["journey", "stage"], name="milestone_journey_stage")
        ]
        indexes = [
            models.Index(
                fields=["stage", "due_at"],
                condition=Q(completed_at__isnull=True),
                name="milestone_open_due",
            )
        ]

    def __str__(self) -> str:
        return f"{self.stage} of journey {self.journey_id}"

    def status(self, now=None, stuck_after_days: int | None = None) -> str:
        now = now or timezone.now()
        if stuck_after_days is None:
            stuck_after_days = settings.ONBOARDING_STUCK_AFTER_DAYS
        if self.completed_at is not None:
            return StageStatus.DONE
        if now > self.due_at + timedelta(days=stuck_after_days):
            return StageStatus.STUCK
        if now > self.due_at:
            return StageStatus.BEHIND
        if now < self.opens_at:
            return StageStatus.UPCOMING
        return StageStatus.ON_TRACK

    @property
    def on_time(self) -> bool:
        return self.completed_at is not None and self.completed_at <= self.due_at


class ContactChannel(models.TextChoices):
    PHONE = "phone", _("Phone")
    WECHAT = "wechat", _("WeChat")
    EMAIL = "email", _("Email")
    VISIT = "visit", _("Visit")
    VIDEO = "video", _("Video call")


class ContactLog(models.Model):
    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="contacts")
    channel = models.CharField(_("channel"), max_length=10, choices=ContactChannel.choices)
    notes = models.TextField(_("notes"))
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    contacted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contact log")
        ordering = ["-contacted_at", "-id"]

    def __str__(self) -> str:
        return f"{self.channel} contact for journey {self.journey_id}"


class TimelineKind(models.TextChoices):
    JOURNEY_STARTED = "journey_started", _("Journey started")
    CSM_ASSIGNED = "csm_assigned", _("CSM assigned")
    CONTACT = "contact", _("Contact logged")
    MILESTONE_DONE = "milestone_done", _("Stage completed")
    MILESTONE_REOPENED = "milestone_reopened", _("Stage reopened")
    ALERT = "alert", _("Alert")
    NOTE = "note", _("Note")
    TASK = "task", _("Task")
    TRAINING = "training", _("Training")
    TIER = "tier", _("Tier")
    HEALTH = "health", _("Health")
    NPS = "nps", _("NPS answer")


class TimelineEntry(models.Model):
    """The merchant's customer-success history: every change to its journey lands here."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="timeline")
    kind = models.CharField(max_length=20, choices=TimelineKind.choices)
    stage = models.CharField(max_length=20, choices=Stage.choices, blank=True)
    # As written: a person's own words (a note, a contact), or a system entry in the language
    # it was written in (shown only when `message` is empty).
    detail = models.TextField(blank=True)
    # A system entry's catalogue message and values (core.stored_text), translated when shown.
    message = models.CharField(max_length=500, blank=True, default="", db_default="")
    params = models.JSONField(blank=True, default=dict, db_default={})
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["merchant", "at"])]

    def __str__(self) -> str:
        return f"{self.kind} for {self.merchant_id}"

    @property
    def shown_detail(self) -> str:
        """The entry in the active (the reader's) language. Older system entries (no actor)
        were stored in English: a fixed one ("From the shop's data") is a catalogue msgid and
        is translated again, like an order's timeline (`OrderEvent.shown_message`)."""
        if self.message:
            return shown(self.message, self.params)
        if self.detail and self.actor_id is None:
            return gettext(self.detail)
        return self.detail


class AlertLevel(models.TextChoices):
    DUE_SOON = "due_soon", _("Due soon (24 h)")
    BEHIND = "behind", _("Behind")
    STUCK = "stuck", _("Stuck")


class Alert(models.Model):
    """Sent once per (journey, stage, level): the unique constraint is the guarantee."""

    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="alerts")
    stage = models.CharField(max_length=20, choices=Stage.choices)
    level = models.CharField(max_length=10, choices=AlertLevel.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Claimed (set) just before the email goes out, so a retry never mails twice.
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["journey", "stage", "level"], name="alert_once_per_stage_level"
            )
        ]

    def __str__(self) -> str:
        return f"{self.level} {self.stage} journey {self.journey_id}"


class RenewalHeadsUp(models.Model):
    """The merchant's CSM told of an upcoming renewal: one per billing RenewalReminder (the
    one-to-one is the guarantee), so a retried sweep tells nobody twice."""

    reminder = models.OneToOneField(
        "billing.RenewalReminder", on_delete=models.CASCADE, related_name="csm_heads_up"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Claimed (set) just before the email goes out, so a retry never mails twice.
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("renewal heads-up")
        verbose_name_plural = _("renewal heads-ups")

    def __str__(self) -> str:
        return f"renewal reminder {self.reminder_id} -> {self.recipient_id}"


class TrainingSession(models.Model):
    title = models.CharField(_("title"), max_length=200)
    starts_at = models.DateTimeField(_("starts at"))
    location = models.CharField(_("where"), max_length=300, help_text=_("A room or a video link."))
    capacity = models.PositiveIntegerField(
        _("capacity"), default=20, validators=[MinValueValidator(1), MaxValueValidator(1000)]
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("training session")
        verbose_name_plural = _("training sessions")
        ordering = ["starts_at", "id"]

    def __str__(self) -> str:
        return self.title


class TrainingRegistration(models.Model):
    session = models.ForeignKey(
        TrainingSession, on_delete=models.CASCADE, related_name="registrations"
    )
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    registered_at = models.DateTimeField(default=timezone.now)
    attended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("training registration")
        verbose_name_plural = _("training registrations")
        ordering = ["session__starts_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="training_once_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.session_id}"


class TaskSource(models.TextChoices):
    MANUAL = "manual", _("Manual")
    PLAYBOOK = "playbook", _("Playbook")
    HEALTH = "health", _("Health turned red")
    NPS = "nps", _("Detractor answer")


# Tasks the platform makes; their titles were stored in one language before `message`.
SYSTEM_TASK_SOURCES = (TaskSource.HEALTH, TaskSource.NPS)


class Task(models.Model):
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="cs_tasks")
    # As typed (a CSM's task, a playbook's step), or a platform task's title in the platform's
    # language (shown only when `message` is empty).
    title = models.CharField(_("title"), max_length=200)
    # A platform task's catalogue message and values (core.stored_text), translated when shown:
    # each CSM reads it in their own language.
    message = models.CharField(max_length=200, blank=True, default="", db_default="")
    params = models.JSONField(blank=True, default=dict, db_default={})
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="cs_tasks"
    )
    due_on = models.DateField(_("due on"))
    source = models.CharField(max_length=10, choices=TaskSource.choices, default=TaskSource.MANUAL)
    # Tasks made by the platform carry a key, so a retried sweep never makes one twice.
    source_key = models.CharField(max_length=120, null=True, blank=True, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Set once when a missed detractor call-back was reported to the CSM's lead.
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["assignee", "completed_at", "due_on"])]

    def __str__(self) -> str:
        return self.title

    @property
    def shown_title(self) -> str:
        """The title in the active (the reader's) language. A platform task from before
        `message` stored its words in English: a fixed one ("Health turned red: find out
        why") is a catalogue msgid and is translated again; a person's title never is."""
        if self.message:
            return shown(self.message, self.params)
        if self.source in SYSTEM_TASK_SOURCES:
            return gettext(self.title)
        return self.title

    @property
    def stored_title(self) -> Stored | str:
        """The title as a value of another stored message ("Done: %(title)s"), translated
        when shown as `shown_title` is."""
        if self.message:
            return Stored(self.message, self.params)
        if self.source in SYSTEM_TASK_SOURCES:
            return Stored(self.title, {})
        return self.title


class Playbook(models.Model):
    name = models.CharField(max_length=120, unique=True)

    class Meta:
        verbose_name = _("playbook")
        verbose_name_plural = _("playbooks")

    def __str__(self) -> str:
        return self.name


class PlaybookStep(models.Model):
    playbook = models.ForeignKey(Playbook, on_delete=models.CASCADE, related_name="steps")
    title = models.CharField(max_length=200)
    due_in_days = models.PositiveIntegerField(default=0)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("playbook step")
        verbose_name_plural = _("playbook steps")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title


class TierThreshold(models.Model):
    """A tier's entry bar; platform admins edit these. C is the floor (zeros)."""

    tier = models.CharField(max_length=3, choices=Tier.choices, unique=True)
    min_monthly_gmv = models.DecimalField(
        _("minimum monthly average GMV"),
        max_digits=18,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    min_active_outlets = models.PositiveIntegerField(_("minimum active outlets"), default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("tier threshold")
        verbose_name_plural = _("tier thresholds")

    def __str__(self) -> str:
        return self.tier


class TierAssignment(models.Model):
    """Tier and segment history; the newest row is the merchant's current tier."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="tiers")
    tier = models.CharField(max_length=3, choices=Tier.choices)
    segment = models.CharField(max_length=20, choices=Segment.choices)
    monthly_avg_gmv = models.DecimalField(max_digits=18, decimal_places=2)
    active_outlets = models.PositiveIntegerField()
    # The first day of the month the figures were computed in (the 3 full months before it).
    period = models.DateField()
    # "monthly" (beat), "day30" (end of onboarding) or "on_demand" (a CSM asked).
    reason = models.CharField(max_length=12)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("tier assignment")
        verbose_name_plural = _("tier assignments")
        ordering = ["-computed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "period"],
                condition=Q(reason="monthly"),
                name="tier_monthly_once",
            )
        ]
        indexes = [models.Index(fields=["merchant", "computed_at"])]

    def __str__(self) -> str:
        return f"{self.merchant_id}: {self.tier}"


HEALTH_FACTORS = ("gmv_trend", "orders", "activity", "onboarding", "nps", "invoices")


class HealthWeights(models.Model):
    """Points (out of 100) of each health factor, platform-wide ("default"), for one tier
    ("tier:KA") or for one onboarding stage ("stage:setup"); platform admins edit them. A
    merchant still onboarding is scored with its current stage's weights, else its tier's,
    else the default (onboarding.scoring.weights_for)."""

    scope = models.CharField(_("applies to"), max_length=24, unique=True)
    gmv_trend = models.IntegerField(_("GMV trend"), default=25)
    orders = models.IntegerField(_("orders"), default=20)
    activity = models.IntegerField(_("selling days"), default=10)
    onboarding = models.IntegerField(_("onboarding progress"), default=20)
    nps = models.IntegerField(_("NPS"), default=15)
    invoices = models.IntegerField(_("invoices paid on time"), default=10)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["scope"]
        constraints = [
            models.CheckConstraint(
                condition=Q(gmv_trend__gte=0, orders__gte=0, activity__gte=0)
                & Q(onboarding__gte=0, nps__gte=0, invoices__gte=0),
                name="health_weights_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(
                    gmv_trend=100
                    - models.F("orders")
                    - models.F("activity")
                    - models.F("onboarding")
                    - models.F("nps")
                    - models.F("invoices")
                ),
                name="health_weights_sum_to_100",
            ),
        ]

    def __str__(self) -> str:
        return self.scope

    def as_dict(self) -> dict[str, int]:
        return {factor: getattr(self, factor) for factor in HEALTH_FACTORS}


class HealthOverride(models.Model):
    """A CSM's judgement over the computed score, with a reason, until it expires (or is
    withdrawn). Daily scores keep both the computed and the overriding figure."""

    merchant = models.ForeignKey(
        Merchant, on_delete=models.CASCADE, related_name="health_overrides"
    )
    score = models.IntegerField(_("score"))
    reason = models.CharField(_("reason"), max_length=500)
    expires_at = models.DateTimeField(_("expires"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(score__gte=0, score__lte=100), name="health_override_0_100"
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")),
                name="health_override_expires_later",
            ),
        ]
        indexes = [models.Index(fields=["merchant", "expires_at"], name="health_override_active")]

    def __str__(self) -> str:
        return f"{self.merchant_id}: {self.score} until {self.expires_at:%Y-%m-%d}"


class HealthScore(models.Model):
    """One score per merchant and day, 0-100; `components` keeps each measure's points.
    `score` is what the weights computed; `override_score` what a CSM set in its place."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="health")
    computed_on = models.DateField()
    score = models.PositiveSmallIntegerField()
    components = models.JSONField(default=dict)
    override = models.ForeignKey(
        HealthOverride, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    override_score = models.IntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("health score")
        verbose_name_plural = _("health scores")
        ordering = ["-computed_on"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "computed_on"], name="health_once_a_day")
        ]

    def __str__(self) -> str:
        return f"{self.merchant_id} {self.computed_on}: {self.score}"

    @property
    def effective_score(self) -> int:
        return self.override_score if self.override_score is not None else self.score

    @property
    def is_red(self) -> bool:
        return self.effective_score < settings.ONBOARDING_HEALTH_RED_BELOW


class SurveyKind(models.TextChoices):
    WAVE = "wave", _("Relationship (quarterly wave)")
    MANUAL = "manual", _("Sent by customer success")
    GO_LIVE = "go_live", _("After go-live")
    RENEWAL = "renewal", _("After renewal")
    SUPPORT = "support", _("After a support answer")


class NpsSurvey(models.Model):
    """Relationship waves (day 30, then every 90 days; once per merchant per wave) and surveys
    a CSM sends by hand. Whoever asks, a merchant gets at most one survey in
    ONBOARDING_NPS_QUIET_DAYS (services.send_nps_survey and the wave sweep both check)."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="nps_surveys")
    kind = models.CharField(
        _("kind"),
        max_length=16,
        choices=SurveyKind.choices,
        default=SurveyKind.WAVE,
        # Set-based inserts (the wave sweep, bulk seeds) that name no kind open waves.
        db_default=SurveyKind.WAVE,
    )
    # Waves only; a survey sent by hand has none.
    wave = models.IntegerField(null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField(default=timezone.now)
    # Claimed just before the invitation email goes out (never twice).
    emailed_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("NPS survey")
        verbose_name_plural = _("NPS surveys")
        ordering = ["-sent_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "wave"], name="nps_once_per_wave"),
            models.CheckConstraint(
                condition=Q(kind="wave", wave__gte=0) | (~Q(kind="wave") & Q(wave__isnull=True)),
                name="nps_wave_only_for_waves",
            ),
        ]
        indexes = [models.Index(fields=["merchant", "sent_at"], name="nps_merchant_sent")]

    def __str__(self) -> str:
        return (
            f"NPS {self.kind} {self.wave if self.wave is not None else ''} for {self.merchant_id}"
        )


class NpsResponse(models.Model):
    survey = models.OneToOneField(NpsSurvey, on_delete=models.CASCADE, related_name="response")
    score = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(0), MaxValueValidator(10)]
    )
    comment = models.TextField(blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("NPS response")
        verbose_name_plural = _("NPS responses")
        constraints = [
            models.CheckConstraint(
                condition=Q(score__gte=0) & Q(score__lte=10), name="nps_score_0_10"
            )
        ]

    def __str__(self) -> str:
        return f"{self.score} for survey {self.survey_id}"


class SweepRun(models.Model):
    """When each sweep last ran and what it did (for the console and for operations)."""

    name = models.CharField(max_length=40)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    figures = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("sweep run")
        verbose_name_plural = _("sweep runs")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.name} @ {self.started_at}"


class SignupSource(models.Model):
    """How a merchant came to the platform (the CAC-by-source and referral-share inputs)."""

    merchant = models.OneToOneField(
        Merchant, on_delete=models.CASCADE, related_name="signup_source"
    )
    channel = models.CharField(_("channel"), max_length=12, choices=SignupChannel.choices)
    referrer = models.ForeignKey(
        Merchant, null=True, blank=True, on_delete=models.SET_NULL, related_name="referrals"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(channel="referral") | Q(referrer__isnull=True),
                name="signup_referrer_only_for_referrals",
            )
        ]

    def __str__(self) -> str:
        return f"{self.merchant_id}: {self.channel}"


class SavedSegment(models.Model):
    """A named filter of merchants (onboarding.segments.SegmentFilters as JSON) that customer
    success acts on in bulk: assign a CSM, apply a playbook, send a survey."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    filters = models.JSONField(default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
