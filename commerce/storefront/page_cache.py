"""Rendered storefront pages for visitors who carry no cookies (first visits from a shared
link, search engines): the bulk of product-page traffic, and the same HTML for all of them.

The page is rendered once per process and shop state, with a placeholder where the CSRF
token goes; each response gets the visitor's own token. Live inputs (stock) are part of the
key, so a page never shows stale stock; content (product, settings) is at most
commerce.cache.LOCAL_TTL_SECONDS old in other processes and never in the one that saved it.
A visitor whose session holds nothing but a cart (and the checkouts placed from it) gets
the same page: nothing of the session shows on it. A visitor with a messages cookie, a
signed-in one, or one whose session holds anything else (a flash message kept there,
group-buy seats, whatever a later feature puts in the session) gets a full render: new
session contents are private until they are added to SHAREABLE_SESSION_KEYS.
"""

import hashlib

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.translation import get_language

from commerce.cache import key, remember_rendered
from commerce.storefront import cart
from commerce.storefront.placed_checkouts import SESSION_CHECKOUTS

CSRF_PLACEHOLDER = "csrf-token-placeholder-4d1f"


# Session contents that change nothing on a product page.
SHAREABLE_SESSION_KEYS = frozenset({cart.SESSION_KEY, SESSION_CHECKOUTS})


def cacheable(request: HttpRequest) -> bool:
    # A flash message waits in its cookie (an emptied one is no message).
    if request.method != "GET" or request.COOKIES.get(CookieStorage.cookie_name):
        return False
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return not request.user.is_authenticated
    # One cache read (core/sessions.py); a signed-in visitor's session holds their id.
    return set(request.session.keys()) <= SHAREABLE_SESSION_KEYS


def render_shared(
    request: HttpRequest, template: str, context: dict, *, live: object
) -> HttpResponse:
    """`render` for a cookie-less visitor: the same HTML for the same page, language and
    live inputs (`live`, e.g. stock per variant), with the visitor's CSRF token put in."""
    digest = hashlib.blake2b(repr(live).encode(), digest_size=8).hexdigest()
    page_key = key("page", request.get_full_path(), get_language(), digest)
    html = remember_rendered(
        page_key,
        lambda: render_to_string(template, {**context, "csrf_token": CSRF_PLACEHOLDER}, request),
    )
    return HttpResponse(html.replace(CSRF_PLACEHOLDER, get_token(request)))
