"""What a person does in a real browser (headless Chromium via Playwright)."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.models import PlatformRole
from tenants.models import Membership, Merchant
from tests.factories import TEST_PASSWORD, PlatformStaffFactory, ShopFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def port_of(live_server) -> int:
    return int(live_server.url.rsplit(":", 1)[1])


def test_a_visitor_opens_a_shop_and_lands_in_its_console(live_server, page):
    port = port_of(live_server)
    page.goto(f"http://localhost:{port}/")
    page.click("#open-shop")

    page.fill("input[name=shop_name]", "Jade Tea 玉茶")
    page.fill("input[name=slug]", "jade-tea")
    page.fill("input[name=email]", "owner@jade.test")
    page.fill("input[name=password]", "a-long-unusual-passphrase")
    page.click("#signup-submit")

    expect(page).to_have_url(f"http://jade-tea.localhost:{port}/manage/")
    expect(page.locator("h1")).to_have_text("Welcome to Jade Tea 玉茶")
    expect(page.locator("nav.sidebar")).to_contain_text("Products")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "signup-landed.png"), full_page=True)
    merchant = Merchant.objects.get(slug="jade-tea")
    assert Membership.objects.get(merchant=merchant).user.email == "owner@jade.test"


def test_signup_mistakes_are_shown_beside_the_field(live_server, page):
    ShopFactory(slug="taken-shop")
    page.goto(f"{live_server.url}/signup/")

    page.fill("input[name=shop_name]", "Copycat")
    page.fill("input[name=slug]", "taken-shop")
    page.fill("input[name=email]", "copy@cat.test")
    page.fill("input[name=password]", "a-long-unusual-passphrase")
    page.click("#signup-submit")

    expect(page.locator("ul[data-field=slug]")).to_have_text(
        "“taken-shop” is already taken. Please choose another address."
    )
    assert not Merchant.objects.filter(name="Copycat").exists()


def test_a_csm_logs_in_and_finds_a_merchant_in_the_console(live_server, page):
    ShopFactory(slug="lotus-bakery", shop_name="Lotus Bakery")
    ShopFactory(slug="other-shop", shop_name="Other Shop")
    csm = PlatformStaffFactory(email="csm@platform.test", platform_roles=[PlatformRole.CSM])

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", csm.email)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("button[type=submit]:has-text('Log in')")
    expect(page).to_have_url(re.compile(r"/console/merchants/$"))

    page.fill("input[name=q]", "lotus")
    page.click("button:has-text('Search')")

    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Lotus Bakery")
    rows.first.locator("a").click()
    expect(page.locator("h1")).to_contain_text("Lotus Bakery")
    expect(page.locator("body")).to_contain_text("owner@lotus-bakery.test")
