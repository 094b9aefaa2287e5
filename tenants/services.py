"""State changes for merchants: opening a shop, handing a login over, changing status."""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.identity import canonical_email
from accounts.models import User
from tenants import schemas, slugs
from tenants.hosts import forget_merchant_hosts, shop_host_for_slug
from tenants.models import (
    Domain,
    Industry,
    LoginHandoff,
    Membership,
    MembershipRole,
    Merchant,
    MerchantStatus,
    MerchantStatusChange,
)

HANDOFF_LIFETIME = timedelta(minutes=2)
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class OpenedShop:
    merchant: Merchant
    owner: User
    domain: Domain


def slug_problem(slug: str) -> str | None:
    """Why `slug` cannot be a shop address, or None when it can (see tenants.slugs)."""
    lookalikes = slugs.confusable_characters(slug)
    if lookalikes:
        return _("“%(characters)s” only look like Latin letters. Use a-z, 0-9 and hyphens.") % {
            "characters": "".join(lookalikes)
        }
    if not slugs.SLUG_PATTERN.match(slug):
        return _(
            "Use 3-40 lowercase letters, digits or hyphens, starting and ending with a "
            "letter or digit."
        )
    if slugs.is_reserved(slug):
        return _("“%(slug)s” is reserved. Please choose another address.") % {"slug": slug}
    if Merchant.objects.filter(slug=slug).exists() or (
        Domain.objects.filter(domain=shop_host_for_slug(slug)).exists()
    ):
        return _taken_message(slug)
    if Merchant.objects.filter(slug_skeleton=slugs.slug_skeleton(slug)).exists():
        return _lookalike_message(slug)
    return None


def _taken_message(slug: str) -> str:
    return _("“%(slug)s” is already taken. Please choose another address.") % {"slug": slug}


def _lookalike_message(slug: str) -> str:
    return _(
        "“%(slug)s” looks too much like the address of an existing shop. Please choose "
        "another address."
    ) % {"slug": slug}


# Unique constraints a concurrent signup can trip after slug_problem passed: the field whose
# message explains it.
_SLUG_CONSTRAINTS = {
    "tenants_merchant_slug_key": _taken_message,
    "tenants_domain_domain_key": _taken_message,
    "merchant_slug_skeleton_unique": _lookalike_message,
}


def _slug_race_error(error: IntegrityError, slug: str) -> ValidationError | None:
    """A field error for a slug another signup took between our check and our insert."""
    diagnostics = getattr(error.__cause__, "diag", None)
    constraint = getattr(diagnostics, "constraint_name", None)
    message = _SLUG_CONSTRAINTS.get(constraint)
    return ValidationError({"slug": [message(slug)]}) if message else None


def open_shop(
    *,
    shop_name: str,
    slug: str,
    owner_email: str,
    owner_password_hash: str,
    timezone_name: str = "Asia/Shanghai",
    currency: str = "CNY",
    language: str = "zh-hans",
    industry: str = "",
) -> OpenedShop:
    """Open a merchant's shop: schema, merchant, primary domain, owner account, membership.

    The password arrives already hashed so that callers choose where that deliberately slow
    step runs. Everything happens in one transaction: on any error nothing remains. The
    domains' start-up (trial, journey) is composed above: onboarding.signup.open_merchant.
    """
    shop_name = shop_name.strip()
    slug = slug.strip().lower()
    owner_email = canonical_email(owner_email)

    errors: dict[str, list[str]] = {}
    if not shop_name:
        errors["shop_name"] = [_("Enter the shop's name.")]
    problem = slug_problem(slug)
    if problem:
        errors["slug"] = [problem]
    if industry and industry not in Industry.values:
        errors["industry"] = [_("Choose an industry from the list.")]
    if User.objects.filter(email=owner_email).exists():
        errors["email"] = [
            _("An account with this email already exists. Log in to open another shop.")
        ]
    if errors:
        raise ValidationError(errors)

    try:
        opened = _open_shop_rows(
            shop_name=shop_name,
            slug=slug,
            owner_email=owner_email,
            owner_password_hash=owner_password_hash,
            timezone_name=timezone_name,
            currency=currency,
            language=language,
            industry=industry,
        )
    except IntegrityError as error:
        race = _slug_race_error(error, slug)
        if race is None:
            raise
        raise race from error
    forget_merchant_hosts(opened.merchant)
    return opened


