"""The sender of each channel: a function taking the message's payload that returns when
the message has left, and raises otherwise. Nothing else in the outbox knows what a channel
is. A sender that owns its retry policy (outbound webhooks: only some failures are worth
another try, for days) raises `RetryLater` or `GiveUp` instead of any other error."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.core import mail

from outbox.models import Channel

Sender = Callable[[dict], None]


class RetryLater(Exception):
    """Try this message again after `delay` (the sender's own backoff), however many
    attempts it took: the sender decides when to give up."""

    def __init__(self, reason: str, *, delay: timedelta) -> None:
        super().__init__(reason)
        self.delay = delay


class GiveUp(Exception):
    """The message cannot be delivered, now or later (a definite refusal): mark it failed."""


SENDERS: dict[str, Sender] = {}


def register_sender(channel: str) -> Callable[[Sender], Sender]:
    def register(sender: Sender) -> Sender:
        SENDERS[channel] = sender
        return sender

    return register


def sender_for(channel: str) -> Sender:
    try:
        return SENDERS[channel]
    except KeyError:
        raise LookupError(f"No sender is registered for the outbox channel {channel!r}") from None


@register_sender(Channel.EMAIL)
def send_email(payload: dict) -> None:
    message = mail.EmailMultiAlternatives(
        subject=payload["subject"],
        body=payload["body"],
        from_email=payload.get("from_email") or None,
        to=payload["to"],
        cc=payload.get("cc") or [],
        # Stable across redeliveries (outbox.services.stable_message_id); messages written
        # before it existed get Django's random one.
        headers={"Message-ID": payload["message_id"]} if payload.get("message_id") else None,
    )
    if payload.get("html"):
        message.attach_alternative(payload["html"], "text/html")
    # fail_silently=False: a refused or unreachable server raises, and the row stays pending.
    message.send()
