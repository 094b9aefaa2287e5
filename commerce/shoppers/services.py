"""Shopper accounts: sign-in links, accounts made on first sign-in, saved addresses.

A sign-in link proves the shopper reads that mailbox: it is sent to whatever address is
asked (accounts are optional and made on the first sign-in, so the answer is the same
whether or not the address is known), lives LINK_LIFETIME, works once, and only its SHA-256
is stored. The orders already placed with the address (as a guest) are the account's from
then on: the account reads orders by the verified address (`selectors.account_orders`).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from commerce.shoppers.models import SavedAddress, ShopperAccount, SignInLink
from commerce.store.selectors import store_settings
from outbox import services as outbox
from tenants.hosts import shop_url

LINK_LIFETIME = timedelta(minutes=15)
# However many client addresses ask, one mailbox gets at most this many links an hour
# (more asks answer the same and send nothing).
LINKS_PER_EMAIL_PER_HOUR = 5
MAX_SAVED_ADDRESSES = 20


def normalize_email(raw: str) -> str:
    """The form orders store an email in (`orders.services.create_order`)."""
    return raw.strip().lower()


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def send_sign_in_link(email: str, *, next_path: str = "") -> bool:
    """Email a sign-in link to `email` (in the shop's language, through the outbox).
    False when the address had its hourly share of links already: nothing is written and
    the caller answers exactly as when it was sent."""
    email = normalize_email(email)
    now = timezone.now()
    recent = SignInLink.objects.filter(email=email, created_at__gte=now - timedelta(hours=1))
    if recent.count() >= LINKS_PER_EMAIL_PER_HOUR:
        return False
    token = secrets.token_urlsafe(32)
    link = SignInLink.objects.create(
        email=email,
        token_hash=hash_token(token),
        created_at=now,
        expires_at=now + LINK_LIFETIME,
        next_path=next_path,
    )
    merchant = connection.tenant
    shop = store_settings()
    url = shop_url(
        None,
        merchant,
        reverse("shopper_sign_in_confirm", args=[token], urlconf=settings.ROOT_URLCONF),
    )
    with translation.override(merchant.language):
        context = {
            "shop_name": shop.display_name,
            "url": url,
            "minutes": int(LINK_LIFETIME.total_seconds() // 60),
        }
        subject = _("Your sign-in link for %(shop)s") % {"shop": shop.display_name}
        body = render_to_string("email/shopper/sign_in.txt", context)
    outbox.enqueue_email(
        to=[email],
        subject=" ".join(subject.split()),
        body=body,
        dedupe_key=f"{connection.schema_name}:shopper-sign-in:{link.pk}",
        merchant_id=merchant.pk,
        # The body holds a working link: blanked in the outbox once sent.
        sensitive=True,
    )
    return True


# Single use: the first request to mark it used wins; an expired or used link matches nothing.
_REDEEM_SQL = """
    UPDATE shoppers_signinlink SET used_at = %s
    WHERE token_hash = %s AND used_at IS NULL AND expires_at > %s
    RETURNING email, next_path
"""
_ACCOUNT_SQL = """
    INSERT INTO shoppers_shopperaccount (email, created_at, last_signed_in_at)
    VALUES (%s, %s, %s)
    ON CONFLICT (email) DO UPDATE SET last_signed_in_at = EXCLUDED.last_signed_in_at
    RETURNING id
"""


@dataclass(frozen=True)
class SignedIn:
    account: ShopperAccount
    next_path: str


@transaction.atomic
def redeem_sign_in_link(token: str) -> SignedIn | None:
    """The account the link signs in (made on the first sign-in) and where the shopper was
    going, or None when the link is unknown (another shop's, mistyped), expired or used
    already."""
    if not token or len(token) > 200:
        return None
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(_REDEEM_SQL, [now, hash_token(token), now])
        row = cursor.fetchone()
        if row is None:
            return None
        email, next_path = row
        cursor.execute(_ACCOUNT_SQL, [email, now, now])
        (account_id,) = cursor.fetchone()
    return SignedIn(account=ShopperAccount.objects.get(pk=account_id), next_path=next_path)


@dataclass(frozen=True)
class AddressInput:
    contact_name: str
    line1: str
    city: str
    postcode: str = ""
    phone: str = ""
    label: str = ""
    is_default: bool = False


@transaction.atomic
def save_address(account: ShopperAccount, data: AddressInput) -> SavedAddress:
    # The account row locked: two concurrent saves cannot both pass the cap or both be the
    # default.
    ShopperAccount.objects.select_for_update().get(pk=account.pk)
    existing = SavedAddress.objects.filter(account=account)
    if existing.count() >= MAX_SAVED_ADDRESSES:
        raise ValidationError(
            {"line1": [_("At most %(max)s saved addresses.") % {"max": MAX_SAVED_ADDRESSES}]}
        )
    is_default = data.is_default or not existing.exists()
    if is_default:
        existing.filter(is_default=True).update(is_default=False)
    return SavedAddress.objects.create(
        account=account,
        label=data.label.strip(),
        contact_name=data.contact_name.strip(),
        phone=data.phone.strip(),
        line1=data.line1.strip(),
        city=data.city.strip(),
        postcode=data.postcode.strip(),
        is_default=is_default,
    )


@transaction.atomic
def delete_address(account: ShopperAccount, address_id: int) -> bool:
    """Delete one of the account's addresses (another account's is not found); the oldest
    left becomes the default when the default goes."""
    ShopperAccount.objects.select_for_update().get(pk=account.pk)
    address = SavedAddress.objects.filter(account=account, pk=address_id).first()
    if address is None:
        return False
    address.delete()
    if address.is_default:
        following = SavedAddress.objects.filter(account=account).order_by("id").first()
        if following is not None:
            following.is_default = True
            following.save(update_fields=["is_default"])
    return True


@transaction.atomic
def make_default_address(account: ShopperAccount, address_id: int) -> bool:
    ShopperAccount.objects.select_for_update().get(pk=account.pk)
    if not SavedAddress.objects.filter(account=account, pk=address_id).exists():
        return False
    SavedAddress.objects.filter(account=account, is_default=True).update(is_default=False)
    SavedAddress.objects.filter(account=account, pk=address_id).update(is_default=True)
    return True
