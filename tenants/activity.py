"""The staff activity log: who changed money, stock or settings in a shop, what, and when.

Two writers, one table (`StaffAction`):

- **services** call `record_staff_action(...)` for the changes they understand best (the
  staff services here write every invitation, role change, removal and ownership transfer).
  Inside a staff request the actor and shop come from the request; a task passes them.
- **`StaffActivityMiddleware`**, the one central place, records every other staff request
  under `/manage/` or `/api/` that wrote to the database (an INSERT, UPDATE or DELETE ran)
  and succeeded, with the page's action name, the object it named and the fields sent (no
  passwords, tokens or keys). A new page is logged the day it ships, without a line here.

No signals: a save does not know who asked for it or why.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenants.models import Membership, Merchant, StaffAction

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
STAFF_PREFIXES = ("/manage/", "/api/")
_WRITE_SQL = re.compile(r"\b(INSERT\s+INTO|UPDATE\s+\S+\s+SET|DELETE\s+FROM)\b", re.IGNORECASE)
_OWN_TABLE = StaffAction._meta.db_table
_SECRET_FIELD = re.compile(r"password|token|secret|csrf|key|card|cvc", re.IGNORECASE)
MAX_FIELDS = 20
MAX_VALUE = 200

# What the central record says for the pages that exist today; any other page is described
# by its method and path.
ACTION_LABELS = {
    "manage_store": _("Changed the store details"),
    "manage_store_shipping": _("Changed shipping"),
    "manage_store_payments": _("Changed payment methods"),
    "manage_stripe_connect": _("Started Stripe onboarding"),
    "manage_outlet_new": _("Added an outlet"),
    "manage_outlet_edit": _("Changed an outlet"),
    "manage_product_new": _("Added a product"),
    "manage_product_edit": _("Changed a product"),
    "manage_product_import": _("Imported products"),
    "manage_product_stock": _("Changed stock"),
    "manage_product_publish": _("Published or unpublished a product"),
    "manage_order_fulfil": _("Fulfilled an order"),
    "manage_order_cancel": _("Cancelled an order"),
    "manage_order_refund": _("Refunded an order"),
    "manage_order_paid": _("Recorded an order's payment"),
    "manage_pos_pay": _("Took a point-of-sale payment"),
    "manage_plugin_switch": _("Switched a plugin on or off"),
    "manage_groupbuy": _("Launched a group-buy campaign"),
    "manage_groupbuy_end": _("Ended a group-buy campaign"),
    "manage_billing": _("Changed the plan"),
    "manage_onboarding_nps": _("Answered the satisfaction survey"),
    "manage_onboarding_register": _("Registered for a training session"),
}


def action_label(entry: StaffAction) -> str:
    """What a log line says, in the reader's language where the action is a known page."""
    label = ACTION_LABELS.get(entry.action)
    return str(label) if label is not None and entry.method else entry.summary


# Till and cart steps write the session's basket, not the shop, and reading one's own
# notices writes only one's own notices: not worth a log line.
UNLOGGED_ACTIONS = frozenset(
    {
        "manage_pos_outlet",
        "manage_pos_add",
        "manage_pos_remove",
        "manage_notices_read",
        "manage_notice_open",
    }
)


@dataclass
class RequestActivity:
    """What one staff request did, gathered while it runs."""

    membership: Membership | None = None
    wrote: bool = False
    recorded: bool = False

    def watch(self, execute, sql, params, many, context):
        if not self.wrote and _OWN_TABLE not in sql and _WRITE_SQL.search(sql):
            self.wrote = True
        return execute(sql, params, many, context)


_current: ContextVar[RequestActivity | None] = ContextVar("staff_activity", default=None)


def note_actor(membership: Membership) -> None:
    """Called by the access checks: the member this request acts as."""
    activity = _current.get()
    if activity is not None:
        activity.membership = membership


