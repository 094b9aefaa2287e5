from django.contrib import admin

from core.admin import ReadOnlyAdmin
from reports.models import MarketingSpend, MetricSettings, MonthlyMerchantStats

# Spend and gross margin are entered on /console/metrics/ (which clears the cached pages);
# the monthly roll-up is rebuilt from the ledger. The admin only reads them.


@admin.register(MonthlyMerchantStats)
class MonthlyMerchantStatsAdmin(ReadOnlyAdmin):
    list_display = ["merchant", "month", "currency", "gmv", "refunds", "orders", "refreshed_at"]
    list_filter = ["month", "currency"]
    search_fields = ["merchant__name", "merchant__slug"]
    list_select_related = ["merchant"]


@admin.register(MarketingSpend)
class MarketingSpendAdmin(ReadOnlyAdmin):
    list_display = ["month", "currency", "amount", "note", "entered_by"]
    list_filter = ["currency"]


@admin.register(MetricSettings)
class MetricSettingsAdmin(ReadOnlyAdmin):
    list_display = ["gross_margin_percent", "updated_at"]
