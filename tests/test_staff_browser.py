"""An owner invites a cashier; the cashier accepts in a browser, sells at the till and
cannot open Marketing (issue 16, item 8)."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from commerce.catalog.models import Product, Stock, Variant
from commerce.orders.models import Order
from tenants.models import Membership, StaffAction
from tests.factories import TEST_PASSWORD, OutletFactory, ShopFactory
from tests.outbox import deliver_outbox

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("outbox_delivered_by_test"),
]


def test_an_invited_cashier_uses_the_pos_and_cannot_open_marketing(
    live_server, browser, page, mailoutbox
):
    opened = ShopFactory(slug="lotus", shop_name="Lotus Tea")
    with opened.merchant:
        outlet = OutletFactory(name="Bund flagship")
        product = Product.objects.create(title="Jasmine pearls", slug="jasmine", is_published=True)
        variant = Variant.objects.create(product=product, sku="JAS-50", price=Decimal("39.00"))
        Stock.objects.create(variant=variant, outlet=outlet, quantity=5)
    shop = f"http://lotus.localhost:{live_server.url.rsplit(':', 1)[1]}"

    # The owner invites a cashier from Settings.
    page.goto(f"{shop}/accounts/login/")
    page.fill("input[name=username]", opened.owner.email)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("button[type=submit]:has-text('Log in')")
    page.click("nav.sidebar a:has-text('Settings')")
    page.fill("input[name=email]", "mei@lotus.test")
    page.select_option("select[name=role]", "cashier")
    page.click("button:has-text('Send invitation')")
    expect(page.locator(".messages")).to_contain_text("Invitation sent to mei@lotus.test")
    expect(page.locator("[data-testid=invitations]")).to_contain_text("mei@lotus.test")

    assert deliver_outbox() == 1
    assert len(mailoutbox) == 1
    link = re.search(r"http://\S+/accounts/invitations/\S+/", mailoutbox[0].body).group(0)
    assert link.startswith(f"{shop}/accounts/invitations/")

    # The cashier opens the link in their own browser and chooses a password.
    cashier = browser.new_context(locale="en-US").new_page()
    cashier.goto(link)
    expect(cashier.locator("main")).to_contain_text("Cashier")
    cashier.fill("input[name=password]", "a-long-cashier-passphrase")
    cashier.fill("input[name=password_again]", "a-long-cashier-passphrase")
    cashier.click("button:has-text('Accept the invitation')")

    # They land on the till, and the navigation offers the till and orders only (and, as
    # to every role, their own notices).
    expect(cashier).to_have_url(f"{shop}/manage/pos/")
    nav = cashier.locator("nav.sidebar")
    expect(nav.locator("a")).to_have_text(["Notices", "Orders", "Point of sale"])

    # They sell at the till.
    cashier.click("#choose-outlet")
    cashier.fill("input[name=sku]", "JAS-50")
    cashier.click("#add-sku")
    expect(cashier.locator("#pos-total")).to_contain_text("39.00")
    cashier.click("#pay-cash")
    expect(cashier).to_have_url(re.compile(r"/manage/pos/receipts/\d+/$"))
    expect(cashier.locator("#receipt")).to_contain_text("1 × Jasmine pearls")

    # Marketing is closed to them, typed in or not.
    response = cashier.goto(f"{shop}/manage/marketing/")
    assert response.status == 403
    expect(cashier.locator("h1")).to_have_text("No access")
    cashier.context.close()

    with opened.merchant:
        assert Order.objects.filter(channel="in_store").count() == 1
        assert Stock.objects.get(variant=variant).quantity == 4
    assert Membership.objects.get(user__email="mei@lotus.test").role == "cashier"

    # The owner reads who did what in the activity log.
    page.goto(f"{shop}/manage/settings/activity/")
    log = page.locator("[data-testid=activity]")
    expect(log).to_contain_text("Took a point-of-sale payment")
    expect(log).to_contain_text("mei@lotus.test")
    expect(log).to_contain_text("Invited mei@lotus.test as Cashier")
    assert StaffAction.objects.filter(actor__email="mei@lotus.test", section="pos").count() == 1
