"""The sender of each channel: a function taking the message's payload that returns when
the message has left, and raises otherwise. Outbound webhooks register a "webhook" sender
here next; nothing else in the outbox knows what a channel is."""

from __future__ import annotations

from collections.abc import Callable

from django.core import mail

from outbox.models import Channel

Sender = Callable[[dict], None]

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
