"""Who may open which console: shop members on their shop's host (by role), platform staff
by platform role.

Roles are enforced in ONE place, `SECTION_ROLES`: a path prefix of `/manage/` or `/api/`
and the roles that may open it. The longest matching prefix wins; a path no prefix matches
is open to the owner and managers only, so a page or API resource added tomorrow is closed
to cashiers and marketing until someone lists it here. `PAGE_ROLES` names single pages
(exact paths, checked first) that a wider group may read inside a narrower section: the
staff page is readable by managers while everything under it (invite, change a role,
remove, transfer, withdraw, the activity log, and any action added there tomorrow) stays
the owner's. `shop_member_required` (every
`/manage/` view) and `tenants.permissions.IsShopMember` (every API view) both ask
`role_may_open`; tests/test_roles.py walks the tenant URLconf and proves each role's matrix.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.shortcuts import redirect

from tenants.activity import note_actor
from tenants.models import Membership, MembershipRole
from tenants.selectors import membership_of

OWNER = MembershipRole.OWNER.value
MANAGER = MembershipRole.MANAGER.value
CASHIER = MembershipRole.CASHIER.value
MARKETING = MembershipRole.MARKETING.value

# Anything under /manage/ or /api/ that no prefix below matches.
DEFAULT_ROLES: frozenset[str] = frozenset({OWNER, MANAGER})

SECTION_ROLES: dict[str, frozenset[str]] = {
    # Cashiers: the till and orders (look up, fulfil, take a payment, refund at the counter).
    "/manage/pos/": frozenset({OWNER, MANAGER, CASHIER}),
    "/manage/orders/": frozenset({OWNER, MANAGER, CASHIER}),
    "/api/v1/orders/": frozenset({OWNER, MANAGER, CASHIER}),
    # Marketing: campaigns (plugins, group-buy) and the data center.
    "/manage/marketing/": frozenset({OWNER, MANAGER, MARKETING}),
    "/manage/data/": frozenset({OWNER, MANAGER, MARKETING}),
    # Everyone: each person's own notices (accounts.notice_views: read, open, mark read).
    "/manage/notices/": frozenset({OWNER, MANAGER, CASHIER, MARKETING}),
    # Staff, roles, seats, ownership and the staff activity log: the owner only (every
    # action and any page added under it; the staff list itself is in PAGE_ROLES).
    "/manage/settings/": frozenset({OWNER}),
}

# Single pages (exact paths) open to more roles than their section: read-only pages only.
PAGE_ROLES: dict[str, frozenset[str]] = {
    # The staff list and seats, read-only for managers (tenants.staff_views.staff_settings
    # answers GET and HEAD only; its forms post to the owner-only paths below it).
    "/manage/settings/": frozenset({OWNER, MANAGER}),
}

# Where a role lands when it opens `/manage/` (the overview is owner's and manager's).
ROLE_HOME: dict[str, str] = {CASHIER: "/manage/pos/", MARKETING: "/manage/marketing/"}

# The sidebar's sections: what the navigation shows a role (tenants.context_processors).
NAV_SECTIONS: dict[str, str] = {
    "overview": "/manage/",
    "notices": "/manage/notices/",
    "store": "/manage/store/",
    "products": "/manage/products/",
    "orders": "/manage/orders/",
    "pos": "/manage/pos/",
    "onboarding": "/manage/onboarding/",
    "marketing": "/manage/marketing/",
    "data": "/manage/data/",
    "community": "/manage/community/",
    "billing": "/manage/billing/",
    "developers": "/manage/developers/",
    "settings": "/manage/settings/",
}


def roles_for_path(path: str) -> frozenset[str]:
    """The roles that may open `path`: its PAGE_ROLES entry, else the longest listed
    prefix, else DEFAULT_ROLES."""
    if path in PAGE_ROLES:
        return PAGE_ROLES[path]
    best = ""
    for prefix in SECTION_ROLES:
        if path.startswith(prefix) and len(prefix) > len(best):
            best = prefix
    return SECTION_ROLES[best] if best else DEFAULT_ROLES


def role_may_open(role: str, path: str) -> bool:
    return role in roles_for_path(path)


def visible_sections(role: str) -> frozenset[str]:
    return frozenset(name for name, path in NAV_SECTIONS.items() if role_may_open(role, path))


def admit_member(request: HttpRequest, membership: Membership) -> None:
    """Remember who is working (the activity log and the navigation read it)."""
    request.staff_membership = membership
    note_actor(membership)


def shop_member_required(view):
    """Only members of the shop named by the host, and only where their role may go."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.tenant.is_public:
            raise Http404
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        membership = membership_of(user=request.user, merchant=request.tenant)
        if membership is None:
            raise PermissionDenied
        if not role_may_open(membership.role, request.path_info):
            home = ROLE_HOME.get(membership.role)
            if home and request.path_info == "/manage/" and request.method in ("GET", "HEAD"):
                return redirect(home)
            raise PermissionDenied
        admit_member(request, membership)
        return view(request, *args, **kwargs)

    return wrapper


def platform_role_required(*roles: str):
    """Platform staff only, on the platform host; with `roles`, one of those roles."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.tenant.is_public:
                raise Http404
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            user = request.user
            if not user.is_platform_staff:
                raise PermissionDenied
            if roles and not any(user.has_platform_role(role) for role in roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
