"""Opening a merchant: the composition of what each layer does for a new shop.

tenants opens the shop (schema, merchant, domain, owner, membership) and knows nothing of
the domains; billing starts the default plan's trial; customer success starts the journey.
Onboarding may import billing (the one allowed direction between the domains), so the
composition lives here, and every way a shop is opened (signup, `create_merchants`, the
demo, benches, test factories) goes through `open_merchant`.
"""

from __future__ import annotations

from django.db import transaction

from billing.subscriptions import start_subscription_for_new_merchant
from onboarding.nps import record_signup_source
from onboarding.services import start_journey_for_new_merchant
from tenants.services import OpenedShop, open_shop


def open_merchant(*, signup_channel: str = "", referrer_slug: str = "", **shop) -> OpenedShop:
    """`tenants.services.open_shop(**shop)`, the trial, the journey and how the merchant
    came (channel, referring shop), in one transaction: if any step fails, no shop remains."""
    with transaction.atomic():
        opened = open_shop(**shop)
        start_subscription_for_new_merchant(merchant=opened.merchant, owner=opened.owner)
        start_journey_for_new_merchant(merchant=opened.merchant, owner=opened.owner)
        if signup_channel:
            record_signup_source(
                merchant=opened.merchant, channel=signup_channel, referrer_slug=referrer_slug
            )
    return opened
