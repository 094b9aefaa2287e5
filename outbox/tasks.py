"""Delivery of the outbox: woken after each commit that enqueued, and by beat every minute
(the safety net for a lost wake-up and the clock of retries)."""

from celery import shared_task

from outbox.services import deliver_due_messages


@shared_task(name="outbox.tasks.deliver_outbox")
def deliver_outbox() -> dict[str, int]:
    result = deliver_due_messages()
    return {"sent": result.sent, "retrying": result.retrying, "failed": result.failed}
