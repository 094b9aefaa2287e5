"""Helpers for customer-success tests: a shop set up through the real shop services, and
ledger facts written the way the shop writes them."""

from datetime import timedelta
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from accounts.models import PlatformRole
from onboarding.models import CsmProfile
from tests.factories import PlatformStaffFactory


def make_csm(email: str, manager=None, takes_merchants: bool = True):
    csm = PlatformStaffFactory(email=email, platform_roles=[PlatformRole.CSM])
    if manager is not None or not takes_merchants:
        CsmProfile.objects.create(user=csm, manager=manager, accepts_new_merchants=takes_merchants)
    return csm


def set_up_store(merchant) -> None:
    """Details, a published product with stock, a payment method and shipping: the shop's
    own checklist then writes `store_setup_completed` to the ledger."""
    from commerce.catalog.services import ProductInput, VariantInput, save_product, set_stock
    from commerce.store.selectors import online_outlet
    from commerce.store.services import (
        update_offline_payments,
        update_shipping,
        update_store_settings,
    )
    from commerce.store.setup import record_setup_if_complete

    with merchant:
        update_store_settings(display_name=merchant.name, contact_email="hi@shop.test")
        update_shipping(flat_rate="10.00", free_over="", local_pickup=True)
        update_offline_payments(cash_on_delivery=True, pay_in_store=True)
        product = save_product(
            data=ProductInput(title="Oolong", description="Tea", is_published=True),
            variants=[VariantInput(sku="OOL-1", price=Decimal("30.00"))],
        )
        set_stock(variant_id=product.variants.get().pk, outlet_id=online_outlet().pk, quantity=50)
        assert record_setup_if_complete() is True
    connection.set_schema_to_public()


def go_live(merchant) -> None:
    """A first in-store (POS) sale and a first group-buy campaign."""
    from commerce.catalog.models import Variant
    from commerce.groupbuy.campaigns import CampaignInput, create_campaign
    from commerce.orders.services import LineRequest, pos_sale
    from commerce.plugins.services import enable_plugin
    from commerce.store.models import Outlet
    from commerce.store.services import OutletInput, save_outlet

    with merchant:
        outlet = save_outlet(data=OutletInput(name="Flagship", address="1 Bund"))
        variant = Variant.objects.get()
        from commerce.catalog.services import set_stock

        set_stock(variant_id=variant.pk, outlet_id=outlet.pk, quantity=5)
        pos_sale(
            outlet_id=Outlet.objects.get(name="Flagship").pk,
            lines=[LineRequest(variant.pk, 1)],
            payment_method="cash",
            actor="test",
        )
        enable_plugin("groupbuy", actor="test")
        now = timezone.now()
        create_campaign(
            CampaignInput(
                name="Team of two",
                variant_id=variant.pk,
                group_price=Decimal("20.00"),
                team_size=2,
                team_window_hours=24,
                starts_at=now,
                ends_at=now + timedelta(days=7),
            )
        )
    connection.set_schema_to_public()
