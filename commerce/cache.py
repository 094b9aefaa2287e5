"""Short-lived read caches for hot storefront data, kept per shop schema.

Two layers: Redis, shared by every process, for a minute; and in front of it a copy in the
process itself for two seconds, because on a product page the Redis round trips cost more
than the rest of the view. Entries are dropped from both by the models' own save()/delete()
(and again when the transaction commits, so a reader that raced the write cannot leave an
old copy behind); another process may show the old copy for up to two seconds. Checkout
never reads these caches: prices and stock are read live under lock.

Redis is an optimisation here too: when it cannot be reached (core.cache_guard logs it,
rate-limited) `remember` loads from the database and the process copy still serves, so a
Redis outage never fails a storefront page.

The process copy is kept pickled and every hit unpickles a fresh object, so a caller that
changes what it got (a form bound to the store settings) cannot change the next request's.
Each copy also carries a digest of those bytes (`fingerprint`): a page rendered from
remembered values and keyed by their fingerprint is the same page for as long as they are
the same, however often they are reloaded (commerce.storefront.page_cache).
"""

import hashlib
import pickle
import time
from collections.abc import Callable
from typing import Any

from django.db import connection, transaction

from core import cache_guard

TTL_SECONDS = 60
LOCAL_TTL_SECONDS = 2.0
LOCAL_MAX_ENTRIES = 4096
# A rendered page keyed by the fingerprints of everything it shows can be kept until memory
# says otherwise; the limit only bounds what a page nobody opens any more holds on to.
PAGE_TTL_SECONDS = 300.0

# key -> (expiry, pickled value, digest of the pickled value)
_local: dict[str, tuple[float, bytes, str]] = {}
# Rendered pages (commerce.storefront.page_cache), process-only, dropped with any entry of
# their shop.
_pages: dict[str, tuple[float, str]] = {}


def key(*parts: object) -> str:
    return ":".join(["shop", connection.schema_name, *map(str, parts)])


def remember(cache_key: str, load: Callable[[], Any]) -> Any:
    now = time.monotonic()
    held = _local.get(cache_key)
    if held is not None and held[0] > now:
        return pickle.loads(held[1])
    value = cache_guard.get(cache_key)
    if value is None or value is cache_guard.UNAVAILABLE:
        shared_cache_answered = value is None
        value = load()
        if value is not None:
            # A copy, as Redis would give it: a fresh ORM object pickles its shared
            # references differently from its copy, and the fingerprint must not tell the
            # first load from the same content read back.
            value = pickle.loads(pickle.dumps(value, pickle.HIGHEST_PROTOCOL))
        if value is not None and shared_cache_answered:
            cache_guard.set(cache_key, value, TTL_SECONDS)
    if value is not None:
        if len(_local) >= LOCAL_MAX_ENTRIES:
            _local.clear()
        pickled = pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
        digest = hashlib.blake2b(pickled, digest_size=8).hexdigest()
        _local[cache_key] = (now + LOCAL_TTL_SECONDS, pickled, digest)
    return value


def fingerprint(*cache_keys: str) -> str | None:
    """One digest of the values this process holds under `cache_keys` (call right after
    `remember` read them); None when one of them is not held (nothing was found, or the
    process copies were just emptied): the caller then cannot name what it showed."""
    digests = []
    for cache_key in cache_keys:
        held = _local.get(cache_key)
        if held is None:
            return None
        digests.append(held[2])
    return "-".join(digests)


def remember_rendered(cache_key: str, render: Callable[[], str], *, seconds: float) -> str:
    """A rendered page kept in this process for `seconds`; any change that drops a cache
    entry of the shop (forget) drops its pages too."""
    now = time.monotonic()
    held = _pages.get(cache_key)
    if held is not None and held[0] > now:
        return held[1]
    html = render()
    if len(_pages) >= LOCAL_MAX_ENTRIES:
        _pages.clear()
    _pages[cache_key] = (now + seconds, html)
    return html


def _drop(cache_key: str) -> None:
    _local.pop(cache_key, None)
    shop_prefix = ":".join(cache_key.split(":")[:2]) + ":"
    for page_key in [k for k in _pages if k.startswith(shop_prefix)]:
        _pages.pop(page_key, None)
    # Runs inside model save()/delete(): a cache outage must not fail the write (the entry
    # then expires by its TTL).
    cache_guard.delete(cache_key)


def forget(cache_key: str) -> None:
    _drop(cache_key)
    transaction.on_commit(lambda: _drop(cache_key))


def clear_local() -> None:
    """Empty this process's copies (tests do it between tests)."""
    _local.clear()
    _pages.clear()
