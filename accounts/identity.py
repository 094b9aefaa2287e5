"""One spelling per email address, for storage, login and login throttling alike.

If the backend accepted spellings the throttle counted apart (`Victim@x.test`,
` victim@x.test `, a full-width or Kelvin-sign letter), every spelling would get its own
five attempts. So the address is reduced to one canonical form everywhere: Unicode NFKC
(compatibility forms such as full-width letters become plain ones), surrounding spaces
dropped, then Unicode case folding (stronger than lower(): long s → `s`, `ß` → `ss`). The
form's EmailValidator admits only ASCII local parts and IDNA domains, which IDNA itself
case-folds, so folding never turns one mailbox into another.
"""

from __future__ import annotations

import unicodedata

from django.http import HttpRequest


def canonical_email(raw: str | None) -> str:
    """The stored, looked-up and throttled form of an email address."""
    return unicodedata.normalize("NFKC", raw or "").strip().casefold()


def login_throttle_username(request: HttpRequest, credentials: dict | None) -> str:
    """django-axes' AXES_USERNAME_CALLABLE: the attempt's username, canonical.

    Axes calls it with the credentials of a failed or checked login, and with None after a
    successful one (to reset the counter), when only the POSTed form is at hand.
    """
    if credentials is not None:
        raw = credentials.get("username")
    else:
        raw = getattr(request, "POST", {}).get("username") if request is not None else None
    return canonical_email(raw)
