from django.contrib import admin

from onboarding.models import (
    CsmProfile,
    Journey,
    Milestone,
    Playbook,
    PlaybookStep,
    TierThreshold,
    TrainingSession,
)


@admin.register(CsmProfile)
class CsmProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "manager", "accepts_new_merchants"]
    raw_id_fields = ["user", "manager"]


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 0
    readonly_fields = ["stage", "opens_at", "due_at", "completed_at", "completed_via"]
    fields = readonly_fields
    can_delete = False


@admin.register(Journey)
class JourneyAdmin(admin.ModelAdmin):
    list_display = ["merchant", "csm", "started_at", "completed_at", "tier", "segment"]
    raw_id_fields = ["merchant", "csm"]
    inlines = [MilestoneInline]


class PlaybookStepInline(admin.TabularInline):
    model = PlaybookStep
    extra = 1


@admin.register(Playbook)
class PlaybookAdmin(admin.ModelAdmin):
    inlines = [PlaybookStepInline]


@admin.register(TierThreshold)
class TierThresholdAdmin(admin.ModelAdmin):
    list_display = ["tier", "min_monthly_gmv", "min_active_outlets", "updated_at"]


@admin.register(TrainingSession)
class TrainingSessionAdmin(admin.ModelAdmin):
    list_display = ["title", "starts_at", "location", "capacity"]
