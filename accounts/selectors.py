"""Reads of a person's own things: their console notices (`Notification`).

Every console that lists someone's notices (the merchant console's `/manage/notices/`, the
CSM console's notifications and My day) reads them here, by recipient only: a person never
sees another's notices, whatever shop or console they are in.
"""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import Notification, User
from core import cache_guard


def notices_of(user: User) -> QuerySet[Notification]:
    """The person's notices, newest first (Notification.Meta.ordering)."""
    return Notification.objects.filter(recipient=user)


def unread_notices_of(user: User) -> QuerySet[Notification]:
    return notices_of(user).filter(read_at__isnull=True)


def notice_of(user: User, notice_id: int) -> Notification | None:
    """One of the person's own notices; None for anyone else's (or none at all)."""
    return notices_of(user).filter(pk=notice_id).first()


def unread_notice_count(user: User) -> int:
    return unread_notices_of(user).count()


# The badge is on every console page: kept in Redis for a short while per person. The
# person's own reads drop the key, and so do the writers of notices to shop staff (billing's
# reminders, the community's answers and status changes); any other new notice shows
# within the TTL.
UNREAD_CACHE_SECONDS = 60


def _unread_key(user_id: int) -> str:
    return f"notices-unread:{user_id}"


def cached_unread_notice_count(user: User) -> int:
    key = _unread_key(user.pk)
    cached = cache_guard.get(key)
    if isinstance(cached, int):
        return cached
    count = unread_notice_count(user)
    if cached is not cache_guard.UNAVAILABLE:
        cache_guard.set(key, count, UNREAD_CACHE_SECONDS)
    return count


def forget_unread_notice_counts(user_ids) -> None:
    """Drop the cached badge of these people (after their notices changed)."""
    cache_guard.delete_many(_unread_key(user_id) for user_id in set(user_ids))
