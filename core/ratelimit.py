"""Rate limits where money or accounts are made: signup, checkout, group-buy joins,
password resets. Counted per client address in the cache (django-ratelimit's fixed
windows); a limit is `settings.RATE_LIMITS[scope]` such as ``"10/h"``, an empty value turns
the scope off. Over the limit the view answers 429 with ``Retry-After``.

A cache outage lets requests through (logged): a Redis blip must not close every shop's
checkout.
"""

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django_ratelimit.core import get_usage

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Verdict:
    limited: bool
    retry_after_seconds: int


def client_address(group: str, request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or the first hop of the header named by
    RATE_LIMIT_CLIENT_IP_HEADER when a trusted proxy sets it."""
    header = getattr(settings, "RATE_LIMIT_CLIENT_IP_HEADER", "")
    if header:
        forwarded = request.META.get(header, "")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def check_rate(
    request: HttpRequest, scope: str, *, key: Callable | str = client_address
) -> Verdict:
    """Count one attempt in `scope` and say whether it is over the limit."""
    rate = settings.RATE_LIMITS.get(scope)
    if not rate:
        return Verdict(limited=False, retry_after_seconds=0)
    try:
        usage = get_usage(request, group=f"rl:{scope}", key=key, rate=rate, increment=True)
    except Exception:
        logger.warning("rate limit %s not checked: cache unavailable", scope, exc_info=True)
        return Verdict(limited=False, retry_after_seconds=0)
    if usage is None or usage["limit"] == 0:
        # django-ratelimit reports a failed cache read as limit 0: fail open, as above.
        return Verdict(limited=False, retry_after_seconds=0)
    return Verdict(
        limited=usage["should_limit"], retry_after_seconds=max(1, int(usage["time_left"]))
    )


def too_many_requests(request: HttpRequest, verdict: Verdict) -> HttpResponse:
    minutes = max(1, (verdict.retry_after_seconds + 59) // 60)
    message = _("Too many attempts from your address. Try again in %(minutes)s min.") % {
        "minutes": minutes
    }
    if request.headers.get("Accept", "").startswith("application/json"):
        from django.http import JsonResponse

        response: HttpResponse = JsonResponse({"detail": message}, status=429)
    else:
        response = render(request, "errors/429.html", {"message": message}, status=429)
    response["Retry-After"] = str(verdict.retry_after_seconds)
    return response


def rate_limited(scope: str, *, methods: tuple[str, ...] = ("POST",)):
    """View decorator: count requests of `methods` in `scope`; 429 once over the limit."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method in methods:
                verdict = check_rate(request, scope)
                if verdict.limited:
                    return too_many_requests(request, verdict)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
