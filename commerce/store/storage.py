"""How much file storage a shop uses (logo and product photos), written to the ledger as a
daily `storage_measured` event that billing reads for extra-storage charges."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone

from analytics.events import StorageMeasured
from analytics.ledger import record_event
from commerce.catalog.models import ProductImage
from commerce.store.models import StoreSettings


def _size(name: str) -> int:
    try:
        return default_storage.size(name)
    except (FileNotFoundError, OSError):
        return 0  # a file gone from storage uses no space


def used_bytes() -> int:
    """Bytes of the current shop's files."""
    names = list(ProductImage.objects.exclude(image="").values_list("image", flat=True))
    names += [logo for logo in StoreSettings.objects.values_list("logo", flat=True) if logo]
    return sum(_size(name) for name in names)


def record_storage_measurement() -> int:
    """Measure the current shop and record it once per local day (a re-run that day is a
    no-op; the next day's measurement supersedes it)."""
    merchant = connection.tenant
    now = timezone.now()
    measured = used_bytes()
    record_event(
        merchant=merchant,
        event=StorageMeasured(bytes=measured),
        idempotency_key=f"{connection.schema_name}:storage:{now.date().isoformat()}",
        occurred_at=now,
    )
    return measured
