from django.contrib import admin

from billing.models import (
    AuditEntry,
    BillingAccount,
    CommissionTier,
    CreditNote,
    DunningReminder,
    Invoice,
    InvoiceLine,
    InvoiceSequence,
    Plan,
    PlanChange,
    PluginPrice,
    RenewalReminder,
    StripeBillingEvent,
    Subscription,
    SubscriptionEvent,
)
from core.admin import ReadOnlyAdmin, ReadOnlyInline

# The price list (plans, their commission tiers, plugin prices) is what platform admins
# edit here. Everything else is written by billing's services (the run, approval, credit
# notes, payments, renewals), with audit entries and idempotency keys: read-only here;
# finance works in /console/billing/.


class CommissionTierInline(admin.TabularInline):
    model = CommissionTier
    extra = 0


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "code",
        "monthly_fee",
        "yearly_fee",
        "minimum_commission",
        "included_seats",
        "included_storage_gb",
        "is_active",
        "sort_order",
    ]
    list_filter = ["is_active"]
    search_fields = ["name", "code"]
    inlines = [CommissionTierInline]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # invoices and subscriptions point at plans; retire one instead


@admin.register(PluginPrice)
class PluginPriceAdmin(admin.ModelAdmin):
    list_display = ["plugin", "name", "monthly_fee"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class PlanChangeInline(ReadOnlyInline):
    model = PlanChange
    fk_name = "subscription"
    fields = ["from_plan", "to_plan", "effective_on", "changed_by", "changed_at"]


class SubscriptionEventInline(ReadOnlyInline):
    model = SubscriptionEvent
    fields = ["kind", "occurred_on", "mrr_before", "mrr_after"]


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdmin):
    list_display = [
        "merchant",
        "plan",
        "interval",
        "status",
        "started_on",
        "trial_ends_on",
        "term_end",
        "auto_renew",
        "ended_on",
    ]
    list_filter = ["status", "plan", "interval", "auto_renew"]
    search_fields = ["merchant__name", "merchant__slug"]
    list_select_related = ["merchant", "plan"]
    inlines = [PlanChangeInline, SubscriptionEventInline]


@admin.register(SubscriptionEvent)
class SubscriptionEventAdmin(ReadOnlyAdmin):
    list_display = ["merchant", "kind", "occurred_on", "mrr_before", "mrr_after"]
    list_filter = ["kind"]
    search_fields = ["merchant__name", "merchant__slug", "unique_key"]
    date_hierarchy = "occurred_on"
    list_select_related = ["merchant"]


@admin.register(PlanChange)
class PlanChangeAdmin(ReadOnlyAdmin):
    list_display = ["subscription", "from_plan", "to_plan", "effective_on", "changed_by"]
    list_select_related = ["subscription__merchant", "from_plan", "to_plan", "changed_by"]


@admin.register(BillingAccount)
class BillingAccountAdmin(ReadOnlyAdmin):
    list_display = ["merchant", "collection_method", "billing_email", "stripe_customer_id"]
    list_filter = ["collection_method"]
    search_fields = ["merchant__name", "merchant__slug", "billing_email", "stripe_customer_id"]
    list_select_related = ["merchant"]


class InvoiceLineInline(ReadOnlyInline):
    model = InvoiceLine
    fields = ["position", "kind", "description", "quantity", "unit_amount", "amount", "reason"]


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = [
        "number",
        "merchant",
        "period_start",
        "status",
        "currency",
        "gmv",
        "total",
        "due_on",
        "paid_at",
    ]
    list_filter = ["status", "currency", "period_start", "collection_method"]
    search_fields = ["number", "merchant__name", "merchant__slug", "stripe_invoice_id"]
    date_hierarchy = "period_start"
    list_select_related = ["merchant"]
    inlines = [InvoiceLineInline]
    exclude = ["pdf"]

    def get_readonly_fields(self, request, obj=None):
        return [name for name in super().get_readonly_fields(request, obj) if name != "pdf"]


@admin.register(InvoiceLine)
class InvoiceLineAdmin(ReadOnlyAdmin):
    list_display = ["invoice", "position", "kind", "description", "amount"]
    list_filter = ["kind"]
    search_fields = ["invoice__number", "invoice__merchant__slug", "description"]
    list_select_related = ["invoice__merchant"]


@admin.register(CreditNote)
class CreditNoteAdmin(ReadOnlyAdmin):
    list_display = ["number", "merchant", "invoice", "status", "amount", "reason", "issued_at"]
    list_filter = ["status"]
    search_fields = ["number", "merchant__name", "merchant__slug", "invoice__number"]
    list_select_related = ["merchant", "invoice"]
    exclude = ["pdf"]

    def get_readonly_fields(self, request, obj=None):
        return [name for name in super().get_readonly_fields(request, obj) if name != "pdf"]


@admin.register(InvoiceSequence)
class InvoiceSequenceAdmin(ReadOnlyAdmin):
    list_display = ["name", "last_value"]


@admin.register(DunningReminder)
class DunningReminderAdmin(ReadOnlyAdmin):
    list_display = ["invoice", "day", "sent_at"]
    list_select_related = ["invoice__merchant"]


@admin.register(RenewalReminder)
class RenewalReminderAdmin(ReadOnlyAdmin):
    list_display = ["subscription", "term_end", "days_before", "sent_at"]
    list_select_related = ["subscription__merchant"]


@admin.register(StripeBillingEvent)
class StripeBillingEventAdmin(ReadOnlyAdmin):
    list_display = ["event_id", "event_type", "received_at"]
    list_filter = ["event_type"]
    search_fields = ["event_id"]


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["at", "action", "actor", "merchant", "invoice", "credit_note", "reason"]
    list_filter = ["action"]
    search_fields = ["merchant__slug", "invoice__number", "reason"]
    date_hierarchy = "at"
    list_select_related = ["actor", "merchant", "invoice", "credit_note"]
