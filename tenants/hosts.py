"""Which merchant a host name belongs to, with a cache in front of the Domain table.

The cache (Redis) only saves a query: when it cannot be reached the Domain table answers,
and this process keeps what it read for LOCAL_FALLBACK_SECONDS so that an outage costs one
query per host every few seconds, not one per request. The process copy is read only while
the cache is unavailable; a status change reaches it within those seconds.
"""

from __future__ import annotations

import time

from django.conf import settings

from core import cache_guard
from tenants.models import Domain, Merchant

HOST_CACHE_SECONDS = 300
LOCAL_FALLBACK_SECONDS = 5.0
LOCAL_MAX_ENTRIES = 4096
_MISSING = "missing"

# host -> (expiry on the monotonic clock, the merchant or _MISSING); filled during outages.
_local_hosts: dict[str, tuple[float, Merchant | str]] = {}


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
    cached = cache_guard.get(key)
    if cached is cache_guard.UNAVAILABLE:
        return _merchant_for_host_without_cache(host)
    if cached == _MISSING:
        return None
    if cached is not None:
        return cached
    merchant = _merchant_from_database(host)
    cache_guard.set(key, merchant if merchant else _MISSING, HOST_CACHE_SECONDS)
    return merchant


def _merchant_from_database(host: str) -> Merchant | None:
    domain = Domain.objects.select_related("tenant").filter(domain=host).first()
    return domain.tenant if domain else None


def _merchant_for_host_without_cache(host: str) -> Merchant | None:
    now = time.monotonic()
    held = _local_hosts.get(host)
    if held is not None and held[0] > now:
        return None if held[1] == _MISSING else held[1]
    merchant = _merchant_from_database(host)
    if len(_local_hosts) >= LOCAL_MAX_ENTRIES:
        _local_hosts.clear()
    _local_hosts[host] = (now + LOCAL_FALLBACK_SECONDS, merchant if merchant else _MISSING)
    return merchant


def forget_merchant_hosts(merchant: Merchant, extra_hosts: tuple[str, ...] = ()) -> None:
    """Drop cached lookups after a merchant's status or domains change."""
    hosts = set(Domain.objects.filter(tenant=merchant).values_list("domain", flat=True))
    hosts.update(extra_hosts)
    for host in hosts:
        _local_hosts.pop(host, None)
    # A failed delete is logged by cache_guard; the entries then expire by their timeout.
    cache_guard.delete_many([_cache_key(host) for host in hosts])


def clear_local_hosts() -> None:
    """Empty this process's fallback copies (tests do it between tests)."""
    _local_hosts.clear()


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
