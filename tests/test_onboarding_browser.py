"""Customer success in a real browser: a CSM's first contact, a merchant's NPS answer."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from onboarding.models import Milestone, NpsResponse, NpsSurvey, Task
from tests.factories import TEST_PASSWORD, ShopFactory
from tests.factories_onboarding import make_csm

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def log_in(page, url: str, email: str) -> None:
    page.goto(f"{url}/accounts/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("button[type=submit]:has-text('Log in')")


def test_a_csm_logs_a_first_contact_and_sees_the_stage_turn_green(live_server, page):
    csm = make_csm("csm@platform.test")
    shop = ShopFactory(slug="lotus", shop_name="Lotus Tea")
    log_in(page, live_server.url, csm.email)

    page.goto(f"{live_server.url}/console/onboarding/board/")
    page.click("#board a.tile:has-text('Lotus Tea')")
    stage = page.locator("li[data-stage=first_contact]")
    expect(stage).to_have_attribute("data-status", "on_track")

    page.select_option("#contact-form select[name=channel]", "phone")
    page.fill("#contact-form textarea[name=notes]", "Welcome call, set-up walkthrough")
    page.fill("#contact-form input[name=system_contact]", "Li Wei 138 0000 0000")
    page.fill("#contact-form textarea[name=store_role_owners]", "Li Wei: products and till")
    page.click("#log-contact")

    expect(page.locator(".messages")).to_contain_text("Contact logged.")
    expect(stage).to_have_attribute("data-status", "done")
    expect(stage).to_have_css("border-top-color", "rgb(18, 128, 92)")  # --ok green
    expect(page.locator("#timeline")).to_contain_text("Phone: Welcome call, set-up walkthrough")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "onboarding-merchant-360.png"), full_page=True)
    first = Milestone.objects.get(journey__merchant=shop.merchant, stage="first_contact")
    assert first.completed_by == csm


def test_a_merchant_owner_answers_the_nps_survey(live_server, page):
    csm = make_csm("csm@platform.test")
    shop = ShopFactory(slug="lotus", shop_name="Lotus Tea")
    NpsSurvey.objects.create(merchant=shop.merchant, wave=0)
    port = live_server.url.rsplit(":", 1)[1]
    url = f"http://lotus.localhost:{port}"
    log_in(page, url, shop.owner.email)

    page.goto(f"{url}/manage/onboarding/")
    page.check("#nps-form input[name=score][value='3']")
    page.fill("#nps-form textarea[name=comment]", "Too hard to find the till")
    page.click("#nps-submit")

    expect(page).to_have_url(re.compile(r"/manage/onboarding/$"))
    expect(page.locator(".messages")).to_contain_text("Thank you for your answer!")
    expect(page.locator("#nps-form")).to_have_count(0)
    answer = NpsResponse.objects.get()
    assert (answer.score, answer.comment, answer.answered_by) == (
        3,
        "Too hard to find the till",
        shop.owner,
    )
    # A detractor: the CSM has a task to call back.
    assert Task.objects.get().assignee == csm
