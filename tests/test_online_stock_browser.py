"""Issue 16: a shop sells online from two outlets, in a real browser."""

import pytest
from playwright.sync_api import expect

from commerce.catalog.models import Stock
from commerce.orders.models import Order, OrderLine
from tests.factories import TEST_PASSWORD, ShopFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_online_stock_is_the_sum_of_two_outlets_and_an_order_shows_where_it_came_from(
    live_server, browser, page
):
    opened = ShopFactory(slug="lotus", shop_name="Lotus Tea")
    port = live_server.url.rsplit(":", 1)[1]
    shop = f"http://lotus.localhost:{port}"

    # The merchant sets up two outlets that fulfil online orders, the store first.
    page.goto(f"{shop}/accounts/login/")
    page.fill("input[name=username]", opened.owner.email)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("button[type=submit]:has-text('Log in')")
    for name, kind, rank in (("Bund Store", "store", "1"), ("Pudong Warehouse", "warehouse", "2")):
        page.goto(f"{shop}/manage/store/outlets/new/")
        page.fill("input[name=name]", name)
        page.fill("input[name=address]", f"{name} 1")
        page.select_option("select[name=kind]", kind)
        page.check("input[name=fulfils_online]")
        page.fill("input[name=online_rank]", rank)
        page.click("button[type=submit]:has-text('Save')")
    expect(page.locator("#online-outlets")).to_contain_text("1. Bund Store, 2. Pudong Warehouse")
    page.goto(f"{shop}/manage/store/shipping/")
    page.fill("input[name=shipping_flat_rate]", "12.00")
    page.check("input[name=local_pickup]")
    page.click("#save-shipping")
    page.goto(f"{shop}/manage/store/payments/")
    page.check("input[name=accepts_cash_on_delivery]")
    page.click("#save-payments")
    page.goto(f"{shop}/manage/products/new/")
    page.fill("input[name=title]", "Jasmine pearls")
    page.check("input[name=is_published]")
    page.fill("input[name=variants-0-sku]", "JAS-50")
    page.fill("input[name=variants-0-name]", "50 g")
    page.fill("input[name=variants-0-price]", "10.00")
    page.click("#save-product")
    stock_inputs = page.locator("input[type=number]")  # outlets by name: Bund, Pudong
    stock_inputs.nth(0).fill("10")
    stock_inputs.nth(1).fill("40")
    page.click("#save-stock")

    # The shopper sees 50 in stock, buys 15 and sees the delivery fee and total first.
    shopper = browser.new_context(locale="en-US").new_page()
    shopper.goto(f"{shop}/")
    shopper.click("a.product-card")
    expect(shopper.locator("text=50 in stock")).to_be_visible()
    shopper.fill("#quantity", "15")
    shopper.click("#add-to-cart")
    shopper.click("#go-to-checkout")
    expect(shopper.locator("#field-shipping_method")).to_contain_text(
        "Delivery: 12.00 CNY · total 162.00 CNY"
    )
    shopper.check("input[name=shipping_method][value=flat]")
    expect(shopper.locator("#shipping-fee")).to_have_text("12.00 CNY")
    expect(shopper.locator("#order-total")).to_have_text("162.00 CNY")
    shopper.check("input[name=shipping_method][value=pickup]")
    expect(shopper.locator("#shipping-fee")).to_have_text("Free")
    expect(shopper.locator("#order-total")).to_have_text("150.00 CNY")
    expect(shopper.locator("#update-total")).to_be_hidden()  # scripts update it live
    shopper.check("input[name=shipping_method][value=flat]")
    expect(shopper.locator("#order-total")).to_have_text("162.00 CNY")
    shopper.fill("input[name=contact_name]", "Mei Lin")
    shopper.fill("input[name=email]", "mei@example.test")
    shopper.fill("input[name=address_line1]", "8 Century Avenue")
    shopper.fill("input[name=address_city]", "Shanghai")
    shopper.check("input[name=payment_method][value=cash_on_delivery]")
    shopper.click("#place-order")
    expect(shopper.locator("#confirmation")).to_contain_text("is placed")
    shopper.goto(f"{shop}/p/jasmine-pearls/")
    expect(shopper.locator("text=35 in stock")).to_be_visible()
    shopper.context.close()

    # The merchant's order shows which outlet gives which units.
    with opened.merchant:
        order = Order.objects.get()
        assert order.total == 162
        assert list(OrderLine.objects.order_by("id").values_list("quantity", "outlet__name")) == [
            (10, "Bund Store"),
            (5, "Pudong Warehouse"),
        ]
        assert dict(Stock.objects.values_list("outlet__name", "quantity")) == {
            "Bund Store": 0,
            "Pudong Warehouse": 35,
        }
    page.goto(f"{shop}/manage/orders/{order.pk}/")
    expect(page.locator("td.line-outlet")).to_have_text(["Bund Store", "Pudong Warehouse"])
