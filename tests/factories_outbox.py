import factory
from django.utils import timezone

from outbox.models import Channel, MessageStatus, OutboxMessage


class OutboxEmailFactory(factory.django.DjangoModelFactory):
    """An email row as `enqueue_email` writes it (pending, due now)."""

    class Meta:
        model = OutboxMessage

    channel = Channel.EMAIL
    dedupe_key = factory.Sequence(lambda n: f"test:email:{n}")
    payload = factory.Sequence(
        lambda n: {
            "to": [f"person{n}@example.test"],
            "cc": [],
            "subject": f"Message {n}",
            "body": f"Body {n}",
            "html": "",
            "from_email": "",
        }
    )
    status = MessageStatus.PENDING
    next_attempt_at = factory.LazyFunction(timezone.now)
    created_at = factory.LazyFunction(timezone.now)
