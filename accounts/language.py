"""The language of a signed-in person's pages.

Django's `LocaleMiddleware` picks a request's language from the language cookie (which the
switcher on every page, `set_language`, writes), else the browser's Accept-Language, else
`LANGUAGE_CODE`. The middleware runs before authentication, so the saved `User.language` is
made the default by writing that same cookie when someone signs in (every way in: the login
form, a login handoff to a shop host, an accepted invitation) and when they save it on their
profile. The switcher keeps working afterwards: it rewrites the cookie until the next sign-in.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse

from accounts.models import User


def remember_language(response: HttpResponse, language: str) -> HttpResponse:
    """Set the language cookie the way Django's `set_language` view does."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


def signed_in(response: HttpResponse, user: User) -> HttpResponse:
    """The response that completes a sign-in: the person's saved language becomes the
    page language (nothing changes for someone who never chose one)."""
    if user.language:
        remember_language(response, user.language)
    return response
