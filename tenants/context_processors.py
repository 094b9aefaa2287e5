from django.conf import settings

from tenants.hosts import public_tenant


def host_context(request) -> dict:
    merchant = getattr(request, "tenant", None) or public_tenant()
    return {
        "current_merchant": None if merchant.is_public else merchant,
        "SHOP_DOMAIN": settings.SHOP_DOMAIN,
    }
