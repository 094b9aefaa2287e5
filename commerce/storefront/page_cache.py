"""Rendered storefront pages shared by visitors whose session shows nothing on the page
(first visits from a shared link, search engines, a shopper with only a cart): the bulk of
product-page traffic, and the same HTML for all of them.

A page is rendered once per process for the same content, with placeholders where the CSRF
token and live figures (units in stock) go; each response gets the visitor's own token and
the figures read for this request, so a page never shows stale stock. What the figures
change in the page's shape (a sold-out variant cannot be chosen) is part of the key. So is
the content's fingerprint (commerce.cache.fingerprint of the remembered product and
settings): a page is kept for as long as what it shows is what the caches hold, and a
product saved in any process shows as soon as the caches show it (at most
commerce.cache.LOCAL_TTL_SECONDS later; at once in the process that saved it). A page whose
content has no fingerprint is kept LOCAL_TTL_SECONDS only.

A visitor with a messages cookie, a signed-in one, or one whose session holds anything else
(a flash message kept there, group-buy seats, whatever a later feature puts in the session)
gets a full render: new session contents are private until they are added to
SHAREABLE_SESSION_KEYS.
"""

import copy
import hashlib
import re
import secrets
from collections.abc import Mapping

from django import forms
from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from commerce.cache import LOCAL_TTL_SECONDS, PAGE_TTL_SECONDS, key, remember_rendered
from commerce.storefront import cart
from commerce.storefront.placed_checkouts import SESSION_CHECKOUTS

# Placeholders carry a secret drawn per process: a merchant's text that happens to read
# like one (in a product description, say) is shown as typed, never filled in.
_PLACEHOLDER_SECRET = secrets.token_hex(8)
CSRF_PLACEHOLDER = f"csrf-token-{_PLACEHOLDER_SECRET}"
# One per live figure, e.g. live-figure-units-12-<secret>; letters, digits and dashes only,
# so escaping leaves them as they are.
LIVE_PLACEHOLDER = "live-figure-{name}-" + _PLACEHOLDER_SECRET
_LIVE = re.compile(LIVE_PLACEHOLDER.format(name="([a-z0-9-]+?)"))


def live_placeholder(name: str) -> str:
    return LIVE_PLACEHOLDER.format(name=name)


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
    request: HttpRequest,
    template: str,
    context: dict,
    *,
    content: str | None,
    shape: object,
    figures: Mapping[str, int] | None = None,
) -> HttpResponse:
    """`render` for a visitor who sees nothing private: the same HTML for the same page,
    language, `content` (the fingerprint of every remembered value the context shows; None
    when it cannot be named) and `shape` (what live inputs change in the markup), with the
    visitor's CSRF token and this request's `figures` put in where the context holds
    `live_placeholder(name)`."""
    digest = hashlib.blake2b(repr((content, shape)).encode(), digest_size=8).hexdigest()
    page_key = key("page", request.get_full_path(), get_language(), digest)
    html = remember_rendered(
        page_key,
        lambda: render_to_string(template, {**context, "csrf_token": CSRF_PLACEHOLDER}, request),
        seconds=PAGE_TTL_SECONDS if content else LOCAL_TTL_SECONDS,
    )
    html = html.replace(CSRF_PLACEHOLDER, get_token(request))
    if figures:
        # Every placeholder gets its figure: one without would fail here, not show.
        html = _LIVE.sub(lambda found: str(localize(figures[found[1]])), html)
    return HttpResponse(html)


def render_unbound_form(form: forms.Form, *, live: Mapping[str, str]) -> SafeString:
    """An unbound form's HTML, rendered once per process for the same fields (labels,
    choices, initial values, widgets, in the active language), with `live` initial values
    (a fresh checkout reference) put in for each request. Hidden fields only: a placeholder
    must not be shown or typed over."""
    for name in live:
        if form.is_bound or not form.fields[name].widget.is_hidden:
            raise ValueError(f"{name}: only an unbound form's hidden fields are filled in")
    shape = repr(
        [
            (
                name,
                type(field.widget).__name__,
                str(field.label),
                field.required,
                field.widget.attrs,
                str(field.help_text),
                list(getattr(field, "choices", ())),
                None if name in live else form.get_initial_for_field(field, name),
            )
            for name, field in form.fields.items()
        ]
    )
    digest = hashlib.blake2b(shape.encode(), digest_size=8).hexdigest()
    form_key = key("form", type(form).__name__, get_language(), digest)

    def render() -> str:
        # A copy: the caller's form keeps its own initial values.
        with_placeholders = copy.copy(form)
        with_placeholders.initial = {
            **form.initial,
            **{name: live_placeholder(name) for name in live},
        }
        with_placeholders._bound_fields_cache = {}
        return str(with_placeholders)

    html = remember_rendered(form_key, render, seconds=PAGE_TTL_SECONDS)
    for name, value in live.items():
        html = html.replace(live_placeholder(name), conditional_escape(value))
    return mark_safe(html)  # a form's own render, with escaped values put in
