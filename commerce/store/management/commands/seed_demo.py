"""Demo data for `make demo`: platform staff and four shops with a past.

Every shop signs up on its own day and sells every day since, through the services shoppers
and staff use (checkout, recorded payment, the till, group-buy seats), with the clock moved
to that day (time-machine): the ledger, the orders, the data center and later the invoices
all come from the same orders, so every figure agrees with every other.

- Tea House: signed up 100 days ago; group-buy switched on 80 days ago, a team every
  third day since, and one team open today.
- Paper Kite: signed up 90 days ago, sold for 55 days (its owner later let the subscription
  lapse: seed_billing_demo).
- Noodle Bar: signed up 16 days ago; Flower Lab (USD): 3 days ago.

Safe to run again: a shop that exists is left as it is.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import time_machine
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import PlatformRole, User
from commerce.catalog.models import Variant
from commerce.catalog.services import ProductInput, VariantInput, save_product, set_stock
from commerce.checkout.services import CheckoutRequest, place_order
from commerce.groupbuy.campaigns import CampaignInput, create_campaign
from commerce.groupbuy.models import Campaign, Team
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
GROUPBUY_SHOP = "tea-house"
GROUPBUY_PRODUCT = "Aged white peony 白牡丹"
STOCK_PER_OUTLET = 2000
GROUPBUY_TEAM_SIZE = 3


@dataclass(frozen=True)
class DemoShop:
    slug: str
    name: str
    currency: str
    outlets: tuple[str, ...]
    signed_up_days_ago: int
    sells_for_days: int | None = None  # None: every day up to today
    online_orders_a_day: int = 2
    groupbuy_days_ago: int | None = None  # the day group-buy was switched on


DEMO_SHOPS = [
    DemoShop(
        "tea-house",
        "Tea House 茶馆",
        "CNY",
        ("Jing'an flagship", "Xuhui kiosk"),
        signed_up_days_ago=100,
        online_orders_a_day=3,
        groupbuy_days_ago=80,
    ),
    DemoShop("paper-kite", "Paper Kite 纸鸢", "CNY", ("Tianzifang",), 90, sells_for_days=55),
    DemoShop("noodle-bar", "Noodle Bar", "CNY", ("People's Square",), 16),
    DemoShop("flower-lab", "Flower Lab", "USD", ("Mission Street", "Dolores", "Castro"), 3),
]


def local_moment(merchant_zone: str, day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(merchant_zone))


class Command(BaseCommand):
    help = "Create the demo platform users and merchants with their past sales (idempotent)."

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
        now = timezone.now()
        for shop in DEMO_SHOPS:
            merchant = Merchant.objects.filter(slug=shop.slug).first()
            if merchant is None:
                merchant = self._sign_up(shop, password_hash, now)
                self._sell_since_signup(merchant, shop, now)
            if shop.slug == GROUPBUY_SHOP:
                self._open_todays_team(merchant, now)
            self.stdout.write(f"Demo shop: {merchant.name} ({shop.slug})")

    @staticmethod
    def _sign_up(shop: DemoShop, password_hash: str, now: datetime) -> Merchant:
        zone = "Asia/Shanghai"
        today = now.astimezone(ZoneInfo(zone)).date()
        signup_day = today - timedelta(days=shop.signed_up_days_ago)
        with time_machine.travel(local_moment(zone, signup_day, 9, 30)):
            merchant = open_shop(
                shop_name=shop.name,
                slug=shop.slug,
                owner_email=f"owner@{shop.slug}.test",
                owner_password_hash=password_hash,
                currency=shop.currency,
                timezone_name=zone,
            ).merchant
            with merchant, transaction.atomic():
                update_store_settings(
                    display_name=shop.name,
                    tagline="A demo shop",
                    contact_email=f"hello@{shop.slug}.test",
                )
                # Every demo outlet fulfils online orders, the first one first.
                for rank, outlet_name in enumerate(shop.outlets, start=1):
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
                prefix = shop.slug.split("-")[0][:4].upper()
                for number, (title, price) in enumerate(DEMO_PRODUCTS, start=1):
                    product = save_product(
                        data=ProductInput(
                            title=title,
                            description=f"{title}, fresh this season.",
                            is_published=True,
                        ),
                        variants=[VariantInput(sku=f"{prefix}-{number}", price=Decimal(price))],
                    )
                    variant = product.variants.get()
                    for outlet in Outlet.objects.all():
                        set_stock(
                            variant_id=variant.pk, outlet_id=outlet.pk, quantity=STOCK_PER_OUTLET
                        )
                record_setup_if_complete()
        return merchant

    def _sell_since_signup(self, merchant: Merchant, shop: DemoShop, now: datetime) -> None:
        """A day of trade for each day from the one after signup up to today (today's
        orders at the current time, so nothing is in the future)."""
        today = now.astimezone(ZoneInfo(merchant.timezone)).date()
        first = today - timedelta(days=shop.signed_up_days_ago)
        for offset in range(1, shop.signed_up_days_ago + 1):
            if shop.sells_for_days is not None and offset > shop.sells_for_days:
                break
            day = first + timedelta(days=offset)
            moment = local_moment(merchant.timezone, day, 11)
            if day == today:
                moment = min(moment, now - timedelta(minutes=30))
            with time_machine.travel(moment), merchant:
                self._trade_a_day(shop, day, offset, days_ago=(today - day).days)

    @staticmethod
    def _trade_a_day(shop: DemoShop, day: date, offset: int, *, days_ago: int) -> None:
        variants = list(Variant.objects.order_by("pk"))
        first_outlet = Outlet.objects.order_by("pk").first()
        if shop.groupbuy_days_ago is not None and days_ago == shop.groupbuy_days_ago:
            with transaction.atomic():
                enable_plugin("groupbuy", actor="seed_demo")
                create_campaign(
                    CampaignInput(
                        name="White peony for three",
                        variant_id=Variant.objects.get(product__title=GROUPBUY_PRODUCT).pk,
                        group_price=Decimal("99.00"),
                        leader_price=Decimal("89.00"),
                        team_size=GROUPBUY_TEAM_SIZE,
                        team_window_hours=48,
                        starts_at=timezone.now() - timedelta(minutes=1),
                        ends_at=timezone.now() + timedelta(days=shop.groupbuy_days_ago + 14),
                    )
                )
        # A steady week: weekends sell more; a few shoppers come back.
        count = shop.online_orders_a_day + (1 if day.weekday() >= 5 else 0)
        for number in range(count):
            variant = variants[(offset + number) % len(variants)]
            shopper = (offset * count + number) % 40
            with transaction.atomic():
                order = place_order(
                    CheckoutRequest(
                        reference=str(uuid.uuid4()),
                        lines=[LineRequest(variant.pk, 1 + (offset + number) % 3)],
                        email=f"shopper{shopper}@example.test",
                        contact_name=f"Demo shopper {shopper}",
                        payment_method="cash_on_delivery",
                        shipping_method="pickup",
                    )
                )
                # Most cash-on-delivery orders are paid on delivery; one a week is awaited.
                if (offset + number) % 7 != 3:
                    record_offline_payment(order.pk, actor="seed_demo")
        if offset % 2 == 0:
            with transaction.atomic():
                pos_sale(
                    outlet_id=first_outlet.pk,
                    lines=[LineRequest(variants[offset % len(variants)].pk, 1)],
                    payment_method="cash",
                    actor="seed_demo",
                )
        groupbuy_on = shop.groupbuy_days_ago is not None and days_ago < shop.groupbuy_days_ago
        if groupbuy_on and offset % 3 == 0 and days_ago > 0:
            Command._fill_a_team(offset)

    @staticmethod
    def _fill_a_team(offset: int) -> None:
        """A whole team: the leader starts it, two friends join, all pay in store."""
        campaign = Campaign.objects.get()
        leader = take_seat(
            campaign_id=campaign.pk,
            email=f"leader{offset}@example.test",
            payment_method="pay_in_store",
        )
        confirm_seat_payment(leader.pk)
        for friend in range(1, GROUPBUY_TEAM_SIZE):
            member = take_seat(
                campaign_id=campaign.pk,
                team_id=leader.team_id,
                email=f"friend{offset}-{friend}@example.test",
                payment_method="pay_in_store",
            )
            confirm_seat_payment(member.pk)

    @staticmethod
    def _open_todays_team(merchant: Merchant, now: datetime) -> None:
        """One team open today, its leader paid: what a shopper sees on the storefront."""
        with merchant, transaction.atomic():
            campaign = Campaign.objects.first()
            if campaign is None or Team.objects.filter(status="open").exists():
                return
            leader = take_seat(
                campaign_id=campaign.pk,
                email="leader@example.test",
                payment_method="pay_in_store",
            )
            confirm_seat_payment(leader.pk)
