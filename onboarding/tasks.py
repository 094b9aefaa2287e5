"""Beat jobs of customer success; thin wrappers, idempotent by the services' constraints."""

from dataclasses import asdict

from celery import shared_task

from onboarding import scoring, sweep


@shared_task(name="onboarding.tasks.onboarding_sweep")
def onboarding_sweep() -> dict:
    return asdict(sweep.run_sweep())


@shared_task(name="onboarding.tasks.compute_health")
def compute_health() -> int:
    return scoring.compute_health()


@shared_task(name="onboarding.tasks.monthly_tiers")
def monthly_tiers() -> int:
    return scoring.monthly_tiers()
