"""Reading and switching feature flags. The set of a merchant's flags is cached in Redis for
a minute under one key; every switch deletes that key, so a change shows on the next
request. Redis failing falls back to the database (core.cache_guard): a flag check never
fails a page."""

from __future__ import annotations

from django.db import transaction

from core import cache_guard
from features.models import MerchantFeature

CACHE_SECONDS = 60


def _key(merchant_id: int) -> str:
    return f"features:{merchant_id}"


def enabled_names(merchant_id: int) -> frozenset[str]:
    cached = cache_guard.get(_key(merchant_id))
    if cached is not None and cached is not cache_guard.UNAVAILABLE:
        return frozenset(cached)
    names = frozenset(
        MerchantFeature.objects.filter(merchant_id=merchant_id).values_list("name", flat=True)
    )
    if cached is not cache_guard.UNAVAILABLE:
        cache_guard.set(_key(merchant_id), sorted(names), CACHE_SECONDS)
    return names


def is_enabled(merchant, name: str) -> bool:
    if merchant is None or getattr(merchant, "pk", None) is None:
        return False
    if getattr(merchant, "schema_name", "") == "public":
        return False
    return name in enabled_names(merchant.pk)


def _forget(merchant_id: int) -> None:
    cache_guard.delete(_key(merchant_id))
    # Again after the commit: a reader between the delete and the commit may have cached
    # the old set.
    transaction.on_commit(lambda: cache_guard.delete(_key(merchant_id)))


def switch_on(*, merchant_id: int, name: str, actor=None) -> bool:
    """Switch `name` on for the merchant; False when it already was."""
    _, created = MerchantFeature.objects.get_or_create(
        merchant_id=merchant_id, name=name, defaults={"enabled_by": actor}
    )
    _forget(merchant_id)
    return created


def switch_off(*, merchant_id: int, name: str) -> bool:
    deleted, _ = MerchantFeature.objects.filter(merchant_id=merchant_id, name=name).delete()
    _forget(merchant_id)
    return bool(deleted)


def switch_off_everywhere(*, names: list[str]) -> int:
    """Switch the features `names` off for every merchant (a beta ended)."""
    found = MerchantFeature.objects.filter(name__in=names)
    merchant_ids = set(found.values_list("merchant_id", flat=True))
    deleted, _ = found.delete()
    for merchant_id in merchant_ids:
        _forget(merchant_id)
    return deleted
