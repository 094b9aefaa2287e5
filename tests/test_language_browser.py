"""A CSM picks Chinese on their profile in a real browser; after signing out and in again
(in a browser that never saw the choice), the console is in Chinese; the switcher still
turns it back to English."""

import pytest
from playwright.sync_api import expect

from accounts.models import User
from tests.factories import TEST_PASSWORD
from tests.factories_onboarding import make_csm

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, url: str, email: str) -> None:
    page.goto(f"{url}/accounts/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("main button[type=submit]")


def test_a_csm_picks_chinese_signs_out_and_in_and_sees_the_console_in_chinese(live_server, browser):
    csm = make_csm("li@platform.test")
    url = live_server.url
    first = browser.new_context(locale="en-US")
    first.set_default_timeout(15_000)
    page = first.new_page()
    log_in(page, url, csm.email)
    expect(page.locator("a.brand")).to_have_text("Platform console")

    page.click("#profile-link")
    page.select_option("form.card select[name=language]", "zh-hans")
    page.click("form.card button[type=submit]")

    expect(page.locator(".messages")).to_have_text("个人资料已保存。")
    expect(page.locator("h1")).to_have_text("个人资料")
    assert User.objects.get(pk=csm.pk).language == "zh-hans"
    page.click("header form[action='/accounts/logout/'] button")
    first.close()

    # Another browser, English by its own settings and without the language cookie.
    second = browser.new_context(locale="en-US")
    second.set_default_timeout(15_000)
    page = second.new_page()
    log_in(page, url, csm.email)

    expect(page).to_have_url(f"{url}/console/merchants/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator("a.brand")).to_have_text("平台控制台")
    expect(page.locator("nav.sidebar")).to_contain_text("开店引导")

    # The switcher still works, for this browser, without changing the saved language.
    page.select_option("#language-select", "en")
    page.click("form.lang-switch button")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("a.brand")).to_have_text("Platform console")
    assert User.objects.get(pk=csm.pk).language == "zh-hans"
    second.close()