def _open_shop_rows(
    *,
    shop_name: str,
    slug: str,
    owner_email: str,
    owner_password_hash: str,
    timezone_name: str,
    currency: str,
    language: str,
    industry: str,
) -> OpenedShop:
    with transaction.atomic():
        schema_name = schemas.obtain_schema()
        merchant = Merchant.objects.create(
            schema_name=schema_name,
            slug=slug,
            slug_skeleton=slugs.slug_skeleton(slug),
            name=shop_name,
            timezone=timezone_name,
            currency=currency,
            language=language,
            industry=industry,
        )
        domain = Domain.objects.create(
            domain=shop_host_for_slug(slug), tenant=merchant, is_primary=True
        )
        owner = User(email=owner_email, password=owner_password_hash)
        owner.save()
        Membership.objects.create(user=owner, merchant=merchant, role=MembershipRole.OWNER)
        transaction.on_commit(_request_pool_refill)
    return OpenedShop(merchant=merchant, owner=owner, domain=domain)


def _request_pool_refill() -> None:
    from tenants.tasks import refill_schema_pool

    try:
        refill_schema_pool.delay()
    except Exception:  # the shop is open; the beat schedule refills the pool later
        logger.warning("Could not queue a schema pool refill", exc_info=True)


def add_member(*, merchant: Merchant, user: User, role: str) -> Membership:
    membership, _created = Membership.objects.update_or_create(
        user=user, merchant=merchant, defaults={"role": role}
    )
    return membership


def issue_login_handoff(*, user: User, merchant: Merchant) -> str:
    """A single-use token that logs `user` in on the merchant's host (valid two minutes)."""
    if not Membership.objects.filter(user=user, merchant=merchant).exists():
        raise PermissionError("Only members can be handed over to a shop.")
    token = secrets.token_urlsafe(32)
    LoginHandoff.objects.create(
        token_hash=_token_hash(token),
        user=user,
        merchant=merchant,
        expires_at=timezone.now() + HANDOFF_LIFETIME,
    )
    return token


def redeem_login_handoff(*, token: str, merchant: Merchant) -> User | None:
    """The user a valid, unused token was issued to for this merchant; the token is spent."""
    spent = LoginHandoff.objects.filter(
        token_hash=_token_hash(token),
        merchant=merchant,
        used_at__isnull=True,
        expires_at__gt=timezone.now(),
    ).update(used_at=timezone.now())
    if spent != 1:
        return None
    handoff = LoginHandoff.objects.select_related("user").get(token_hash=_token_hash(token))
    return handoff.user if handoff.user.is_active else None


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


ALLOWED_STATUS_CHANGES = {
    MerchantStatus.ACTIVE: {MerchantStatus.SUSPENDED, MerchantStatus.CLOSED},
    MerchantStatus.SUSPENDED: {MerchantStatus.ACTIVE, MerchantStatus.CLOSED},
    MerchantStatus.CLOSED: {MerchantStatus.ACTIVE},
}


def change_merchant_status(
    *, merchant: Merchant, to_status: str, reason: str, changed_by: User | None
) -> MerchantStatusChange:
    reason = reason.strip()
    errors: dict[str, list[str]] = {}
    if to_status not in MerchantStatus.values:
        errors["status"] = [_("Unknown status.")]
    elif to_status not in ALLOWED_STATUS_CHANGES[MerchantStatus(merchant.status)]:
        errors["status"] = [
            _("A %(from)s shop cannot become %(to)s.")
            % {"from": merchant.get_status_display(), "to": MerchantStatus(to_status).label}
        ]
    if not reason:
        errors["reason"] = [_("Give a reason; it is kept in the merchant's history.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = Merchant.objects.select_for_update().get(pk=merchant.pk)
        change = MerchantStatusChange.objects.create(
            merchant=locked,
            from_status=locked.status,
            to_status=to_status,
            reason=reason,
            changed_by=changed_by,
        )
        locked.status = to_status
        locked.save(update_fields=["status"])
    merchant.status = to_status
    forget_merchant_hosts(merchant)
    return change


def change_merchant_currency(*, merchant: Merchant, currency: str) -> Merchant:
    from tenants.models import Currency

    if currency not in Currency.values:
        raise ValidationError({"currency": [_("Choose a supported currency.")]})
    Merchant.objects.filter(pk=merchant.pk).update(currency=currency)
    merchant.currency = currency
    forget_merchant_hosts(merchant)
    return merchant


def set_stripe_account(*, merchant: Merchant, account_id: str, charges_enabled: bool) -> Merchant:
    """Keep only the connected account's id and whether it can take charges."""
    Merchant.objects.filter(pk=merchant.pk).update(
        stripe_account_id=account_id, stripe_charges_enabled=charges_enabled
    )
    merchant.stripe_account_id = account_id
    merchant.stripe_charges_enabled = charges_enabled
    forget_merchant_hosts(merchant)
    return merchant
