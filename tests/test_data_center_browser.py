"""In a browser: a merchant reads its data center; CSM and finance read platform metrics."""

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.models import PlatformRole
from billing.models import Plan
from datacenter.selectors import local_today
from reports.figures import last_full_month
from reports.rollups import refresh_monthly_stats
from tests.factories import PlatformStaffFactory, ShopFactory
from tests.factories_billing import sale, subscribe
from tests.test_billing_browser import log_in
from tests.test_browser import port_of
from tests.test_data_center import paid

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_merchant_sees_its_seeded_days_in_the_chart_and_downloads_them(live_server, page):
    opened = ShopFactory(slug="lotus", shop_name="Lotus Tea")
    merchant = opened.merchant
    today = local_today(merchant)
    for days_ago, amount in ((1, "120.00"), (2, "80.00"), (5, "200.00")):
        paid(merchant, today - timedelta(days=days_ago), amount, f"seed-{days_ago}")
    paid(merchant, today - timedelta(days=2), "40.00", "seed-in-store", channel="in_store")
    shop = f"http://lotus.localhost:{port_of(live_server)}"

    log_in(page, shop, opened.owner.email)
    page.goto(f"{shop}/manage/data/?range=7")

    bars = page.locator("[data-testid=gmv-chart] rect[data-day]")
    expect(bars).to_have_count(7)
    two_days_ago = (today - timedelta(days=2)).isoformat()
    expect(
        page.locator(f"[data-testid=gmv-chart] rect[data-day='{two_days_ago}'] title")
    ).to_have_text(f"{two_days_ago}: GMV 120.00")
    tallest = page.locator(
        f"[data-testid=gmv-chart] rect[data-day='{(today - timedelta(days=5)).isoformat()}']"
    )
    expect(tallest).to_have_attribute("height", "180.0")
    expect(page.locator("[data-testid=range-gmv]")).to_have_text("440.00")
    expect(page.locator("[data-testid=increment]")).to_contain_text("In store")

    page.select_option("select[name=range]", "30")
    page.click("button:has-text('Show')")
    expect(bars).to_have_count(30)

    page.select_option("select[name=range]", "custom")
    page.fill("input[name=start]", today.isoformat())
    page.fill("input[name=end]", (today - timedelta(days=3)).isoformat())
    page.click("button:has-text('Show')")
    expect(page.locator("[data-field=start]")).to_have_text(
        "The first day must not be after the last day."
    )

    page.goto(f"{shop}/manage/data/?range=7")
    with page.expect_download() as download:
        page.click("a[href*='/export/daily.csv']")
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
    assert rows[0][:2] == ["date", "gmv"]
    assert [row[:2] for row in rows[1:] if row[1] != "0.00"] == [
        [(today - timedelta(days=5)).isoformat(), "200.00"],
        [two_days_ago, "120.00"],
        [(today - timedelta(days=1)).isoformat(), "120.00"],
    ]


def test_the_platform_metrics_page_renders_for_a_csm_and_for_finance(live_server, browser):
    month = last_full_month()
    lotus = ShopFactory(slug="lotus", shop_name="Lotus Tea").merchant
    subscribe(lotus, Plan.objects.get(code="basic"), start=month - timedelta(days=60))
    sale(lotus, month + timedelta(days=3), "5000.00", "metrics-sale")
    refresh_monthly_stats(month.replace(day=1))
    for role, email in (
        (PlatformRole.CSM, "csm@platform.test"),
        (PlatformRole.FINANCE, "finance@platform.test"),
    ):
        PlatformStaffFactory(email=email, platform_roles=[role])
        context = browser.new_context(locale="en-US")
        page = context.new_page()
        log_in(page, live_server.url, email)
        page.goto(f"{live_server.url}/console/metrics/")

        expect(page.locator("h1")).to_have_text("Platform metrics")
        gmv = page.locator("#headline [data-metric=gmv]")
        expect(gmv).to_contain_text("5000")
        assert "orders paid in the period" in (gmv.get_attribute("title") or "")
        expect(page.locator(f"rect[data-month='{month:%Y-%m}']")).to_have_count(1)
        context.close()
