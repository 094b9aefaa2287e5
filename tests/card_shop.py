"""Shops ready for card payments: connected to Stripe with a checkout awaiting its payment,
or running a group-buy campaign (the starting points of the webhook and refund tests)."""

import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from commerce.catalog.models import Product, Stock, Variant
from commerce.checkout.models import CheckoutSession
from commerce.checkout.services import CheckoutRequest, reserve_checkout
from commerce.orders.services import LineRequest
from commerce.store.selectors import online_outlet, store_settings
from tenants.models import Merchant


@dataclass(frozen=True)
class CardCheckout:
    merchant: Merchant
    checkout: CheckoutSession
    variant: Variant


def card_checkout(merchant: Merchant, *, account: str, intent_id: str) -> CardCheckout:
    """Connect `merchant` to the Stripe account and reserve two Oolong (68.00 each, pickup)
    paid by the PaymentIntent `intent_id`. Leaves the connection in the shop's schema."""
    Merchant.objects.filter(pk=merchant.pk).update(
        stripe_account_id=account, stripe_charges_enabled=True
    )
    merchant = Merchant.objects.get(pk=merchant.pk)
    merchant.activate()
    shop_settings = store_settings()
    shop_settings.local_pickup = True
    shop_settings.save()
    product = Product.objects.create(title="Oolong", slug="oolong", is_published=True)
    variant = Variant.objects.create(product=product, sku="OOLONG-250", price=Decimal("68.00"))
    Stock.objects.create(variant=variant, outlet=online_outlet(), quantity=5)
    checkout = reserve_checkout(
        CheckoutRequest(
            reference=str(uuid.uuid4()),
            lines=[LineRequest(variant.pk, 2)],
            email="mei@example.test",
            contact_name="Mei",
            payment_method="stripe",
            shipping_method="pickup",
        )
    )
    CheckoutSession.objects.filter(pk=checkout.pk).update(payment_intent_id=intent_id)
    return CardCheckout(merchant=merchant, checkout=checkout, variant=variant)


def launch_duo_campaign(variant_id: int, *, group_price: Decimal):
    """Switch group-buy on in the current shop and launch "Oolong duo": teams of two, open
    12 hours, running from a minute ago until tomorrow."""
    from django.utils import timezone

    from commerce.groupbuy.campaigns import CampaignInput, create_campaign
    from commerce.plugins.services import enable_plugin

    enable_plugin("groupbuy", actor="test")
    now = timezone.now()
    return create_campaign(
        CampaignInput(
            name="Oolong duo",
            variant_id=variant_id,
            group_price=group_price,
            team_size=2,
            team_window_hours=12,
            starts_at=now - timedelta(minutes=1),
            ends_at=now + timedelta(days=1),
        )
    )
