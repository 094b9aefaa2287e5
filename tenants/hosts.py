"""Which merchant a host name belongs to, with a cache in front of the Domain table."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache

from tenants.models import Domain, Merchant

HOST_CACHE_SECONDS = 300
_MISSING = "missing"


def _cache_key(host: str) -> str:
    return f"tenants:host:{host}"


def normalize_host(host: str) -> str:
    return host.split(":", 1)[0].strip().lower().rstrip(".")


def is_platform_host(host: str) -> bool:
    return normalize_host(host) in {settings.PLATFORM_HOST, "127.0.0.1", "testserver"}


def shop_host_for_slug(slug: str) -> str:
    return f"{slug}.{settings.SHOP_DOMAIN}"


def merchant_for_host(host: str) -> Merchant | None:
    """The merchant whose domain is `host`, or None. Cached, misses included."""
    host = normalize_host(host)
    key = _cache_key(host)
    cached = cache.get(key)
    if cached == _MISSING:
        return None
    if cached is not None:
        return cached
    domain = Domain.objects.select_related("tenant").filter(domain=host).first()
    merchant = domain.tenant if domain else None
    cache.set(key, merchant if merchant else _MISSING, HOST_CACHE_SECONDS)
    return merchant


def forget_merchant_hosts(merchant: Merchant, extra_hosts: tuple[str, ...] = ()) -> None:
    """Drop cached lookups after a merchant's status or domains change."""
    hosts = set(Domain.objects.filter(tenant=merchant).values_list("domain", flat=True))
    hosts.update(extra_hosts)
    cache.delete_many([_cache_key(host) for host in hosts])


def public_tenant() -> Merchant:
    """An unsaved stand-in for the platform itself: requests on it run in `public`."""
    return Merchant(schema_name="public", slug="", name="Platform")


def shop_url(request, merchant: Merchant, path: str = "/", *, platform_subdomain=False) -> str:
    """Absolute URL of `path` on the merchant's primary host, keeping the request's port.

    `platform_subdomain` picks `<slug>.<SHOP_DOMAIN>` even when a custom domain is primary
    (login handoffs go there: the CSP form-action allows only our own hosts).
    """
    domain = None if platform_subdomain else merchant.get_primary_domain()
    host = domain.domain if domain else shop_host_for_slug(merchant.slug)
    port = request.get_port() if request is not None else ""
    default_port = "443" if settings.SITE_SCHEME == "https" else "80"
    suffix = f":{port}" if port and port != default_port else ""
    return f"{settings.SITE_SCHEME}://{host}{suffix}{path}"


def platform_url(request, path: str = "/") -> str:
    port = request.get_port() if request is not None else ""
    default_port = "443" if settings.SITE_SCHEME == "https" else "80"
    suffix = f":{port}" if port and port != default_port else ""
    return f"{settings.SITE_SCHEME}://{settings.PLATFORM_HOST}{suffix}{path}"
