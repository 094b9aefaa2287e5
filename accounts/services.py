"""State changes of a person's own account, and of their own console notices."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import selectors
from accounts.models import Notification, User


def language_codes() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


@transaction.atomic
def set_user_language(*, user: User, language: str) -> User:
    """A person chooses the language of their pages (the default after they sign in) and of
    what the platform writes to them. Only a shipped language is accepted."""
    if language not in language_codes():
        raise ValidationError(
            {
                "language": _("Choose one of the languages offered (%(codes)s).")
                % {"codes": ", ".join(language_codes())}
            }
        )
    user.language = language
    user.save(update_fields=["language"])
    return user


def mark_notices_read(
    *,
    user: User,
    merchant_id: int | None = None,
    ids: Iterable[int] | None = None,
    kinds: Iterable[str] | None = None,
    link: str | None = None,
    now: datetime | None = None,
) -> int:
    """Mark the person's own unread notices read: all of them, or those among `ids`, of
    `kinds`, with this `link`. Another person's notice is never touched, whatever the ids
    say. Returns how many were marked; the person's cached badge is dropped."""
    found = selectors.unread_notices_of(user, merchant_id)
    if ids is not None:
        found = found.filter(pk__in=list(ids))
    if kinds is not None:
        found = found.filter(kind__in=list(kinds))
    if link is not None:
        found = found.filter(link=link)
    marked = found.update(read_at=now or timezone.now())
    if marked:
        # At once (the next page of this request's person recounts), and again after the
        # commit: a page counted meanwhile, inside a caller's transaction, saw the old rows.
        selectors.forget_unread_notice_counts([user.pk])
        transaction.on_commit(lambda: selectors.forget_unread_notice_counts([user.pk]))
    return marked


def open_notice(
    *, user: User, notice_id: int, merchant_id: int | None = None
) -> Notification | None:
    """The person opens one of their own notices: it is read from now on (a notice read
    before keeps its first read time). None, and nothing changed, for anyone else's."""
    notice = selectors.notice_of(user, notice_id, merchant_id)
    if notice is None:
        return None
    if notice.read_at is None:
        now = timezone.now()
        if mark_notices_read(user=user, ids=[notice.pk], now=now):
            notice.read_at = now
    return notice


def forget_badges_after_commit(notices: Iterable[Notification]) -> None:
    """Writers of notices call this with what they wrote: the recipients' cached badges
    are dropped once the notices are committed."""
    user_ids = {notice.recipient_id for notice in notices}
    if user_ids:
        transaction.on_commit(lambda: selectors.forget_unread_notice_counts(user_ids))
