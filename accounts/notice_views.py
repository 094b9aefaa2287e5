"""`/manage/notices/` on a shop host: the signed-in person's own console notices (billing's
reminders, the community's answers and status changes, …), newest first, each in the
reader's language and dated in the shop's timezone (the host middleware activates it).

Every role that may sign in to `/manage/` opens it (tenants.access.SECTION_ROLES), and each
person reads their own notices of this shop only: lists and actions go through
`accounts.selectors`, which filter by recipient and shop; another person's notice id, or
one about another shop, is a 404 that changes nothing.

A stored link is never rendered as a link: "Open" posts to `open_notice`, which marks the
notice read and redirects only to a followable target (core.links: a path on this host, or
a URL on this shop's or the platform's host), else to the page its kind lands on (the URL
conf hands `landing_for` in: a dunning notice's Stripe invoice URL lands on the billing
page), else back here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts import selectors, services
from accounts.models import Notification
from core.links import followable
from core.middleware import bad_input_response
from tenants.access import role_may_open, shop_member_required
from tenants.hosts import normalize_host, shop_host_for_slug

NOTICES_PER_PAGE = 50

# landing_for(kind) -> a path on the shop host ("" for none); after_read(user, merchant):
# what else to recount once the person read notices (the community's badge).
LandingFor = Callable[[str], str]
AfterRead = Callable[..., None]


@dataclass(frozen=True)
class NoticeRow:
    notice: Notification
    target: str  # where "Open" leads ("": nowhere, the notice is only marked read)

    @property
    def unread(self) -> bool:
        return self.notice.read_at is None


def own_hosts(request: HttpRequest) -> set[str]:
    """The hosts a notice's absolute link may name: the one browsed (this shop's), the
    shop's platform sub-domain and the platform host, each bare and with this request's
    port (links written by tenants.hosts carry the port of whoever wrote them, or none)."""
    port = request.get_port()
    default_port = "443" if request.is_secure() else "80"
    suffix = f":{port}" if port and port != default_port else ""
    names = {
        normalize_host(request.get_host()),
        shop_host_for_slug(request.tenant.slug),
        normalize_host(settings.PLATFORM_HOST),
    }
    return {host for name in names for host in (name, f"{name}{suffix}")}


def notice_target(
    request: HttpRequest, notice: Notification, landing_for: LandingFor, hosts: set[str]
) -> str:
    """Where opening the notice leads: its own link when followable on `hosts`, else its
    kind's page; "" when that is a console page the reader's role may not open."""
    target = followable(notice.link, hosts) or landing_for(notice.kind or "")
    path = urlsplit(target).path
    if path.startswith("/manage/") and not role_may_open(request.staff_membership.role, path):
        return ""
    return target


def _page_number(raw: str | None) -> int | None:
    """The page asked for, or None when `raw` is not a whole number."""
    try:
        return int(raw or "1")
    except ValueError:
        return None


@shop_member_required
@require_http_methods(["GET", "HEAD"])
def notices(request, landing_for: LandingFor):
    number = _page_number(request.GET.get("page"))
    if number is None:
        return bad_input_response(
            request, "page", _("Give the page as a whole number: 1, 2, 3 and so on.")
        )
    paginator = Paginator(selectors.notices_of(request.user, request.tenant.pk), NOTICES_PER_PAGE)
    # Out of range (0, negative, past the end): the nearest page there is.
    page = paginator.page(min(max(number, 1), paginator.num_pages))
    hosts = own_hosts(request)
    rows = [
        NoticeRow(notice, notice_target(request, notice, landing_for, hosts)) for notice in page
    ]
    return render(request, "manage/notices.html", {"page": page, "rows": rows})


@shop_member_required
@require_POST
def open_notice(request, notice_id: int, landing_for: LandingFor, after_read: AfterRead):
    notice = services.open_notice(
        user=request.user, notice_id=notice_id, merchant_id=request.tenant.pk
    )
    if notice is None:
        raise Http404
    after_read(user=request.user, merchant=request.tenant)
    hosts = own_hosts(request)
    target = notice_target(request, notice, landing_for, hosts)
    if target:
        return redirect(target)
    if notice.link and not followable(notice.link, hosts):
        messages.info(
            request, _("This notice's link does not lead to this shop or the platform: not opened.")
        )
    return redirect("manage_notices")


@shop_member_required
@require_POST
def mark_all_read(request, after_read: AfterRead):
    services.mark_notices_read(user=request.user, merchant_id=request.tenant.pk)
    after_read(user=request.user, merchant=request.tenant)
    messages.success(request, _("All your notices are marked as read."))
    return redirect("manage_notices")
