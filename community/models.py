"""The merchant community: release notes, questions, feature requests and their triage,
betas, and the industry lifecycle cards. Everything lives in the public schema and names
its merchant; nothing here reads a tenant schema."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenants.models import Merchant

USER = settings.AUTH_USER_MODEL


class Audience(models.TextChoices):
    ALL = "all", _("All merchants")
    PLAN = "plan", _("A plan")
    TIER = "tier", _("A tier")
    SEGMENT = "segment", _("A segment")


class ReleaseNote(models.Model):
    """What's new: the feature, the scenario it serves and what to watch out for."""

    title = models.CharField(_("title"), max_length=160)
    feature = models.TextField(_("the feature"), max_length=5000)
    scenario = models.TextField(_("the scenario it serves"), max_length=5000)
    caveats = models.TextField(_("things to watch out for"), max_length=5000, blank=True)
    audience = models.CharField(
        _("who it is for"), max_length=10, choices=Audience.choices, default=Audience.ALL
    )
    # The plan code, tier or segment the note is for (blank for everyone).
    audience_value = models.CharField(_("which one"), max_length=40, blank=True)
    link = models.CharField(
        _("where it lives"),
        max_length=200,
        blank=True,
        help_text=_("A path in the merchant console, e.g. /manage/marketing/."),
    )
    published_at = models.DateTimeField(default=timezone.now, db_index=True)
    created_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-published_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(audience="all", audience_value="") | ~Q(audience="all"),
                name="release_note_audience_value",
            )
        ]

    def __str__(self) -> str:
        return self.title


class NotesSeen(models.Model):
    """When a person last opened What's new in a shop: newer notes are unread."""

    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+")
    seen_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "merchant"], name="notes_seen_once")]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.merchant_id}: {self.seen_at}"


class Question(models.Model):
    """答疑解惑: a merchant's question, answered in its thread by platform staff."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="questions")
    asked_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    title = models.CharField(_("question"), max_length=200)
    body = models.TextField(_("details"), max_length=10000, blank=True)
    is_public = models.BooleanField(
        _("others may read it"),
        default=False,
        help_text=_("Other merchants can read a public thread (your shop's name is not shown)."),
    )
    asked_at = models.DateTimeField(default=timezone.now)
    # When staff owe the next answer (community.workday.answer_due); None once answered.
    due_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-asked_at", "-id"]
        indexes = [
            models.Index(fields=["due_at"], name="question_due_idx"),
            models.Index(fields=["merchant", "asked_at"], name="question_merchant_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def awaiting_staff(self) -> bool:
        return self.due_at is not None

    def is_overdue(self, now=None) -> bool:
        return self.due_at is not None and (now or timezone.now()) > self.due_at


class Reply(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    from_staff = models.BooleanField(default=False)
    body = models.TextField(_("answer"), max_length=10000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"reply {self.pk} to {self.question_id}"


class RequestStatus(models.TextChoices):
    NEW = "new", _("New")
    UNDER_REVIEW = "under_review", _("Under review")
    PLANNED = "planned", _("Planned")
    IN_BETA = "in_beta", _("In beta")
    SHIPPED = "shipped", _("Shipped")
    DECLINED = "declined", _("Declined")


class UserValue(models.TextChoices):
    GROWTH_EFFICIENCY = "growth_efficiency", _("Brings the merchant growth or efficiency")
    DIGITAL_EXPERIENCE = (
        "digital_experience",
        _("Raises digitalisation, experience, safety or stability"),
    )


class BusinessValue(models.TextChoices):
    GROWTH_CAPACITY = "growth_capacity", _("Merchant growth and our commercial capacity")
    COST_EFFICIENCY = "cost_efficiency", _("Cost and efficiency inside the customer")
    ECOSYSTEM = "ecosystem", _("Long-term ecosystem or social value via third parties")


class FeatureRequest(models.Model):
    """A merchant's need, voted on by merchants and triaged by product staff."""

    title = models.CharField(_("title"), max_length=160)
    need = models.TextField(
        _("what you are trying to do"),
        max_length=10000,
        help_text=_("The job you need done and why, not only the feature you have in mind."),
    )
    merchant = models.ForeignKey(
        Merchant, null=True, on_delete=models.SET_NULL, related_name="feature_requests"
    )
    created_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(
        max_length=14, choices=RequestStatus.choices, default=RequestStatus.NEW, db_index=True
    )
    status_changed_at = models.DateTimeField(default=timezone.now)
    declined_reason = models.CharField(max_length=1000, blank=True)
    release_note = models.ForeignKey(
        ReleaseNote, null=True, blank=True, on_delete=models.SET_NULL, related_name="requests"
    )
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged"
    )
    # Triage (product staff): each axis a classification and a score 0-3 (0: none).
    user_value = models.CharField(max_length=20, choices=UserValue.choices, blank=True)
    user_value_score = models.SmallIntegerField(default=0)
    business_value = models.CharField(max_length=20, choices=BusinessValue.choices, blank=True)
    business_value_score = models.SmallIntegerField(default=0)
    capacity_cost = models.SmallIntegerField(default=0)
    capacity_note = models.CharField(max_length=300, blank=True)
    triaged_at = models.DateTimeField(null=True, blank=True)
    # Words that, found in an NPS comment, mean the merchant asked for this (closing the loop).
    nps_keywords = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(user_value_score__gte=0, user_value_score__lte=3),
                name="request_user_value_0_3",
            ),
            models.CheckConstraint(
                condition=Q(business_value_score__gte=0, business_value_score__lte=3),
                name="request_business_value_0_3",
            ),
            models.CheckConstraint(
                condition=Q(capacity_cost__gte=0, capacity_cost__lte=3),
                name="request_capacity_cost_0_3",
            ),
            models.CheckConstraint(
                condition=~Q(status="declined") | ~Q(declined_reason=""),
                name="request_declined_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def quadrant(self) -> str:
        """I do, II careful (user value only), III/IV don't (no user value); "" untriaged."""
        if self.triaged_at is None:
            return ""
        if self.user_value_score > 0:
            return "I" if self.business_value_score > 0 else "II"
        return "III" if self.business_value_score > 0 else "IV"


class Vote(models.Model):
    """One vote per merchant and request (demand is weighed per merchant)."""

    request = models.ForeignKey(FeatureRequest, on_delete=models.CASCADE, related_name="votes")
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["request", "merchant"], name="vote_once_per_merchant")
        ]

    def __str__(self) -> str:
        return f"{self.merchant_id} for {self.request_id}"


