"""The merchant reads its trial, term, renewal and estimate and sets its billing details;
finance opens the upcoming renewals, at-risk merchants first."""

from datetime import date

import pytest
from playwright.sync_api import expect

from accounts.models import PlatformRole
from billing.models import BillingAccount, Plan
from billing.subscriptions import local_today
from onboarding.models import HealthScore
from tests.factories import PlatformStaffFactory, ShopFactory
from tests.factories_billing import MerchantRowFactory, PlanFactory, sale, subscribe
from tests.test_billing_browser import log_in
from tests.test_browser import port_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_merchant_sees_its_trial_and_estimate_and_saves_its_billing_details(
    live_server, browser
):
    shop = ShopFactory(slug="lotus", shop_name="Lotus Tea")
    merchant = shop.merchant
    today = local_today(merchant)
    subscribe(merchant, Plan.objects.get(code="basic"), start=today, trial_days=14)
    sale(merchant, today, "1000.00", "first")
    page = browser.new_context(locale="en-US").new_page()
    shop_url = f"http://lotus.localhost:{port_of(live_server)}"
    log_in(page, shop_url, shop.owner.email)

    page.goto(f"{shop_url}/manage/billing/")

    expect(page.locator("[data-testid=trial]")).to_contain_text("Free trial ends in 14 days")
    expect(page.locator("[data-testid=renewal]")).to_contain_text("renews automatically")
    estimate = page.locator("table[data-testid=estimate]")
    expect(estimate).to_contain_text("Commission")
    expect(estimate).to_contain_text("Estimated total this month")
    page.fill("input[name=legal_name]", "莲花茶业有限公司")
    page.fill("textarea[name=address]", "杭州市西湖区龙井路1号")
    page.fill("input[name=tax_id]", "91330106MA2KX0001Y")
    page.fill("input[name=billing_email]", "not an address")
    page.click("button:has-text('Save billing details')")
    expect(page.locator("[data-field=billing_email]")).to_be_visible()
    assert not BillingAccount.objects.filter(merchant=merchant).exists()
    page.fill("input[name=billing_email]", "accounts@lotus.test")
    page.click("button:has-text('Save billing details')")
    expect(page.locator("ul.messages")).to_contain_text("Billing details saved")
    account = BillingAccount.objects.get(merchant=merchant)
    assert (account.legal_name, account.tax_id) == ("莲花茶业有限公司", "91330106MA2KX0001Y")
    expect(page.locator("input[name=tax_id]")).to_have_value("91330106MA2KX0001Y")
    page.context.close()


def test_finance_opens_the_upcoming_renewals_with_the_at_risk_merchant_first(live_server, page):
    plan = PlanFactory()
    calm = MerchantRowFactory(name="Calm Tea")
    subscribe(calm, plan, start=date.today(), interval="month")
    worried = MerchantRowFactory(name="Worried Noodles")
    subscribe(worried, plan, start=date.today(), interval="month")
    HealthScore.objects.create(merchant=worried, computed_on=date.today(), score=10)
    PlatformStaffFactory(email="finance@platform.test", platform_roles=[PlatformRole.FINANCE])

    log_in(page, live_server.url, "finance@platform.test")
    page.goto(f"{live_server.url}/console/billing/")
    page.click("main a:has-text('Upcoming renewals')")

    rows = page.locator("table[data-testid=renewals] tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Worried Noodles")
    expect(rows.nth(0)).to_contain_text("Low health (10)")
    expect(rows.nth(1)).to_contain_text("Calm Tea")
    expect(page.locator("nav.sidebar a.active")).to_have_text("Renewals")
