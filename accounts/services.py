"""State changes of a person's own account."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User


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
