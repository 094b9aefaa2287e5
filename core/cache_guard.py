"""The shared cache (Redis) used as what it is, an optimisation.

A read or write that fails is logged and skipped, and the caller falls back to the
database, so a Redis outage makes pages a little slower instead of failing them. After a
failure this process leaves the cache alone for RETRY_AFTER_SECONDS (each request would
otherwise pay a connection attempt), and it logs one warning per LOG_EVERY_SECONDS with the
number of failures since the last one, not a line per request. Deletes are always tried:
a delete skipped while Redis was in fact reachable would leave a stale copy behind.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from typing import Any

from django.core.cache import cache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5.0
LOG_EVERY_SECONDS = 60.0
# What an unreachable cache raises (Django's RedisCache lets redis-py's errors through).
CACHE_ERRORS = (RedisError, OSError)


class _Unavailable:
    def __repr__(self) -> str:
        return "UNAVAILABLE"


# `get` answers this when the cache could not be asked (a miss is None, as in Django).
UNAVAILABLE: Any = _Unavailable()

_lock = threading.Lock()
_down_until = 0.0
_last_logged = float("-inf")
_failures_since_log = 0


def cache_available() -> bool:
    """False for a few seconds after this process saw the cache fail."""
    return time.monotonic() >= _down_until


def record_failure(operation: str, error: BaseException) -> None:
    global _down_until, _last_logged, _failures_since_log
    now = time.monotonic()
    with _lock:
        _down_until = now + RETRY_AFTER_SECONDS
        _failures_since_log += 1
        if now - _last_logged < LOG_EVERY_SECONDS:
            return
        failures, _failures_since_log = _failures_since_log, 0
        _last_logged = now
    logger.warning(
        "cache unavailable (%s: %s: %s); serving from the database (%d failure(s) since the "
        "last warning)",
        operation,
        error.__class__.__name__,
        error,
        failures,
    )


def reset() -> None:
    """Forget past failures (tests do it when they bring the cache back)."""
    global _down_until, _last_logged, _failures_since_log
    with _lock:
        _down_until = 0.0
        _last_logged = float("-inf")
        _failures_since_log = 0


def get(key: str) -> Any:
    """The cached value, None on a miss, UNAVAILABLE when the cache cannot be asked."""
    if not cache_available():
        return UNAVAILABLE
    try:
        return cache.get(key)
    except CACHE_ERRORS as error:
        record_failure("get", error)
        return UNAVAILABLE


def set(key: str, value: Any, timeout: float | None) -> bool:
    if not cache_available():
        return False
    try:
        cache.set(key, value, timeout)
    except CACHE_ERRORS as error:
        record_failure("set", error)
        return False
    return True


def delete_many(keys: Iterable[str]) -> bool:
    keys = list(keys)
    if not keys:
        return True
    try:
        cache.delete_many(keys)
    except CACHE_ERRORS as error:
        record_failure("delete", error)
        return False
    return True


def delete(key: str) -> bool:
    return delete_many([key])


def add(key: str, value: Any, timeout: float | None, *, when_unavailable: bool) -> bool:
    """Django's cache.add (True when the key was not there and is now set); the caller
    says what an unreachable cache counts as."""
    if not cache_available():
        return when_unavailable
    try:
        return cache.add(key, value, timeout)
    except CACHE_ERRORS as error:
        record_failure("add", error)
        return when_unavailable
