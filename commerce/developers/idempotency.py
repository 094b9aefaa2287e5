"""`Idempotency-Key` on API POSTs: the first successful answer is stored with the key, in
the same transaction as the change (a refused request stores nothing and may be sent again
with the key once fixed); the same key from the same
caller gets that answer back (header `Idempotent-Replayed: true`) and changes nothing.
The same key on another operation is a 409. Two requests with one key at once: the second
waits on the first's row (unique constraint) and then replays it."""

from __future__ import annotations

from functools import wraps

from django.db import IntegrityError, transaction
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response

from commerce.developers.models import ApiKey, IdempotentRequest

HEADER = "Idempotency-Key"
MAX_LENGTH = 200


class IdempotencyConflict(APIException):
    status_code = 409
    default_detail = "This Idempotency-Key was used for another request."
    default_code = "idempotency_conflict"


def caller_of(request) -> str:
    """Who sent the request, for keys that must not collide between callers."""
    if isinstance(request.auth, ApiKey):
        return f"key:{request.auth.pk}"
    return f"user:{request.user.pk}"


def idempotent(action):
    """Wrap a DRF action (POST) so that a repeated Idempotency-Key replays its answer."""

    @wraps(action)
    def wrapper(view, request, *args, **kwargs):
        key = request.headers.get(HEADER, "")
        if not key:
            return action(view, request, *args, **kwargs)
        if len(key) > MAX_LENGTH:
            raise ValidationError({HEADER: [f"Use at most {MAX_LENGTH} characters."]})
        caller = caller_of(request)
        stored = IdempotentRequest.objects.filter(caller=caller, idempotency_key=key).first()
        if stored is not None:
            return _replay(stored, request)
        try:
            with transaction.atomic():
                response = action(view, request, *args, **kwargs)
                if response.status_code < 500:
                    IdempotentRequest.objects.create(
                        caller=caller,
                        idempotency_key=key,
                        method=request.method,
                        path=request.path[:500],
                        status_code=response.status_code,
                        body=response.data,
                    )
        except IntegrityError:
            stored = IdempotentRequest.objects.get(caller=caller, idempotency_key=key)
            return _replay(stored, request)
        return response

    return wrapper


def _replay(stored: IdempotentRequest, request) -> Response:
    if stored.method != request.method or stored.path != request.path[:500]:
        raise IdempotencyConflict()
    return Response(stored.body, status=stored.status_code, headers={"Idempotent-Replayed": "true"})
