from celery import shared_task

from community import services


@shared_task
def end_finished_betas() -> int:
    return services.end_finished_betas()
