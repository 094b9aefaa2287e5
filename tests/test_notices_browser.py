"""The notices page in a real browser: an owner whose card payment failed sees the badge,
opens the notices, follows the dunning notice to the billing page, and the badge is gone."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation
from playwright.sync_api import expect

from accounts.models import Notification
from billing.models import Invoice
from billing.reminders import send_dunning_reminders
from tenants.models import Merchant
from tests.factories import TEST_PASSWORD, ShopFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_owner_follows_a_dunning_notice_and_the_badge_goes(live_server, page):
    shop = ShopFactory(slug="dunned", shop_name="Dunned Tea")
    Merchant.objects.filter(pk=shop.merchant.pk).update(language="en")
    Invoice.objects.create(
        merchant=shop.merchant,
        period_start=date(2026, 10, 1),
        period_end=date(2026, 10, 31),
        currency="CNY",
        status="open",
        number="INV-2026-0042",
        total=Decimal("88.00"),
        payment_failed_at=timezone.now() - timedelta(days=1, hours=1),
        stripe_hosted_url="https://invoice.stripe.com/i/acct_1/test_YWNjdF8x",
    )
    with translation.override("en"):
        assert send_dunning_reminders() == 1
    dunning = Notification.objects.get(recipient=shop.owner, kind="billing_dunning")
    url = f"http://dunned.localhost:{live_server.url.rsplit(':', 1)[1]}"

    page.goto(f"{url}/accounts/login/")
    page.fill("input[name=username]", shop.owner.email)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("button[type=submit]:has-text('Log in')")
    expect(page.locator("#nav-notices #notices-unread")).to_have_text("1")

    page.click("#nav-notices")
    expect(page.locator("h1")).to_have_text("Notices")
    row = page.locator(f"#notice-{dunning.pk}")
    expect(row).to_have_class("notice unread")
    expect(row).to_contain_text("We could not collect 88.00 CNY for invoice INV-2026-0042.")
    expect(page.locator("#notices a[href*='stripe.com']")).to_have_count(0)
    row.locator("button:has-text('Open notice')").click()

    expect(page.locator("h1")).to_have_text("Billing")
    assert page.url == f"{url}/manage/billing/"
    expect(page.locator("#nav-notices")).to_be_visible()
    expect(page.locator("#nav-notices #notices-unread")).to_have_count(0)
    page.click("#nav-notices")
    expect(page.locator(f"#notice-{dunning.pk}")).to_have_class("notice")
    dunning.refresh_from_db()
    assert dunning.read_at is not None
