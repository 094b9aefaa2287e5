"""The signed-in shopper in the browser session, apart from staff login.

The key is the shopper's own (`shopper_account`), never Django's auth keys: signing a
shopper in or out leaves a staff login in the same browser alone, and a staff member is
never a shopper. Sessions are stored in the public schema, so the entry names the shop's
schema too: a session cookie carried to another shop's host signs nobody in there.
"""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest

from commerce.shoppers.models import ShopperAccount

SESSION_KEY = "shopper_account"


def sign_in(request: HttpRequest, account: ShopperAccount) -> None:
    # A new session key: whoever knew the old cookie (fixation) does not share the sign-in.
    request.session.cycle_key()
    request.session[SESSION_KEY] = {"schema": connection.schema_name, "id": account.pk}
    request._shopper_account = account


def sign_out(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)
    request.session.cycle_key()
    request._shopper_account = None


def current_account(request: HttpRequest) -> ShopperAccount | None:
    """The shopper signed in on this shop, or None (one query, once per request)."""
    if hasattr(request, "_shopper_account"):
        return request._shopper_account
    account = None
    entry = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
    if isinstance(entry, dict) and entry.get("schema") == connection.schema_name:
        account = ShopperAccount.objects.filter(pk=entry.get("id")).first()
    request._shopper_account = account
    return account
