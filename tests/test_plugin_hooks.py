"""The hook runner calls the enabled plugins that declare a hook, and only those; a plugin
written against it (a flash sale here) changes checkout, refunds and the product page
without the shop's code knowing it."""

import uuid
from dataclasses import replace
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.utils.safestring import mark_safe

from commerce.catalog.models import Stock, Variant
from commerce.checkout.services import CheckoutRequest, place_order
from commerce.orders.models import Order
from commerce.orders.services import LineRequest, record_offline_payment
from commerce.payments.services import refund_order
from commerce.plugins.registry import REGISTRY, PluginSpec
from commerce.plugins.services import disable_plugin, enable_plugin
from tests.conftest import on_host

pytestmark = pytest.mark.django_db

# What the test plugin's refund handler was told (emptied by the fixture).
refunds_seen: list[tuple[str, Decimal]] = []


def half_price(*, lines):
    return [replace(line, unit_price=line.unit_price / 2) for line in lines]


def no_puer(*, wanted):
    puer = Variant.objects.get(sku="PUER-357").pk
    return "Pu'er is not part of the flash sale." if puer in wanted else None


def note_refund(*, order, amount):
    refunds_seen.append((order.number, amount))


def banner(*, request, variant_ids):
    return mark_safe('<div id="flash-banner">Flash sale: half price</div>')


@pytest.fixture
def flash_sale():
    REGISTRY["flash"] = PluginSpec(
        key="flash",
        name="Flash sale",
        description="Half price for an hour.",
        monthly_price=Decimal("49.00"),
        handlers={
            "pricing": "tests.test_plugin_hooks.half_price",
            "pre_order_veto": "tests.test_plugin_hooks.no_puer",
            "order_refunded": "tests.test_plugin_hooks.note_refund",
            "storefront": "tests.test_plugin_hooks.banner",
        },
    )
    refunds_seen.clear()
    yield "flash"
    del REGISTRY["flash"]


def order_for(sku: str) -> Order:
    return place_order(
        CheckoutRequest(
            reference=str(uuid.uuid4()),
            lines=[LineRequest(Variant.objects.get(sku=sku).pk, 2)],
            email="mei@example.test",
            contact_name="Mei",
            payment_method="cash_on_delivery",
            shipping_method="pickup",
        )
    )


def test_an_enabled_pricing_plugin_prices_checkout_and_a_disabled_one_does_not(
    selling_shop, flash_sale
):
    with selling_shop.merchant:
        enable_plugin(flash_sale, actor="test")
        discounted = order_for("OOL-100")
        disable_plugin(flash_sale, actor="test")
        full_price = order_for("OOL-100")

        assert (discounted.subtotal, discounted.lines.get().unit_price) == (
            Decimal("30.00"),
            Decimal("15.00"),
        )
        assert full_price.subtotal == Decimal("60.00")


def test_a_veto_refuses_the_order_naming_its_lines_and_writes_nothing(selling_shop, flash_sale):
    with selling_shop.merchant:
        enable_plugin(flash_sale, actor="test")
        with pytest.raises(ValidationError) as vetoed:
            order_for("PUER-357")

        assert vetoed.value.message_dict == {"lines": ["Pu'er is not part of the flash sale."]}
        assert not Order.objects.exists()
        assert Stock.objects.get(variant__sku="PUER-357").quantity == 5


def test_refunds_reach_the_enabled_plugins_once_each(selling_shop, flash_sale):
    with selling_shop.merchant:
        enable_plugin(flash_sale, actor="test")
        order = record_offline_payment(order_for("OOL-100").pk, actor="till")
        refund_order(order.pk, amount="5.00", reason="bruised", actor="t", idempotency_key="r1")
        refund_order(order.pk, amount="5.00", reason="bruised", actor="t", idempotency_key="r1")

        assert refunds_seen == [(order.number, Decimal("5.00"))]


def test_product_pages_show_the_enabled_plugins_blocks_only(selling_shop, flash_sale):
    visitor = on_host(Client(), "alpha.localhost")
    with selling_shop.merchant:
        enable_plugin(flash_sale, actor="test")
    connection.set_schema_to_public()
    shown = visitor.get("/p/oolong/").content.decode()
    with selling_shop.merchant:
        disable_plugin(flash_sale, actor="test")
    connection.set_schema_to_public()
    hidden = visitor.get("/p/oolong/").content.decode()

    assert '<div id="flash-banner">Flash sale: half price</div>' in shown
    assert "flash-banner" not in hidden


def test_a_plugin_declares_only_known_hooks():
    with pytest.raises(ValueError, match="unknown hooks"):
        PluginSpec(
            key="odd",
            name="Odd",
            description="",
            monthly_price=Decimal("1"),
            handlers={"checkout_colour": "x.y"},
        )
