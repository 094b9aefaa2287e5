"""Reads of a person's own things: their console notices (`Notification`).

Every console that lists someone's notices (the merchant console's `/manage/notices/`, the
CSM console's notifications and My day) reads them here, by recipient only: a person never
sees another's notices, whatever shop or console they are in.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from accounts.models import Notification, User
from core import cache_guard


def notices_of(user: User, merchant_id: int | None = None) -> QuerySet[Notification]:
    """The person's notices, newest first (Notification.Meta.ordering); with `merchant_id`
    (a shop's console) those about that shop and those about no shop in particular."""
    found = Notification.objects.filter(recipient=user)
    if merchant_id is not None:
        found = found.filter(Q(merchant_id=merchant_id) | Q(merchant__isnull=True))
    return found


def unread_notices_of(user: User, merchant_id: int | None = None) -> QuerySet[Notification]:
    return notices_of(user, merchant_id).filter(read_at__isnull=True)


def notice_of(user: User, notice_id: int, merchant_id: int | None = None) -> Notification | None:
    """One of the person's own notices (of this shop, with `merchant_id`); None for anyone
    else's, another shop's, or none at all."""
    return notices_of(user, merchant_id).filter(pk=notice_id).first()


def unread_notice_count(user: User, merchant_id: int | None = None) -> int:
    return unread_notices_of(user, merchant_id).count()


# The badge is on every console page: kept in Redis for a short while per person. The
# person's own reads drop the key, and so do the writers of notices to shop staff (billing's
# reminders, the community's answers and status changes); any other new notice shows
# within the TTL.
UNREAD_CACHE_SECONDS = 60


def _unread_key(user_id: int) -> str:
    return f"notices-unread:{user_id}"


def cached_unread_notice_count(user: User, merchant_id: int | None = None) -> int:
    """The badge of one console: the person's counts, one per shop, are kept under one key
    so that a change drops them all at once."""
    key = _unread_key(user.pk)
    cached = cache_guard.get(key)
    counts = cached if isinstance(cached, dict) else {}
    if isinstance(counts.get(merchant_id), int):
        return counts[merchant_id]
    count = unread_notice_count(user, merchant_id)
    if cached is not cache_guard.UNAVAILABLE:
        cache_guard.set(key, {**counts, merchant_id: count}, UNREAD_CACHE_SECONDS)
    return count


def forget_unread_notice_counts(user_ids) -> None:
    """Drop the cached badge of these people (after their notices changed)."""
    cache_guard.delete_many(_unread_key(user_id) for user_id in set(user_ids))
