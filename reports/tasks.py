from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from reports.rollups import refresh_monthly_stats


@shared_task
def refresh_monthly_stats_task() -> int:
    """Every 15 minutes: this month and last (late ledger writes land in either)."""
    first = timezone.now().date().replace(day=1)
    previous = (first - timedelta(days=1)).replace(day=1)
    return refresh_monthly_stats(previous)
