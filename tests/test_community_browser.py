"""The merchant community in a real browser: notes by tier, a beta's flag, the question
cut-off, votes kept through a merge, the quadrant board."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import expect

from accounts.models import PlatformRole
from community import services
from community.models import FeatureRequest, Vote
from onboarding.models import Journey
from outbox.models import OutboxMessage
from tests.factories import TEST_PASSWORD, PlatformStaffFactory, ShopFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHANGHAI = ZoneInfo("Asia/Shanghai")


def log_in(page, url: str, email: str) -> None:
    page.goto(f"{url}/accounts/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("button[type=submit]:has-text('Log in')")


def shop_url(live_server, slug: str) -> str:
    return f"http://{slug}.localhost:{live_server.url.rsplit(':', 1)[1]}"


def product_staff():
    return PlatformStaffFactory(email="pm@platform.test", platform_roles=[PlatformRole.PRODUCT])


def test_a_note_for_tier_ka_shows_a_badge_to_a_ka_merchant_and_not_to_a_c_merchant(
    live_server, browser
):
    product_staff()
    ka = ShopFactory(slug="kashop", shop_name="KA Shop")
    c = ShopFactory(slug="cshop", shop_name="C Shop")
    Journey.objects.filter(merchant=ka.merchant).update(tier="KA")
    Journey.objects.filter(merchant=c.merchant).update(tier="C")

    staff = browser.new_context(locale="en-US").new_page()
    log_in(staff, live_server.url, "pm@platform.test")
    staff.goto(f"{live_server.url}/console/product/notes/")
    staff.fill("#note-form input[name=title]", "Priority support line")
    staff.fill("#note-form textarea[name=feature]", "A direct line to a senior CSM.")
    staff.fill("#note-form textarea[name=scenario]", "Big promotions that cannot wait.")
    staff.select_option("#note-form select[name=audience]", "tier")
    staff.fill("#note-form input[name=audience_value]", "KA")
    staff.fill("#note-form input[name=link]", "/manage/onboarding/")
    staff.click("#publish")
    expect(staff.locator(".messages")).to_contain_text("Release note published.")

    for opened, sees in ((ka, True), (c, False)):
        page = browser.new_context(locale="en-US").new_page()
        url = shop_url(live_server, opened.merchant.slug)
        log_in(page, url, opened.owner.email)
        page.goto(f"{url}/manage/")
        badge = page.locator("#nav-community #community-unread")
        if sees:
            expect(badge).to_have_text("1")
            page.click("#nav-community")
            expect(page.locator("#notes")).to_contain_text("Priority support line")
            page.click("#notes a:has-text('Where to find it')")
            assert page.url.endswith("/manage/onboarding/")
            expect(page.locator("#nav-community #community-unread")).to_have_count(0)
        else:
            expect(page.locator("#nav-community")).to_be_visible()
            expect(badge).to_have_count(0)
            page.click("#nav-community")
            expect(page.locator("#notes")).not_to_contain_text("Priority support line")
        page.context.close()


def test_a_merchant_joins_a_beta_and_the_flagged_feature_appears_only_for_them(
    live_server, browser
):
    pm = product_staff()
    joiner = ShopFactory(slug="joiner", shop_name="Joiner")
    other = ShopFactory(slug="other", shop_name="Other")
    today = datetime.now(SHANGHAI).date()
    services.open_beta(
        data=services.BetaInput(
            feature="low-stock-report",
            title="Low-stock report",
            plan="Four weeks, then everyone.",
            expectations="A list of what runs low.",
            audience="all",
            audience_value="",
            starts_on=today - timedelta(days=1),
            ends_on=today + timedelta(days=30),
        ),
        actor=pm,
    )
    page = browser.new_context(locale="en-US").new_page()
    url = shop_url(live_server, "joiner")
    log_in(page, url, joiner.owner.email)
    page.goto(f"{url}/manage/products/")
    expect(page.locator("#low-stock-link")).to_have_count(0)
    page.goto(f"{url}/manage/community/betas/")
    page.click("article[data-beta=low-stock-report] button.join")
    expect(page.locator(".messages")).to_contain_text("You joined the beta")
    page.fill("article[data-beta=low-stock-report] textarea[name=body]", "Exactly what I needed")
    page.click("article[data-beta=low-stock-report] .feedback-form button")
    expect(page.locator(".messages")).to_contain_text("Thank you for your feedback.")
    page.goto(f"{url}/manage/products/")
    page.click("#low-stock-link")
    expect(page.locator("h1")).to_contain_text("Low stock")

    other_page = browser.new_context(locale="en-US").new_page()
    other_url = shop_url(live_server, "other")
    log_in(other_page, other_url, other.owner.email)
    other_page.goto(f"{other_url}/manage/products/")
    expect(other_page.locator("h1")).to_have_text("Products")
    expect(other_page.locator("#low-stock-link")).to_have_count(0)
    assert other_page.goto(f"{other_url}/manage/products/low-stock/").status == 404

    staff = browser.new_context(locale="en-US").new_page()
    log_in(staff, live_server.url, pm.email)
    staff.goto(f"{live_server.url}/console/product/betas/")
    staff.click("#betas a:has-text('Low-stock report')")
    expect(staff.locator("#participants")).to_contain_text("Joiner")
    expect(staff.locator("#participants")).not_to_contain_text("Other")
    expect(staff.locator("main")).to_contain_text("Exactly what I needed")


def test_a_question_asked_at_1750_is_overdue_at_the_next_mornings_cut_off_not_before(
    live_server, page, browser
):
    pm = product_staff()
    shop = ShopFactory(slug="asker", shop_name="Asker")
    url = shop_url(live_server, "asker")
    asked = datetime(2026, 12, 7, 17, 50, tzinfo=SHANGHAI)  # a Monday
    with time_machine.travel(asked, tick=True):
        log_in(page, url, shop.owner.email)
        page.goto(f"{url}/manage/community/questions/")
        page.fill("#question-form input[name=title]", "How do I refund half an order?")
        page.click("#ask")
        expect(page.locator("#due")).to_contain_text("2026-12-08 10:00")  # the shop's local time

    staff = browser.new_context(locale="en-US").new_page()
    with time_machine.travel(datetime(2026, 12, 8, 9, 58, tzinfo=SHANGHAI), tick=True):
        log_in(staff, live_server.url, pm.email)
        staff.goto(f"{live_server.url}/console/product/questions/")
        expect(staff.locator("#unanswered")).to_contain_text("How do I refund half an order?")
        expect(staff.locator("#overdue-count")).to_have_text("0")
    with time_machine.travel(datetime(2026, 12, 8, 10, 1, tzinfo=SHANGHAI), tick=True):
        staff.goto(f"{live_server.url}/console/product/questions/")
        expect(staff.locator("#overdue")).to_contain_text("How do I refund half an order?")
        expect(staff.locator("#overdue-count")).to_have_text("1")
        staff.click("#overdue a:has-text('How do I refund half an order?')")
        staff.fill("#answer-form textarea[name=body]", "Orders › the order › Refund, enter half.")
        staff.click("#send-answer")
        expect(staff.locator(".messages")).to_contain_text("Answer sent")
        expect(staff.locator("#overdue-count")).to_have_text("0")

        page.goto(f"{url}/manage/")
        expect(page.locator("#community-unread")).to_have_text("1")
        page.goto(f"{url}/manage/community/questions/")
        page.click("#my-questions a")
        expect(page.locator("#thread")).to_contain_text("enter half")
    assert OutboxMessage.objects.filter(dedupe_key__startswith="community-answer:").count() == 1


def test_two_merchants_vote_staff_merge_the_duplicate_and_a_status_change_emails_each_voter_once(
    live_server, browser
):
    pm = product_staff()
    first = ShopFactory(slug="first", shop_name="First Tea")
    second = ShopFactory(slug="second", shop_name="Second Tea")

    def merchant_page(opened):
        page = browser.new_context(locale="en-US").new_page()
        url = shop_url(live_server, opened.merchant.slug)
        log_in(page, url, opened.owner.email)
        return page, url

    one, one_url = merchant_page(first)
    one.goto(f"{one_url}/manage/community/requests/")
    one.fill("#request-form input[name=title]", "Print shipping labels")
    one.fill("#request-form textarea[name=need]", "We write 80 labels by hand each day.")
    one.click("#post-request")
    expect(one.locator("#vote-count")).to_have_text("1 vote")

    two, two_url = merchant_page(second)
    two.goto(f"{two_url}/manage/community/requests/")
    two.fill("#request-form input[name=title]", "Label printer support")
    two.fill("#request-form textarea[name=need]", "Courier labels from the order page.")
    two.click("#post-request")
    two.goto(f"{two_url}/manage/community/requests/")
    two.click("#requests a:has-text('Print shipping labels')")
    two.click("#vote")
    expect(two.locator("#vote-count")).to_have_text("2 votes")

    original = FeatureRequest.objects.get(title="Print shipping labels")
    duplicate = FeatureRequest.objects.get(title="Label printer support")
    staff = browser.new_context(locale="en-US").new_page()
    log_in(staff, live_server.url, pm.email)
    staff.goto(f"{live_server.url}/console/product/requests/{duplicate.pk}/")
    staff.select_option("#merge-form select[name=into]", str(original.pk))
    staff.click("#merge")
    expect(staff.locator(".messages")).to_contain_text("Merged")
    assert Vote.objects.filter(request=original).count() == 2
    assert not Vote.objects.filter(request=duplicate).exists()

    staff.goto(f"{live_server.url}/console/product/requests/{original.pk}/")
    expect(staff.locator("#votes")).to_have_text("2")
    staff.select_option("#status-form select[name=status]", "under_review")
    staff.click("#change-status")
    expect(staff.locator(".messages")).to_contain_text("Status changed")
    # A second click with no status chosen: the form refuses it, nothing is sent.
    expect(staff.locator("#status-form select[name=status]")).to_have_value("")
    staff.click("#change-status")
    expect(staff.locator("#status-form select[name=status]")).to_have_attribute("required", "")
    emails = OutboxMessage.objects.filter(dedupe_key__startswith="community-status:")
    assert sorted(message.payload["to"][0] for message in emails) == [
        first.owner.email,
        second.owner.email,
    ]
    two.goto(f"{two_url}/manage/community/requests/{duplicate.pk}/")
    expect(two.locator("h1")).to_contain_text("Print shipping labels")
    expect(two.locator("h1 .badge")).to_have_text("Under review")


def test_the_quadrant_board_places_a_scored_request_in_its_quadrant(live_server, page):
    pm = product_staff()
    shop = ShopFactory(slug="board", shop_name="Board Shop")
    request = services.post_request(
        merchant=shop.merchant, user=shop.owner, title="Free material library", need="Photos"
    )
    log_in(page, live_server.url, pm.email)
    page.goto(f"{live_server.url}/console/product/")
    expect(page.locator("#untriaged")).to_contain_text("Free material library")

    page.click("#untriaged a:has-text('Free material library')")
    page.select_option("#triage-form select[name=user_value]", "growth_efficiency")
    page.select_option("#triage-form select[name=user_value_score]", "3")
    page.select_option("#triage-form select[name=business_value_score]", "0")
    page.select_option("#triage-form select[name=capacity_cost]", "3")
    page.fill("#triage-form input[name=capacity_note]", "Storage for every shop's photos")
    page.click("#save-triage")
    expect(page.locator(".messages")).to_contain_text("Triage saved.")
    expect(page.locator("#quadrant")).to_have_text("II")

    page.goto(f"{live_server.url}/console/product/")
    expect(page.locator("section[data-quadrant=II]")).to_contain_text("Free material library")
    expect(page.locator("section[data-quadrant=I]")).not_to_contain_text("Free material library")
    page.select_option("#board-filters select[name=quadrant]", "I")
    page.click("#board-filters button")
    expect(page.locator("#quadrants")).not_to_contain_text("Free material library")
    request.refresh_from_db()
    assert (request.user_value_score, request.business_value_score, request.capacity_cost) == (
        3,
        0,
        3,
    )
    assert Decimal(request.capacity_cost) == Decimal("3")
