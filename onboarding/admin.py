from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin, ReadOnlyInline
from onboarding.models import (
    Alert,
    ContactLog,
    CsmProfile,
    HealthScore,
    Journey,
    Milestone,
    NpsResponse,
    NpsSurvey,
    Playbook,
    PlaybookStep,
    RenewalHeadsUp,
    SweepRun,
    Task,
    TierAssignment,
    TierThreshold,
    TimelineEntry,
    TrainingRegistration,
    TrainingSession,
)

# The CSM team, playbooks, tier bars and training sessions are set up here. Journeys,
# contacts, timelines, alerts, tiers, health and NPS are written by customer success's
# services and sweep (timeline entries, one alert per stage and level, …): read-only;
# CSMs work in /console/onboarding/.


@admin.register(CsmProfile)
class CsmProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "manager", "accepts_new_merchants"]
    list_filter = ["accepts_new_merchants"]
    search_fields = ["user__email"]
    raw_id_fields = ["user", "manager"]


class MilestoneInline(ReadOnlyInline):
    model = Milestone
    fields = ["stage", "opens_at", "due_at", "completed_at", "completed_via", "completed_by"]


class ContactLogInline(ReadOnlyInline):
    model = ContactLog
    fields = ["contacted_at", "channel", "notes", "logged_by"]


@admin.register(Journey)
class JourneyAdmin(ReadOnlyAdmin):
    list_display = ["merchant", "csm", "started_at", "completed_at", "tier", "segment"]
    list_filter = ["tier", "segment", "csm"]
    search_fields = ["merchant__name", "merchant__slug", "csm__email"]
    date_hierarchy = "started_at"
    list_select_related = ["merchant", "csm"]
    inlines = [MilestoneInline, ContactLogInline]


@admin.register(Milestone)
class MilestoneAdmin(ReadOnlyAdmin):
    list_display = ["journey", "stage", "opens_at", "due_at", "completed_at", "completed_via"]
    list_filter = ["stage", "completed_via"]
    search_fields = ["journey__merchant__name", "journey__merchant__slug"]
    list_select_related = ["journey__merchant"]


@admin.register(ContactLog)
class ContactLogAdmin(ReadOnlyAdmin):
    list_display = ["journey", "channel", "contacted_at", "logged_by"]
    list_filter = ["channel"]
    search_fields = ["journey__merchant__name", "journey__merchant__slug", "notes"]
    list_select_related = ["journey__merchant", "logged_by"]


@admin.register(TimelineEntry)
class TimelineEntryAdmin(ReadOnlyAdmin):
    list_display = ["merchant", "kind", "stage", "detail", "actor", "at"]
    list_filter = ["kind", "stage"]
    search_fields = ["merchant__name", "merchant__slug", "detail"]
    date_hierarchy = "at"
    list_select_related = ["merchant", "actor"]


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin):
    list_display = ["journey", "stage", "level", "recipient", "created_at", "emailed_at"]
    list_filter = ["level", "stage"]
    search_fields = ["journey__merchant__name", "journey__merchant__slug"]
    list_select_related = ["journey__merchant", "recipient"]


@admin.register(RenewalHeadsUp)
class RenewalHeadsUpAdmin(ReadOnlyAdmin):
    list_display = ["reminder", "recipient", "created_at", "emailed_at"]
    list_select_related = ["reminder__subscription__merchant", "recipient"]


class TrainingRegistrationInline(ReadOnlyInline):
    model = TrainingRegistration
    fields = ["merchant", "user", "registered_at", "attended_at"]


@admin.register(TrainingSession)
class TrainingSessionAdmin(admin.ModelAdmin):
    list_display = ["title", "starts_at", "location", "capacity"]
    search_fields = ["title"]
    date_hierarchy = "starts_at"
    inlines = [TrainingRegistrationInline]


@admin.register(TrainingRegistration)
class TrainingRegistrationAdmin(ReadOnlyAdmin):
    list_display = ["session", "merchant", "user", "registered_at", "attended_at"]
    search_fields = ["merchant__slug", "user__email"]
    list_select_related = ["session", "merchant", "user"]


@admin.register(Task)
class TaskAdmin(ReadOnlyAdmin):
    list_display = ["title_shown", "merchant", "assignee", "due_on", "source", "completed_at"]
    list_filter = ["source"]
    search_fields = ["title", "merchant__name", "merchant__slug", "assignee__email"]
    list_select_related = ["merchant", "assignee"]

    @admin.display(description=_("Title"), ordering="title")
    def title_shown(self, task: Task) -> str:
        # A platform task's title in the reader's language, as the consoles show it.
        return task.shown_title


class PlaybookStepInline(admin.TabularInline):
    model = PlaybookStep
    extra = 1


@admin.register(Playbook)
class PlaybookAdmin(admin.ModelAdmin):
    list_display = ["name"]
    inlines = [PlaybookStepInline]


@admin.register(TierThreshold)
class TierThresholdAdmin(admin.ModelAdmin):
    list_display = ["tier", "min_monthly_gmv", "min_active_outlets", "updated_at"]


@admin.register(TierAssignment)
class TierAssignmentAdmin(ReadOnlyAdmin):
    list_display = ["merchant", "tier", "segment", "monthly_avg_gmv", "active_outlets", "period"]
    list_filter = ["tier", "segment"]
    search_fields = ["merchant__name", "merchant__slug"]
    list_select_related = ["merchant"]


@admin.register(HealthScore)
class HealthScoreAdmin(ReadOnlyAdmin):
    list_display = ["merchant", "computed_on", "score"]
    search_fields = ["merchant__name", "merchant__slug"]
    date_hierarchy = "computed_on"
    list_select_related = ["merchant"]


@admin.register(NpsSurvey)
class NpsSurveyAdmin(ReadOnlyAdmin):
    list_display = ["merchant", "wave", "sent_at", "emailed_at", "reminded_at"]
    search_fields = ["merchant__name", "merchant__slug"]
    list_select_related = ["merchant"]


@admin.register(NpsResponse)
class NpsResponseAdmin(ReadOnlyAdmin):
    list_display = ["survey", "score", "comment", "answered_by", "answered_at"]
    list_filter = ["score"]
    search_fields = ["survey__merchant__name", "survey__merchant__slug", "comment"]
    list_select_related = ["survey__merchant", "answered_by"]


@admin.register(SweepRun)
class SweepRunAdmin(ReadOnlyAdmin):
    list_display = ["name", "started_at", "finished_at"]
    list_filter = ["name"]
