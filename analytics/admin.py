from django.contrib import admin

from analytics.models import DailyMerchantStats, MerchantEvent


@admin.register(MerchantEvent)
class MerchantEventAdmin(admin.ModelAdmin):
    list_display = ("merchant", "kind", "occurred_at", "local_date", "idempotency_key")
    list_filter = ("kind",)
    search_fields = ("merchant__name", "merchant__slug", "idempotency_key")
    readonly_fields = [field.name for field in MerchantEvent._meta.fields]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(DailyMerchantStats)
class DailyMerchantStatsAdmin(admin.ModelAdmin):
    list_display = ("merchant", "date", "gmv", "refunds", "orders", "in_store_orders")
    list_filter = ("date",)
    search_fields = ("merchant__name", "merchant__slug")
