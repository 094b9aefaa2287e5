from celery import shared_task

from tenants import schemas


@shared_task(name="tenants.tasks.refill_schema_pool")
def refill_schema_pool() -> int:
    """Keep TENANT_SCHEMA_POOL_SIZE migrated schemas ready for signups."""
    return schemas.refill_schema_pool()
