"""Short-lived read caches for hot storefront data, kept per shop schema.

Entries are dropped by the models' own save()/delete() (and again when the transaction
commits, so a reader that raced the write cannot leave an old copy behind for long); every
entry also expires after a minute.
"""

from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.db import connection, transaction

TTL_SECONDS = 60


def key(*parts: object) -> str:
    return ":".join(["shop", connection.schema_name, *map(str, parts)])


def remember(cache_key: str, load: Callable[[], Any]) -> Any:
    value = cache.get(cache_key)
    if value is None:
        value = load()
        if value is not None:
            cache.set(cache_key, value, TTL_SECONDS)
    return value


def forget(cache_key: str) -> None:
    cache.delete(cache_key)
    transaction.on_commit(lambda: cache.delete(cache_key))
