"""Per-key API limits (DRF): each key has its own window (`api_key` rate, default
600 requests a minute); over it, 429 with Retry-After. Session users keep theirs
(core.throttles.ApiUserThrottle). A cache outage lets requests through."""

from django.db import connection
from rest_framework.throttling import SimpleRateThrottle

from commerce.developers.models import ApiKey
from core.throttles import _FailOpen


class ApiKeyThrottle(_FailOpen, SimpleRateThrottle):
    scope = "api_key"

    def get_cache_key(self, request, view):
        if not isinstance(request.auth, ApiKey):
            return None
        return self.cache_format % {
            "scope": self.scope,
            "ident": f"{connection.schema_name}:{request.auth.pk}",
        }