class Comment(models.Model):
    request = models.ForeignKey(FeatureRequest, on_delete=models.CASCADE, related_name="comments")
    merchant = models.ForeignKey(
        Merchant, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    from_staff = models.BooleanField(default=False)
    body = models.TextField(_("comment"), max_length=5000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"comment {self.pk} on {self.request_id}"


class StatusChange(models.Model):
    """Each status a request went through; its id keys the notifications it caused."""

    request = models.ForeignKey(
        FeatureRequest, on_delete=models.CASCADE, related_name="status_changes"
    )
    from_status = models.CharField(max_length=14, choices=RequestStatus.choices)
    to_status = models.CharField(max_length=14, choices=RequestStatus.choices)
    reason = models.CharField(max_length=1000, blank=True)
    changed_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.from_status} -> {self.to_status}"


class Beta(models.Model):
    """A beta: merchants it invites may join, which switches its feature flag on for them."""

    feature = models.SlugField(
        _("feature flag"),
        max_length=60,
        unique=True,
        help_text=_("The name the code checks with features.enabled(merchant, name)."),
    )
    title = models.CharField(_("title"), max_length=160)
    plan = models.TextField(_("the plan"), max_length=5000)
    expectations = models.TextField(_("what to expect"), max_length=5000)
    audience = models.CharField(
        _("who may join"), max_length=10, choices=Audience.choices, default=Audience.ALL
    )
    audience_value = models.CharField(_("which one"), max_length=40, blank=True)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    request = models.ForeignKey(
        FeatureRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="betas"
    )
    created_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="beta_dates"
            )
        ]

    def __str__(self) -> str:
        return self.title


class BetaParticipant(models.Model):
    beta = models.ForeignKey(Beta, on_delete=models.CASCADE, related_name="participants")
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+")
    joined_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["joined_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["beta", "merchant"], name="beta_participant_once")
        ]

    def __str__(self) -> str:
        return f"{self.merchant_id} in {self.beta_id}"


class BetaFeedback(models.Model):
    beta = models.ForeignKey(Beta, on_delete=models.CASCADE, related_name="feedback")
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField(_("feedback"), max_length=5000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"feedback {self.pk} on {self.beta_id}"


class LifecycleStage(models.TextChoices):
    FIRST_CONTACT = "first_contact", _("First contact (days 1-3)")
    STORE_SETUP = "store_setup", _("Store setup (days 4-7)")
    TRAINING = "training", _("Training (days 8-14)")
    GO_LIVE = "go_live", _("Go-live (days 15-30)")
    AFTER = "after", _("After day 30")


class LifecycleCard(models.Model):
    """Per industry and stage: what merchants of that industry care about then."""

    industry = models.CharField(max_length=30)
    stage = models.CharField(max_length=20, choices=LifecycleStage.choices)
    cares_about = models.TextField(_("what they care about"), max_length=5000)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["industry", "stage"], name="lifecycle_card_once")
        ]

    def __str__(self) -> str:
        return f"{self.industry}/{self.stage}"
