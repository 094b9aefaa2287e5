from celery import shared_task

from commerce.store.storage import record_storage_measurement
from tenants.models import Merchant, MerchantStatus


@shared_task(name="commerce.store.tasks.measure_storage")
def measure_storage_task() -> int:
    """Nightly: each active shop's file storage to the ledger (billing charges extra GB).

    A tenant job (it opens each shop's schema once a night), never on a request path."""
    measured = 0
    for merchant in Merchant.objects.exclude(schema_name="public").filter(
        status=MerchantStatus.ACTIVE
    ):
        with merchant:
            record_storage_measurement()
        measured += 1
    return measured
