"""A shopper signs in by email link in a real browser and finds their past orders."""

import re
import uuid
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from commerce.catalog.models import Product, Stock, Variant
from commerce.checkout.services import CheckoutRequest, place_order
from commerce.orders.services import LineRequest
from commerce.store.selectors import online_outlet, store_settings
from tests.factories import ShopFactory
from tests.outbox import deliver_outbox

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("outbox_delivered_by_test"),
]

LINK = re.compile(r"http://lotus\.localhost(/account/sign-in/[A-Za-z0-9_-]+/)")


def test_a_shopper_signs_in_by_email_link_and_sees_two_past_orders(
    live_server, browser, mailoutbox
):
    opened = ShopFactory(slug="lotus", shop_name="Lotus Tea")
    opened.merchant.language = "en"
    opened.merchant.save(update_fields=["language"])
    with opened.merchant:
        settings = store_settings()
        settings.local_pickup = True
        settings.shipping_flat_rate = Decimal("10.00")
        settings.accepts_cash_on_delivery = True
        settings.save()
        product = Product.objects.create(title="Jasmine pearls", slug="jasmine", is_published=True)
        variant = Variant.objects.create(product=product, sku="JAS-50", price=Decimal("39.00"))
        Stock.objects.create(variant=variant, outlet=online_outlet(), quantity=20)
        # Two orders placed as a guest, before any account existed, and someone else's.
        past = [
            place_order(
                CheckoutRequest(
                    reference=str(uuid.uuid4()),
                    lines=[LineRequest(variant.pk, quantity)],
                    email=email,
                    contact_name="Mei Lin",
                    payment_method="cash_on_delivery",
                    shipping_method="pickup",
                )
            )
            for quantity, email in ((1, "mei@example.test"), (2, "Mei@example.test"),
                                    (3, "li@example.test"))
        ]  # fmt: skip
    assert deliver_outbox() == 3  # their confirmations
    port = live_server.url.rsplit(":", 1)[1]
    shop = f"http://lotus.localhost:{port}"
    page = browser.new_context(locale="en-US").new_page()

    page.goto(f"{shop}/")
    page.click("#account-link")
    expect(page).to_have_url(f"{shop}/account/sign-in/")
    page.fill("input[name=email]", "mei@example.test")
    page.click("#send-link")
    expect(page.locator("#check-email")).to_have_text("Check your email")

    assert deliver_outbox() == 1
    link_mail = mailoutbox[-1]
    assert link_mail.subject == "Your sign-in link for Lotus Tea"
    path = LINK.search(link_mail.body)[1]
    page.goto(f"{shop}{path}")
    page.click("#confirm-sign-in")
    expect(page.locator("#account-email")).to_have_text("mei@example.test")
    rows = page.locator("#order-history .order-row")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text(past[1].number)
    expect(rows.nth(0)).to_contain_text("78.00")
    expect(rows.nth(1)).to_contain_text(past[0].number)
    expect(page.locator("#order-history")).not_to_contain_text(past[2].number)

    # The order's own page, from the history.
    page.click(f"#order-history a:has-text('{past[0].number}')")
    expect(page.locator("#fulfilment-status")).to_have_text("Unfulfilled")

    # A saved address fills the next checkout.
    page.goto(f"{shop}/account/")
    page.click("#add-address")
    page.fill("input[name=label]", "Home")
    page.fill("input[name=contact_name]", "Mei Lin")
    page.fill("input[name=line1]", "1 Bund")
    page.fill("input[name=city]", "Shanghai")
    page.click("#save-address")
    expect(page.locator("#saved-addresses")).to_contain_text("1 Bund, Shanghai")
    page.goto(f"{shop}/p/jasmine/")
    page.click("#add-to-cart")
    page.click("#go-to-checkout")
    expect(page.locator("input[name=email]")).to_have_value("mei@example.test")
    expect(page.locator("input[name=address_line1]")).to_have_value("1 Bund")
    page.check("input[name=shipping_method][value=flat]")
    page.check("input[name=payment_method][value=cash_on_delivery]")
    page.click("#place-order")
    expect(page.locator("#confirmation")).to_contain_text("is placed")
    page.goto(f"{shop}/account/")
    expect(page.locator("#order-history .order-row")).to_have_count(3)

    # Signed out, the account is closed to this browser.
    page.click("#sign-out")
    page.goto(f"{shop}/account/")
    expect(page).to_have_url(f"{shop}/account/sign-in/")
