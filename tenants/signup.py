"""Signup without telling anyone which email addresses have an account.

A visitor who signs up with a new address gets a shop at once (signup must feel instant).
One who gives an address that already has an account gets no shop and no error naming the
email: the page says "check your email" and that address receives a notice (someone tried
to open a shop with it; log in here, or reset the password here). The account holder has a
clear path from their own inbox; whoever typed someone else's address learns nothing the
page did not already show for every signup. Both paths hash the password first (the slow
step), so they take the same time shape.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.identity import canonical_email
from accounts.models import User
from outbox.services import enqueue_email
from tenants.services import OpenedShop, open_shop, slug_problem


class SignupChannel(models.TextChoices):
    """How the visitor says they came: the input of CAC and referral share by source."""

    REFERRAL = "referral", gettext_lazy("Recommended by a merchant")
    SEARCH = "search", gettext_lazy("Search engine")
    EVENT = "event", gettext_lazy("Event or trade show")
    SALES = "sales", gettext_lazy("Our sales team contacted me")
    OTHER = "other", gettext_lazy("Other")


@dataclass(frozen=True)
class SignupOutcome:
    """`opened` is the new shop, or None when the address already had an account (the
    address was sent a notice instead)."""

    opened: OpenedShop | None


def sign_up(
    *,
    shop_name: str,
    slug: str,
    email: str,
    password_hash: str,
    currency: str,
    language: str,
    platform_root: str,
    industry: str = "",
    open_shop: Callable[..., OpenedShop] = open_shop,
    heard_from: str = "",
    referrer_slug: str = "",
) -> SignupOutcome:
    """Open a shop for a new address, or notify an existing one. `platform_root` is the
    configured platform URL (scheme, host, port) the notice's links start with.
    `open_shop` is what opens it: the composition root (config/urls_public.py) passes
    onboarding.signup.open_merchant, which adds the trial and the journey (tenants imports
    no domain app) and records `heard_from` / `referrer_slug` (passed only when given)."""
    email = canonical_email(email)
    errors: dict[str, list[str]] = {}
    if not shop_name.strip():
        errors["shop_name"] = [_("Enter the shop's name.")]
    problem = slug_problem(slug.strip().lower())
    if problem:
        errors["slug"] = [problem]
    if errors:
        # The same answers whether or not the email has an account.
        raise ValidationError(errors)

    if User.objects.filter(email=email).exists():
        _notify_existing_account(email=email, platform_root=platform_root)
        return SignupOutcome(opened=None)
    try:
        opened = open_shop(
            shop_name=shop_name,
            slug=slug,
            owner_email=email,
            owner_password_hash=password_hash,
            currency=currency,
            language=language,
            industry=industry,
            **(
                {"signup_channel": heard_from, "referrer_slug": referrer_slug}
                if heard_from or referrer_slug
                else {}
            ),
        )
    except ValidationError as error:
        if set(error.message_dict) != {"email"}:
            raise
        # Another signup created the account a moment ago: treat it as existing.
        _notify_existing_account(email=email, platform_root=platform_root)
        return SignupOutcome(opened=None)
    return SignupOutcome(opened=opened)


def _notify_existing_account(*, email: str, platform_root: str) -> None:
    """One notice per address and hour, however often someone tries (no mail bombing)."""
    context = {
        "login_url": f"{platform_root}/accounts/login/",
        "reset_url": f"{platform_root}/accounts/password-reset/",
    }
    with transaction.atomic():
        enqueue_email(
            to=[email],
            subject=_("Someone tried to open a shop with your email address"),
            body=render_to_string("accounts/signup_existing_account_email.txt", context),
            dedupe_key=f"signup-existing-account:{email}:{timezone.now():%Y%m%d%H}",
        )
