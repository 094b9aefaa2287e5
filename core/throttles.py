"""API rate limits (DRF throttles): per signed-in user (per API key once keys exist).
Requests without a user are refused by the permission check before any throttle runs. Rates come from settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]; a rate
of None switches a scope off. Over the limit DRF answers 429 with `Retry-After`.

A cache outage lets requests through (logged), as core.ratelimit does for the pages.
"""

import logging

from rest_framework.settings import api_settings
from rest_framework.throttling import UserRateThrottle

logger = logging.getLogger(__name__)


class _FailOpen:
    def get_rate(self) -> str | None:
        # Read live (DRF binds the rates when the class is defined).
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view) -> bool:
        try:
            return super().allow_request(request, view)
        except Exception:
            logger.warning("API throttle %s not checked: cache unavailable", self.scope)
            return True


class ApiUserThrottle(_FailOpen, UserRateThrottle):
    scope = "api_user"

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated and request.user.pk is None:
            return None  # an API key: limited per key by its own throttle
        return super().get_cache_key(request, view)
