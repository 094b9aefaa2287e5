from datetime import date

from django.db.models import QuerySet

from analytics.models import DailyMerchantStats, MerchantEvent
from tenants.models import Merchant


def daily_stats(*, merchant: Merchant, start: date, end: date) -> QuerySet[DailyMerchantStats]:
    """The merchant's ledger days from `start` to `end` inclusive, oldest first."""
    return DailyMerchantStats.objects.filter(
        merchant_id=merchant.pk, date__gte=start, date__lte=end
    ).order_by("date")


def events(*, merchant: Merchant, kind: str | None = None) -> QuerySet[MerchantEvent]:
    found = MerchantEvent.objects.filter(merchant_id=merchant.pk)
    if kind:
        found = found.filter(kind=kind)
    return found.order_by("occurred_at", "id")
