"""Demo data for `make demo`: platform staff, three shops set up with products and orders,
and a running group-buy at Tea House.

Safe to run again: what exists is left as it is.
"""

import uuid
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import PlatformRole, User
from commerce.catalog.models import Variant
from commerce.catalog.services import ProductInput, VariantInput, save_product, set_stock
from commerce.checkout.services import CheckoutRequest, place_order
from commerce.groupbuy.campaigns import CampaignInput, create_campaign
from commerce.groupbuy.models import Campaign
from commerce.groupbuy.seat_payments import confirm_seat_payment
from commerce.groupbuy.seats import take_seat
from commerce.orders.services import LineRequest, pos_sale, record_offline_payment
from commerce.plugins.services import enable_plugin
from commerce.store.models import Outlet
from commerce.store.services import (
    OutletInput,
    save_outlet,
    update_offline_payments,
    update_shipping,
    update_store_settings,
)
from commerce.store.setup import record_setup_if_complete
from tenants.models import Merchant
from tenants.services import open_shop

DEMO_PASSWORD = "demo-pass-2026"
PLATFORM_STAFF = [
    ("admin@demo.test", [PlatformRole.PLATFORM_ADMIN], True),
    ("csm@demo.test", [PlatformRole.CSM], False),
    ("finance@demo.test", [PlatformRole.FINANCE], False),
]
DEMO_PRODUCTS = [
    ("Dragon Well green tea 龙井", "68.00"),
    ("Jasmine pearls 茉莉龙珠", "39.00"),
    ("Aged white peony 白牡丹", "120.00"),
    ("Oolong 乌龙", "45.50"),
]
# Tea House runs a group-buy on its white peony: one team open, its leader paid.
GROUPBUY_SHOP = "tea-house"
GROUPBUY_PRODUCT = "Aged white peony 白牡丹"
DEMO_SHOPS = [
    ("tea-house", "Tea House 茶馆", "CNY", ["Jing'an flagship", "Xuhui kiosk"]),
    ("noodle-bar", "Noodle Bar", "CNY", ["People's Square"]),
    ("flower-lab", "Flower Lab", "USD", ["Mission Street", "Dolores", "Castro"]),
]


class Command(BaseCommand):
    help = "Create the demo platform users and merchants (idempotent)."

    def handle(self, *args, **options):
        password_hash = make_password(DEMO_PASSWORD)
        for email, roles, superuser in PLATFORM_STAFF:
            User.objects.get_or_create(
                email=email,
                defaults={
                    "password": password_hash,
                    "platform_roles": roles,
                    "is_staff": superuser,
                    "is_superuser": superuser,
                },
            )
        for slug, name, currency, outlet_names in DEMO_SHOPS:
            merchant = Merchant.objects.filter(slug=slug).first()
            if merchant is None:
                merchant = open_shop(
                    shop_name=name,
                    slug=slug,
                    owner_email=f"owner@{slug}.test",
                    owner_password_hash=password_hash,
                    currency=currency,
                ).merchant
                self._fill_shop(merchant, name, outlet_names)
            if slug == GROUPBUY_SHOP:
                self._run_a_groupbuy(merchant)
            self.stdout.write(f"Demo shop: {merchant.name} ({slug})")

    @staticmethod
    def _fill_shop(merchant: Merchant, name: str, outlet_names: list[str]) -> None:
        """Set the shop up, give it products with stock, and take a few real orders through
        the same services shoppers and staff use (so the ledger matches the shop's data)."""
        with merchant, transaction.atomic():
            update_store_settings(
                display_name=name,
                tagline="A demo shop",
                contact_email=f"hello@{merchant.slug}.test",
            )
            for rank, outlet_name in enumerate(outlet_names, start=1):
                if not Outlet.objects.filter(name=outlet_name).exists():
                    # Every demo outlet fulfils online orders, the first one first.
                    save_outlet(
                        data=OutletInput(
                            name=outlet_name,
                            address=f"{outlet_name} 1",
                            fulfils_online=True,
                            online_rank=rank,
                        )
                    )
            update_shipping(flat_rate="12.00", free_over="199.00", local_pickup=True)
            update_offline_payments(cash_on_delivery=True, pay_in_store=True)
            first_outlet = Outlet.objects.order_by("pk").first()
            variants = []
            for title, price in DEMO_PRODUCTS:
                product = save_product(
                    data=ProductInput(
                        title=title, description=f"{title}, fresh this season.", is_published=True
                    ),
                    variants=[
                        VariantInput(
                            sku=f"{merchant.slug.split('-')[0][:4].upper()}-{len(variants) + 1}",
                            price=Decimal(price),
                        )
                    ],
                )
                variant = product.variants.get()
                for outlet in Outlet.objects.all():
                    set_stock(variant_id=variant.pk, outlet_id=outlet.pk, quantity=50)
                variants.append(variant)
            record_setup_if_complete()
            for number, variant in enumerate(variants[:3], start=1):
                order = place_order(
                    CheckoutRequest(
                        reference=str(uuid.uuid4()),
                        lines=[LineRequest(variant.pk, number)],
                        email=f"shopper{number}@example.test",
                        contact_name=f"Demo shopper {number}",
                        payment_method="cash_on_delivery",
                        shipping_method="pickup",
                    )
                )
                if number < 3:
                    record_offline_payment(order.pk, actor="seed_demo")
            pos_sale(
                outlet_id=first_outlet.pk,
                lines=[LineRequest(variants[-1].pk, 1)],
                payment_method="cash",
                actor="seed_demo",
            )

    @staticmethod
    def _run_a_groupbuy(merchant: Merchant) -> None:
        with merchant, transaction.atomic():
            if Campaign.objects.exists():
                return
            enable_plugin("groupbuy", actor="seed_demo")
            now = timezone.now()
            campaign = create_campaign(
                CampaignInput(
                    name="White peony for three",
                    variant_id=Variant.objects.get(product__title=GROUPBUY_PRODUCT).pk,
                    group_price=Decimal("99.00"),
                    leader_price=Decimal("89.00"),
                    team_size=3,
                    team_window_hours=48,
                    starts_at=now - timedelta(minutes=1),
                    ends_at=now + timedelta(days=14),
                )
            )
            leader = take_seat(
                campaign_id=campaign.pk,
                email="leader@example.test",
                payment_method="pay_in_store",
            )
            confirm_seat_payment(leader.pk)
