"""Reads of the outbox for staff."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from outbox.models import MessageStatus, OutboxMessage


def status_counts() -> dict[str, int]:
    """How many messages are in each status, in one query."""
    counts = OutboxMessage.objects.aggregate(
        **{status: Count("id", filter=Q(status=status)) for status in MessageStatus.values}
    )
    return {status: counts[status] for status in MessageStatus.values}


def search_messages(
    *, status: str = "", channel: str = "", merchant_id: int | None = None, query: str = ""
) -> QuerySet[OutboxMessage]:
    """Newest first. `query` matches the dedupe key, a recipient or the subject."""
    messages = OutboxMessage.objects.order_by("-created_at", "-id")
    if status:
        messages = messages.filter(status=status)
    if channel:
        messages = messages.filter(channel=channel)
    if merchant_id is not None:
        messages = messages.filter(merchant_id=merchant_id)
    if query:
        messages = messages.filter(
            Q(dedupe_key__icontains=query)
            | Q(payload__subject__icontains=query)
            | Q(payload__to__icontains=query)
        )
    return messages
