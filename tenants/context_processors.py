from django.conf import settings

from tenants.access import visible_sections
from tenants.hosts import public_tenant


def host_context(request) -> dict:
    merchant = getattr(request, "tenant", None) or public_tenant()
    membership = getattr(request, "staff_membership", None)
    return {
        "current_merchant": None if merchant.is_public else merchant,
        "SHOP_DOMAIN": settings.SHOP_DOMAIN,
        # The sidebar shows a member only the sections their role may open.
        "manage_sections": visible_sections(membership.role) if membership else frozenset(),
        "staff_role": membership.role if membership else "",
    }
