"""Glue between the notices page (accounts) and the sections notices are about: accounts
sits below billing and the community and can name neither their pages nor their caches,
so the URL conf hands these in."""

from django.urls import reverse

from accounts.models import User
from community.selectors import forget_unread
from tenants.models import Merchant

# The page a notice of a kind lands on when its own link cannot be followed: a dunning
# notice links to Stripe's hosted invoice, and the billing page has the same "Pay now".
LANDINGS = (("billing_", "manage_billing"), ("community_", "community_whats_new"))


def landing_for(kind: str) -> str:
    for prefix, name in LANDINGS:
        if kind.startswith(prefix):
            return reverse(name, urlconf="config.urls_tenant")
    return ""


def after_read(*, user: User, merchant: Merchant) -> None:
    """The community's badge counts its own unread notices: recount it too."""
    forget_unread(user_id=user.pk, merchant_id=merchant.pk)
