"""Finance reviews, adjusts and issues an invoice; the merchant sees it in their console."""

import csv
import io
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from accounts.models import PlatformRole
from billing.models import BillingAccount, Invoice, Plan
from billing.run import run_billing
from tests.factories import TEST_PASSWORD, PlatformStaffFactory, ShopFactory
from tests.factories_billing import sale, subscribe
from tests.test_browser import port_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, url: str, email: str) -> None:
    page.goto(f"{url}/accounts/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("button[type=submit]:has-text('Log in')")


def test_finance_adjusts_and_issues_an_invoice_and_the_merchant_sees_it(
    live_server, page, browser, tmp_path: Path
):
    shop = ShopFactory(slug="lotus", shop_name="Lotus Tea")
    merchant = shop.merchant
    subscribe(merchant, Plan.objects.get(code="basic"), start=date(2026, 9, 1))
    BillingAccount.objects.create(merchant=merchant, collection_method="bank_transfer")
    sale(merchant, date(2026, 10, 12), "30000.00", "big-day")
    run_billing(2026, 10)
    PlatformStaffFactory(email="finance@platform.test", platform_roles=[PlatformRole.FINANCE])

    log_in(page, live_server.url, "finance@platform.test")
    page.goto(f"{live_server.url}/console/billing/?period=2026-10")
    expect(page.locator("table.totals-table")).to_contain_text("599.00")
    page.click("table:not(.totals-table) tbody tr a:has-text('draft')")
    expect(page.locator("h1")).to_contain_text("Draft invoice")

    page.fill("input[name=amount]", "-99.00")
    page.click("button:has-text('Add adjustment')")
    expect(page.locator("[data-field=reason]")).to_contain_text("This field is required.")
    page.fill("input[name=amount]", "-99.00")
    page.fill("textarea[name=reason]", "First month goodwill")
    page.click("button:has-text('Add adjustment')")
    expect(page.locator("[data-testid=invoice-total]")).to_have_text("500.00")

    page.click("button:has-text('Approve and issue')")
    expect(page.locator("[data-testid=invoice-status]")).to_have_text("Issued, unpaid")
    invoice = Invoice.objects.get(merchant=merchant)
    expect(page.locator("h1")).to_contain_text(invoice.number)

    with page.expect_download() as pdf_download:
        page.click("a:has-text('Download PDF')")
    pdf_path = tmp_path / "invoice.pdf"
    pdf_download.value.save_as(pdf_path)
    text = PdfReader(pdf_path).pages[0].extract_text()
    assert invoice.number in text and "500.00" in text and "First month goodwill" in text

    page.goto(f"{live_server.url}/console/billing/?period=2026-10")
    with page.expect_download() as csv_download:
        page.click("a:has-text('Export lines (CSV)')")
    csv_path = tmp_path / "lines.csv"
    csv_download.value.save_as(csv_path)
    rows = list(csv.DictReader(io.StringIO(csv_path.read_text())))
    assert sum(Decimal(row["amount"]) for row in rows) == Decimal("500.00")

    merchant_page = browser.new_context(locale="en-US").new_page()
    shop_url = f"http://lotus.localhost:{port_of(live_server)}"
    log_in(merchant_page, shop_url, shop.owner.email)
    merchant_page.goto(f"{shop_url}/manage/billing/")
    row = merchant_page.locator("table tbody tr", has_text=invoice.number)
    expect(row).to_contain_text("500.00 CNY")
    expect(row).to_contain_text("Issued, unpaid")
    expect(merchant_page.locator("[data-testid=current-plan]")).to_have_text("Basic")
    assert re.search(
        r"/manage/billing/invoices/\d+/pdf/", row.locator("a").first.get_attribute("href")
    )
    merchant_page.context.close()
