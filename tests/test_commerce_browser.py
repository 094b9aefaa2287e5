"""The merchant's and the shopper's whole daily path in a real browser."""

import re

import pytest
from playwright.sync_api import expect

from commerce.catalog.models import Stock
from commerce.orders.models import Order
from tests.factories import TEST_PASSWORD, ShopFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_set_up_sell_online_fulfil_and_sell_in_store(live_server, browser, page):
    opened = ShopFactory(slug="lotus", shop_name="Lotus Tea")
    port = live_server.url.rsplit(":", 1)[1]
    shop = f"http://lotus.localhost:{port}"

    # The merchant logs in and sets the store up.
    page.goto(f"{shop}/accounts/login/")
    page.fill("input[name=username]", opened.owner.email)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("button[type=submit]:has-text('Log in')")
    expect(page.locator("#setup-progress")).to_contain_text("0 of 4 done")

    page.goto(f"{shop}/manage/store/")
    page.fill("input[name=contact_email]", "hello@lotus.test")
    page.click("form[enctype] button[type=submit]")
    page.goto(f"{shop}/manage/store/outlets/new/")
    page.fill("input[name=name]", "Bund flagship")
    page.fill("input[name=address]", "1 Zhongshan Road")
    page.click("button[type=submit]:has-text('Save')")
    page.goto(f"{shop}/manage/store/shipping/")
    page.check("input[name=local_pickup]")
    page.click("#save-shipping")
    page.goto(f"{shop}/manage/store/payments/")
    page.check("input[name=accepts_cash_on_delivery]")
    page.click("#save-payments")

    page.goto(f"{shop}/manage/products/new/")
    page.fill("input[name=title]", "Jasmine pearls 茉莉龙珠")
    page.check("input[name=is_published]")
    page.fill("input[name=variants-0-sku]", "JAS-50")
    page.fill("input[name=variants-0-name]", "50 g")
    page.fill("input[name=variants-0-price]", "39.00")
    page.click("#save-product")
    expect(page.locator("h1")).to_contain_text("Stock of Jasmine pearls")
    page.locator("input[type=number]").first.fill("10")
    page.click("#save-stock")
    page.goto(f"{shop}/manage/")
    expect(page.locator("#setup-progress")).to_contain_text("4 of 4 done")

    # A shopper finds it, checks out with cash on delivery and sees the confirmation.
    shopper = browser.new_context(locale="en-US").new_page()
    shopper.goto(f"{shop}/")
    shopper.fill("input[name=q]", "jasmine")
    shopper.press("input[name=q]", "Enter")
    shopper.click("a.product-card")
    shopper.fill("#quantity", "2")
    shopper.click("#add-to-cart")
    shopper.click("#go-to-checkout")
    shopper.fill("input[name=contact_name]", "Mei Lin")
    shopper.fill("input[name=email]", "mei@example.test")
    shopper.check("input[name=shipping_method][value=pickup]")
    shopper.check("input[name=payment_method][value=cash_on_delivery]")
    shopper.click("#place-order")
    expect(shopper.locator("#confirmation")).to_contain_text("is placed")
    with opened.merchant:
        order = Order.objects.get()
        assert order.total == 78

    # The merchant sees the order and fulfils it.
    page.goto(f"{shop}/manage/orders/")
    page.click(f"a:has-text('{order.number}')")
    page.fill("input[name=carrier]", "Pickup")
    page.fill("input[name=tracking_number]", "COUNTER-1")
    page.click("#fulfil")
    expect(page.locator("#fulfilment-status")).to_have_text("Fulfilled")
    shopper.goto(f"{shop}/orders/{order.status_token}/")
    expect(shopper.locator("#fulfilment-status")).to_have_text("Fulfilled")
    shopper.context.close()

    # A sale at the till drops the outlet's stock.
    page.goto(f"{shop}/manage/pos/")
    page.click("#choose-outlet")
    page.fill("input[name=sku]", "JAS-50")
    page.click("#add-sku")
    expect(page.locator("#pos-total")).to_contain_text("39.00")
    page.click("#pay-cash")
    expect(page).to_have_url(re.compile(r"/manage/pos/receipts/\d+/$"))
    expect(page.locator("#receipt")).to_contain_text("1 × Jasmine pearls")
    with opened.merchant:
        assert Stock.objects.get(variant__sku="JAS-50").quantity == 7
        assert Order.objects.filter(channel="in_store").count() == 1