def record_staff_action(
    *,
    action: str,
    summary: str,
    target: str = "",
    details: dict | None = None,
    section: str = "",
    merchant: Merchant | None = None,
    actor: Membership | None = None,
) -> StaffAction:
    """Append one line to a shop's staff activity log.

    `action` is a stable code (`staff.invited`, `order.refunded`), `summary` a sentence for
    the owner, `target` what it was done to, `details` a small JSON of values. In a staff
    request the shop and the acting member default to the request's; outside one, pass
    `merchant` (and `actor` when a member asked for it). The central request record is then
    skipped for this request: the service said it better.
    """
    activity = _current.get()
    actor = actor or (activity.membership if activity else None)
    if merchant is None:
        if actor is None:
            raise ValueError("record_staff_action needs a merchant outside a staff request")
        merchant_id = actor.merchant_id
    else:
        merchant_id = merchant.pk
    entry = StaffAction.objects.create(
        merchant_id=merchant_id,
        actor_id=actor.user_id if actor else None,
        actor_email=actor.user.email if actor else "",
        actor_role=actor.role if actor else "",
        section=section[:40],
        action=action[:80],
        summary=str(summary)[:300],
        target=target[:120],
        details=details or {},
        occurred_at=timezone.now(),
    )
    if activity is not None:
        activity.recorded = True
    return entry


def section_of(path: str) -> str:
    """A short name of the part of the console `path` is in, for the activity log:
    `orders`, `settings`, `api:orders` …"""
    for prefix, label in (("/manage/", ""), ("/api/v1/", "api:"), ("/api/", "api:")):
        if path.startswith(prefix):
            first = path[len(prefix) :].split("/", 1)[0]
            return f"{label}{first or 'overview'}"[:40]
    return ""


def _storable(text: str) -> str:
    """Text PostgreSQL can keep: no NUL, no lone surrogate (a PATCH or PUT body is not
    checked by core.middleware, and the log keeps what was sent, not what was accepted)."""
    return text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


def _sent_fields(request) -> dict[str, str]:
    """The form fields a request sent, without secrets, each value cut short."""
    if request.content_type not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return {}
    sent = {}
    for name in list(request.POST.keys())[:MAX_FIELDS]:
        if _SECRET_FIELD.search(name):
            continue
        values = request.POST.getlist(name)
        value = ", ".join(values) if len(values) > 1 else (values[0] if values else "")
        sent[_storable(name[:60])] = _storable(value[:MAX_VALUE])
    for name in list(request.FILES.keys())[:MAX_FIELDS]:
        sent[_storable(name[:60])] = "(file)"
    return sent


def _record_request(request, membership: Membership) -> None:
    match = request.resolver_match
    name = match.url_name if match else ""
    if name in UNLOGGED_ACTIONS:
        return
    path = request.path_info
    summary = ACTION_LABELS.get(name) or f"{request.method} {path}"
    target = ", ".join(f"{key}={value}" for key, value in (match.kwargs if match else {}).items())
    entry = StaffAction(
        merchant_id=membership.merchant_id,
        actor_id=membership.user_id,
        actor_email=request.user.email,
        actor_role=membership.role,
        section=section_of(path),
        action=(name or "request")[:80],
        summary=str(summary)[:300],
        target=target[:120],
        details=_sent_fields(request),
        method=request.method[:8],
        path=path[:300],
        occurred_at=timezone.now(),
    )
    entry.save()


class StaffActivityMiddleware:
    """Records each successful staff request under /manage/ or /api/ that wrote to the
    database and whose service recorded nothing itself (see the module's docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        tenant = getattr(request, "tenant", None)
        if (
            request.method in SAFE_METHODS
            or tenant is None
            or tenant.is_public
            or not request.path_info.startswith(STAFF_PREFIXES)
        ):
            return self.get_response(request)
        activity = RequestActivity()
        token = _current.set(activity)
        try:
            with connection.execute_wrapper(activity.watch):
                response = self.get_response(request)
        finally:
            _current.reset(token)
        membership = activity.membership or getattr(request, "staff_membership", None)
        if (
            membership is not None
            and activity.wrote
            and not activity.recorded
            and response.status_code < 400
        ):
            _record_request(request, membership)
        return response
