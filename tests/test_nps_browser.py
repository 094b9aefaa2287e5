"""NPS in a real browser: a promoter's referral link opens signup with the referrer kept,
and the email's one-click survey page records one answer."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from onboarding import nps
from onboarding.models import NpsResponse, SignupSource, Task
from onboarding.services import answer_nps
from tests.factories import ShopFactory
from tests.outbox import deliver_outbox

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("outbox_delivered_by_test"),
]


def test_a_signup_from_a_promoters_referral_link_records_the_referrer(live_server, page):
    promoter = ShopFactory(slug="happy-tea", shop_name="Happy Tea")
    promoter.merchant.language = "en"
    promoter.merchant.save(update_fields=["language"])
    survey = nps.send_nps_survey(merchant=promoter.merchant, actor=None)
    answer_nps(survey=survey, score=10, comment="", user=promoter.owner)
    deliver_outbox()
    ask = next(message for message in mail.outbox if "Know a merchant" in message.subject)
    path = re.search(r"https?://[^/\s]+(/signup/\?ref=happy-tea)", ask.body).group(1)

    page.goto(f"{live_server.url}{path}")
    page.fill("input[name=shop_name]", "Friend Noodles")
    page.fill("input[name=slug]", "friend-noodles")
    page.fill("input[name=email]", "owner@friend.test")
    page.fill("input[name=password]", "a-long-unusual-passphrase")
    page.click("#signup-submit")

    expect(page.locator("h1")).to_have_text("Welcome to Friend Noodles")
    source = SignupSource.objects.get(merchant__slug="friend-noodles")
    assert (source.channel, source.referrer) == ("referral", promoter.merchant)


def test_an_owner_answers_the_survey_from_the_email_link(live_server, page):
    shop = ShopFactory(slug="quiet-tea", shop_name="Quiet Tea")
    shop.merchant.language = "en"
    shop.merchant.save(update_fields=["language"])
    nps.send_nps_survey(merchant=shop.merchant, actor=None)
    deliver_outbox()
    path = re.search(r"https?://[^/\s]+(/nps/[^/\s]+/)", mail.outbox[0].body).group(1)

    page.goto(f"{live_server.url}{path}")
    page.check("input[name=score][value='6']")
    page.fill("textarea[name=comment]", "Setup took too long")
    page.click("#nps-submit")

    expect(page.locator("#nps-thanks")).to_be_visible()
    page.goto(f"{live_server.url}{path}")
    expect(page.locator("#nps-answered")).to_be_visible()
    response = NpsResponse.objects.get()
    assert (response.score, response.comment) == (6, "Setup took too long")
    assert Task.objects.filter(merchant=shop.merchant, source="nps").count() == 1
