from django.contrib import admin

from analytics.models import DailyMerchantStats, MerchantEvent
from core.admin import ReadOnlyAdmin

# The ledger is written by analytics.ledger.record_event (and repaired by rebuild_ledger):
# an edit here would put it out of step with the shops' own orders.


@admin.register(MerchantEvent)
class MerchantEventAdmin(ReadOnlyAdmin):
    list_display = ("merchant", "kind", "occurred_at", "local_date", "idempotency_key")
    list_filter = ("kind",)
    search_fields = ("merchant__name", "merchant__slug", "idempotency_key")
    date_hierarchy = "local_date"
    list_select_related = ("merchant",)


@admin.register(DailyMerchantStats)
class DailyMerchantStatsAdmin(ReadOnlyAdmin):
    list_display = (
        "merchant",
        "date",
        "gmv",
        "refunds",
        "orders",
        "online_orders",
        "in_store_orders",
        "groupbuy_orders",
    )
    list_filter = ("date",)
    search_fields = ("merchant__name", "merchant__slug")
    date_hierarchy = "date"
    list_select_related = ("merchant",)
