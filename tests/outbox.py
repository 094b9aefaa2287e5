"""For tests of code that sends email: what the outbox's delivery task would do next."""

from datetime import datetime

from outbox.services import deliver_due_messages


def deliver_outbox(now: datetime | None = None) -> int:
    """Send every due outbox message now (with the test's email backend); returns how many
    were sent."""
    return deliver_due_messages(now=now).sent
