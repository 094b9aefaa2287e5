"""`Authorization: Bearer <key>` for the API (DRF). A key is looked up in the schema of the
request's host only: another shop's key, like a revoked or expired one, is a 401."""

from __future__ import annotations

from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from commerce.developers.keys import key_for_secret
from commerce.developers.models import ApiKey


class ApiKeyUser:
    """request.user for a request made with a key: authenticated, no account. `email` is
    what the console's services record as the actor, so the key is named there."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None
    id = None

    def __init__(self, key: ApiKey) -> None:
        self.key = key
        self.email = key.actor

    def __str__(self) -> str:
        return self.key.actor


class ApiKeyAuthentication(BaseAuthentication):
    keyword = b"bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise AuthenticationFailed("Send the key as: Authorization: Bearer <key>.")
        try:
            secret = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed("Invalid API key.") from None
        tenant = getattr(request, "tenant", None)
        if tenant is None or tenant.is_public:
            raise AuthenticationFailed("API keys work on their shop's host only.")
        key = key_for_secret(secret)
        if key is None:
            raise AuthenticationFailed("Invalid, expired or revoked API key.")
        # Read by commerce.developers.middleware.ApiKeyAuditMiddleware after the response.
        request._request.api_key = key
        return ApiKeyUser(key), key

    def authenticate_header(self, request) -> str:
        # Makes "not authenticated" a 401 with this challenge rather than a 403.
        return 'Bearer realm="api"'
