"""Demo data for `make demo`: platform staff, three shops with outlets and a month of ledger.

Safe to run again: what exists is left as it is.
"""

from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import PlatformRole, User
from analytics.ledger import StatsDelta, record_event
from commerce.store.models import Outlet
from commerce.store.services import OutletInput, save_outlet, update_store_settings
from tenants.models import Merchant
from tenants.services import open_shop

DEMO_PASSWORD = "demo-pass-2026"
PLATFORM_STAFF = [
    ("admin@demo.test", [PlatformRole.PLATFORM_ADMIN], True),
    ("csm@demo.test", [PlatformRole.CSM], False),
    ("finance@demo.test", [PlatformRole.FINANCE], False),
]
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
            self.stdout.write(f"Demo shop: {merchant.name} ({slug})")

    @staticmethod
    def _fill_shop(merchant: Merchant, name: str, outlet_names: list[str]) -> None:
        with merchant, transaction.atomic():
            update_store_settings(display_name=name, tagline="A demo shop", contact_email="")
            for outlet_name in outlet_names:
                if not Outlet.objects.filter(name=outlet_name).exists():
                    save_outlet(data=OutletInput(name=outlet_name, address=f"{outlet_name} 1"))
            today = timezone.now()
            for days_ago in range(30, 0, -1):
                orders = (days_ago * 7) % 11 + 1
                gmv = Decimal(orders) * Decimal("88.50")
                record_event(
                    merchant=merchant,
                    kind="demo_sales_day",
                    idempotency_key=f"demo:{merchant.slug}:{days_ago}",
                    occurred_at=today - timedelta(days=days_ago),
                    delta=StatsDelta(gmv=gmv, orders=orders, online_orders=orders, online_gmv=gmv),
                )
