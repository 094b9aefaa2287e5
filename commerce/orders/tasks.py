"""Periodic checks of the tenant side against the public ledger."""

from __future__ import annotations

import logging
import random
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from analytics.events import LedgerDriftFound
from analytics.ledger import local_date_for, record_event
from commerce.orders.ledger_truth import find_drift
from tenants.models import Merchant, MerchantStatus

logger = logging.getLogger(__name__)

# Days looked at per merchant: a full billing month plus the days it may still change.
LEDGER_CHECK_DAYS = 35


@shared_task(name="commerce.orders.tasks.check_ledger_sample")
def check_ledger_sample() -> int:
    """Weekly: rebuild the last 35 local days of a random sample of active merchants and
    compare with DailyMerchantStats (billing and metrics trust the ledger alone).

    Reads only; repairing is a person's decision (`manage.py rebuild_ledger --repair`).
    Each drifted merchant gets a warning in the log and one `ledger_drift_found` event per
    ISO week (the key), so a rerun in the same week adds nothing. Returns how many of the
    sampled merchants drifted."""
    now = timezone.now()
    year, week, _weekday = now.isocalendar()
    active = list(
        Merchant.objects.exclude(schema_name="public")
        .filter(status=MerchantStatus.ACTIVE)
        .values_list("pk", flat=True)
    )
    size = min(getattr(settings, "LEDGER_CHECK_SAMPLE_SIZE", 50), len(active))
    sample = Merchant.objects.filter(pk__in=random.sample(active, size)).order_by("pk")
    drifted = 0
    for merchant in sample:
        end = local_date_for(merchant, now)
        drifts = find_drift(merchant, end - timedelta(days=LEDGER_CHECK_DAYS - 1), end)
        if not drifts:
            continue
        drifted += 1
        days = sorted({drift.date.isoformat() for drift in drifts})
        columns = sorted({drift.column for drift in drifts})
        logger.warning(
            "Ledger drift for %s on %d day(s) (%s): %s",
            merchant.slug,
            len(days),
            ", ".join(columns),
            "; ".join(str(drift) for drift in drifts[:20]),
        )
        record_event(
            merchant=merchant,
            event=LedgerDriftFound(days=days, columns=columns),
            idempotency_key=f"{merchant.schema_name}:ledger_drift_found:{year}-W{week:02d}",
            occurred_at=now,
        )
    return drifted
