"""API keys: made, checked and revoked here.

A key is `mpk_` + 40 random URL-safe characters (about 240 bits): only its SHA-256 is kept
(a fast hash is enough for a secret with that much entropy; a slow one would cost every API
request), with the first 12 characters in clear as its visible prefix. A key belongs to the
schema it was made in, so another shop's key simply is not found on this host: a 401.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from commerce.developers.models import Access, ApiKey, ApiKeyRequest, Resource

KEY_PREFIX = "mpk_"
VISIBLE_PREFIX_LENGTH = 12
# last_used_at is written at most this often per key: a busy integration must not turn
# every read into a write of the same row.
LAST_USED_RESOLUTION = timedelta(minutes=1)
MAX_KEYS = 50


@dataclass(frozen=True)
class NewKey:
    key: ApiKey
    secret: str  # shown once, never stored


def hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def clean_scopes(scopes: dict[str, str]) -> dict[str, str]:
    cleaned = {}
    for resource, access in scopes.items():
        if resource not in Resource.values or access not in Access.values:
            raise ValidationError({"scopes": _("Unknown scope %(scope)s.") % {"scope": resource}})
        if access:
            cleaned[resource] = access
    if not cleaned:
        raise ValidationError({"scopes": _("Give the key access to at least one resource.")})
    return cleaned


def create_api_key(
    *, name: str, scopes: dict[str, str], expires_at: datetime | None, actor: str
) -> NewKey:
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Name the key, e.g. after the app that will use it.")})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": _("The expiry must be in the future.")})
    cleaned = clean_scopes(scopes)
    if ApiKey.objects.filter(revoked_at__isnull=True).count() >= MAX_KEYS:
        raise ValidationError(
            {"name": _("A shop can have at most %(max)s active keys.") % {"max": MAX_KEYS}}
        )
    for _attempt in range(5):
        secret = KEY_PREFIX + secrets.token_urlsafe(30)
        try:
            with transaction.atomic():
                key = ApiKey.objects.create(
                    name=name[:100],
                    prefix=secret[:VISIBLE_PREFIX_LENGTH],
                    key_hash=hash_key(secret),
                    scopes=cleaned,
                    expires_at=expires_at,
                    created_by=actor[:254],
                )
        except IntegrityError:  # a prefix already taken (about one in 10^14): draw again
            continue
        return NewKey(key=key, secret=secret)
    raise RuntimeError("Could not draw a unique API key prefix")


def revoke_api_key(key_id: int, *, actor: str) -> ApiKey:
    with transaction.atomic():
        key = ApiKey.objects.select_for_update().get(pk=key_id)
        if key.revoked_at is None:
            key.revoked_at = timezone.now()
            key.revoked_by = actor[:254]
            key.save(update_fields=["revoked_at", "revoked_by"])
    return key


def key_for_secret(secret: str) -> ApiKey | None:
    """The usable key of this shop with that secret, or None (unknown, revoked, expired)."""
    if not secret.startswith(KEY_PREFIX) or len(secret) > 100:
        return None
    key = ApiKey.objects.filter(key_hash=hash_key(secret)).first()
    if key is None or not key.is_usable():
        return None
    return key


def note_use(key: ApiKey, *, method: str, path: str, status_code: int) -> None:
    """The audit row of one request, and the key's last use (at most once a minute)."""
    now = timezone.now()
    ApiKeyRequest.objects.create(
        key=key, method=method[:10], path=path[:500], status_code=status_code, created_at=now
    )
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
