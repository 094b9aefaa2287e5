from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from reports import figures, selectors
from reports.rollups import refresh_monthly_stats


@shared_task
def refresh_monthly_stats_task() -> int:
    """Every 15 minutes: this month and last (late ledger writes land in either), then the
    metrics pages of last month, computed ahead of the next visitor."""
    first = timezone.now().date().replace(day=1)
    previous = (first - timedelta(days=1)).replace(day=1)
    refreshed = refresh_monthly_stats(previous)
    # Rebuild the default metrics pages now, so that no one waits for a build.
    for currency in selectors.currencies():
        figures.cached_build(currency, figures.last_full_month())
    return refreshed
