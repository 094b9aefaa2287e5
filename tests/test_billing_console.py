"""Finance console, the merchant's billing page, Stripe collection and its webhooks."""

import csv
import io
import json
import time
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from pypdf import PdfReader

from accounts.models import PlatformRole
from billing.models import (
    AuditEntry,
    BillingAccount,
    CreditNote,
    Invoice,
    InvoiceSequence,
    Plan,
    StripeBillingEvent,
    Subscription,
)
from billing.reminders import send_dunning_reminders
from billing.run import run_billing
from billing.services import add_adjustment, approve
from billing.tasks import push_invoice_to_stripe
from tenants.models import Membership
from tests.conftest import on_host
from tests.factories import UserFactory
from tests.factories_billing import MerchantRowFactory, PlanFactory, sale, subscribe
from tests.outbox import deliver_outbox
from tests.stripe_events import sign

pytestmark = pytest.mark.django_db
BILLING_SECRET = "whsec_billing_test_secret"


@pytest.fixture
def october_invoice(db):
    plan = PlanFactory(monthly_fee=Decimal("299"), tiers=[("0", "1")])
    merchant = MerchantRowFactory(name="Tea House")
    subscribe(merchant, plan, start=date(2026, 9, 1))
    sale(merchant, date(2026, 10, 9), "20000.00", "a")
    run_billing(2026, 10)
    return Invoice.objects.get(merchant=merchant)


def test_only_finance_opens_the_billing_console(client, make_staff, october_invoice):
    on_host(client, "localhost")
    client.force_login(make_staff(PlatformRole.CSM))
    assert client.get("/console/billing/").status_code == 403
    assert client.get(f"/console/billing/invoices/{october_invoice.pk}/").status_code == 403
    client.force_login(make_staff(PlatformRole.PLATFORM_ADMIN))
    assert client.get("/console/billing/").status_code == 200


def test_the_invoice_list_filters_and_totals(finance, october_invoice):
    other = MerchantRowFactory(name="Noodle Bar")
    subscribe(other, PlanFactory(monthly_fee=Decimal("100")), start=date(2026, 9, 1))
    run_billing(2026, 10)

    page = finance.get("/console/billing/", {"period": "2026-10"})
    assert page.status_code == 200
    assert [(row.count, row.total) for row in page.context["totals"]] == [(2, Decimal("599"))]
    found = finance.get("/console/billing/", {"q": "noodle"}).context["page"]
    assert [invoice.merchant.name for invoice in found] == ["Noodle Bar"]
    found = finance.get("/console/billing/", {"min_total": "200"}).context["page"]
    assert [invoice.merchant.name for invoice in found] == ["Tea House"]
    bad = finance.get("/console/billing/", {"min_total": "lots"})
    assert bad.status_code == 400
    assert "min_total" in bad.context["form"].errors


def test_the_invoice_page_shows_the_gmv_by_day_and_channel(
    finance, october_invoice, django_assert_max_num_queries
):
    with django_assert_max_num_queries(14):
        page = finance.get(f"/console/billing/invoices/{october_invoice.pk}/")
    assert [(day.date, day.gmv, day.online) for day in page.context["breakdown"]] == [
        (date(2026, 10, 9), Decimal("20000"), Decimal("20000"))
    ]
    # Line text is in the merchant's language (English here), whoever reads it.
    assert october_invoice.merchant.language == "en"
    assert "Commission 1% on GMV 0.00 – ∞" in page.content.decode()


def test_an_adjustment_needs_a_reason_and_a_valid_amount_and_writes_nothing_otherwise(
    finance, october_invoice
):
    url = f"/console/billing/invoices/{october_invoice.pk}/adjust/"
    no_reason = finance.post(url, {"amount": "-20", "reason": " "})
    bad_amount = finance.post(url, {"amount": "12.345", "reason": "goodwill"})
    assert no_reason.status_code == 400 and bad_amount.status_code == 400
    assert "reason" in no_reason.context["adjustment_form"].errors
    assert bad_amount.context["adjustment_form"].errors["amount"] == ["Too many decimals for CNY."]
    october_invoice.refresh_from_db()
    assert october_invoice.lines.count() == 2 and october_invoice.total == Decimal("499.00")
    assert not AuditEntry.objects.exists()

    finance.post(url, {"amount": "-49.00", "reason": "Late onboarding, goodwill"})
    october_invoice.refresh_from_db()
    assert october_invoice.total == Decimal("450.00")
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor, entry.reason) == (
        "add_adjustment",
        finance.user,
        "Late onboarding, goodwill",
    )
    assert (entry.before["total"], entry.after["total"]) == ("499.0000", "450.0000")


def test_recalculating_a_draft_keeps_adjustments_and_picks_up_new_ledger_figures(
    finance, october_invoice
):
    add_adjustment(october_invoice.pk, amount="-9", reason="rounding gift", actor=finance.user)
    sale(october_invoice.merchant, date(2026, 10, 30), "10000.00", "late-recorded")
    finance.post(f"/console/billing/invoices/{october_invoice.pk}/recalculate/")
    october_invoice.refresh_from_db()
    assert october_invoice.net_gmv == Decimal("30000")
    assert october_invoice.total == Decimal("299") + Decimal("300") - Decimal("9")
    assert october_invoice.lines.filter(kind="adjustment").count() == 1


def test_approving_numbers_invoices_without_gaps_and_locks_them(finance, october_invoice):
    second = MerchantRowFactory()
    subscribe(second, PlanFactory(), start=date(2026, 9, 1))
    run_billing(2026, 10)
    second_invoice = Invoice.objects.get(merchant=second)
    start = InvoiceSequence.objects.get(name="invoice").last_value
    BillingAccount.objects.create(
        merchant=october_invoice.merchant, collection_method="bank_transfer"
    )
    BillingAccount.objects.create(merchant=second, collection_method="bank_transfer")

    finance.post(f"/console/billing/invoices/{october_invoice.pk}/approve/")
    finance.post(f"/console/billing/invoices/{second_invoice.pk}/approve/")
    again = finance.post(f"/console/billing/invoices/{october_invoice.pk}/approve/")
    late_adjustment = finance.post(
        f"/console/billing/invoices/{october_invoice.pk}/adjust/", {"amount": "5", "reason": "x"}
    )

    october_invoice.refresh_from_db()
    second_invoice.refresh_from_db()
    assert october_invoice.number == f"INV-{start + 1:06d}"
    assert second_invoice.number == f"INV-{start + 2:06d}"
    assert (again.status_code, late_adjustment.status_code) == (400, 400)
    assert october_invoice.total == Decimal("499.00") and october_invoice.status == "open"
    assert InvoiceSequence.objects.get(name="invoice").last_value == start + 2

    pdf = finance.get(f"/console/billing/invoices/{october_invoice.pk}/pdf/")
    assert pdf["Content-Type"] == "application/pdf"
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert october_invoice.number in text and "499.00" in text and "Tea House" in text


def test_void_and_reissue_gives_a_fresh_draft_for_the_same_period(finance, october_invoice):
    BillingAccount.objects.create(
        merchant=october_invoice.merchant, collection_method="bank_transfer"
    )
    approve(october_invoice.pk, actor=finance.user)
    missing_reason = finance.post(
        f"/console/billing/invoices/{october_invoice.pk}/void/", {"reissue": "on"}
    )
    assert missing_reason.status_code == 400
    response = finance.post(
        f"/console/billing/invoices/{october_invoice.pk}/void/",
        {"reason": "Wrong plan applied", "reissue": "on"},
    )
    october_invoice.refresh_from_db()
    replacement = october_invoice.replaced_by
    assert response.status_code == 302 and response.url.endswith(f"/{replacement.pk}/")
    assert (october_invoice.status, october_invoice.void_reason) == ("void", "Wrong plan applied")
    assert (replacement.status, replacement.period_start, replacement.total) == (
        "draft",
        date(2026, 10, 1),
        Decimal("499.00"),
    )
    assert run_billing(2026, 10).created == 0  # the run never bills the period again


def test_a_credit_note_is_issued_with_a_number_and_applied_to_the_next_draft(
    finance, october_invoice
):
    BillingAccount.objects.create(
        merchant=october_invoice.merchant, collection_method="bank_transfer"
    )
    approve(october_invoice.pk, actor=finance.user)
    too_much = finance.post(
        f"/console/billing/invoices/{october_invoice.pk}/credit/",
        {"amount": "500", "reason": "refund"},
    )
    assert too_much.status_code == 400 and "amount" in too_much.context["credit_form"].errors
    finance.post(
        f"/console/billing/invoices/{october_invoice.pk}/credit/",
        {"amount": "99.00", "reason": "Outage on 12 Oct"},
    )
    note = CreditNote.objects.get()
    finance.post(f"/console/billing/credit-notes/{note.pk}/issue/")
    note.refresh_from_db()
    assert note.status == "issued" and note.number.startswith("CN-")

    with time_machine.travel("2026-12-02 12:00Z"):
        run_billing(2026, 11)
    november = Invoice.objects.get(
        merchant=october_invoice.merchant, period_start=date(2026, 11, 1)
    )
    credit_line = november.lines.get(kind="credit")
    assert credit_line.amount == Decimal("-99.00") and credit_line.credit_note == note
    assert november.total == Decimal("299.00") - Decimal("99.00")


def test_csv_exports_reconcile_lines_to_invoice_totals(finance, october_invoice):
    add_adjustment(
        october_invoice.pk, amount="-0.50", reason="=cmd|' /C calc'!A0", actor=finance.user
    )
    invoices_csv = finance.get("/console/billing/invoices.csv", {"period": "2026-10"})
    lines_csv = finance.get("/console/billing/lines.csv", {"period": "2026-10"})
    invoices = list(csv.DictReader(io.StringIO(b"".join(invoices_csv.streaming_content).decode())))
    lines = list(csv.DictReader(io.StringIO(b"".join(lines_csv.streaming_content).decode())))
    assert invoices_csv["Content-Disposition"] == 'attachment; filename="invoices.csv"'
    assert [row["total"] for row in invoices] == ["498.5000"]
    assert sum(Decimal(row["amount"]) for row in lines) == Decimal("498.50")
    assert [row["kind"] for row in lines] == ["subscription", "commission", "adjustment"]
    assert lines[-1]["reason"].startswith("'=")  # never a live formula in a spreadsheet


def test_the_merchant_sees_issued_invoices_and_can_download_them(client, shop, finance):
    merchant = shop.merchant
    subscribe(merchant, PlanFactory(monthly_fee=Decimal("299")), start=date(2026, 9, 1))
    run_billing(2026, 10)
    draft = Invoice.objects.get(merchant=merchant)
    owner = on_host(type(client)(), f"{merchant.slug}.localhost")
    owner.force_login(shop.owner)
    assert list(owner.get("/manage/billing/").context["invoices"]) == []  # drafts stay internal

    BillingAccount.objects.create(merchant=merchant, collection_method="bank_transfer")
    approve(draft.pk, actor=finance.user)
    page = owner.get("/manage/billing/")
    assert [invoice.pk for invoice in page.context["invoices"]] == [draft.pk]
    assert page.context["usage"].included_seats == 2
    pdf = owner.get(f"/manage/billing/invoices/{draft.pk}/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"


def test_the_owner_changes_plan_and_a_staff_member_cannot(client, shop):
    owner = on_host(client, f"{shop.merchant.slug}.localhost")
    owner.force_login(shop.owner)
    owner.get("/manage/billing/")  # starts the trial subscription
    advanced = Plan.objects.get(code="advanced")
    response = owner.post("/manage/billing/", {"plan": advanced.pk})
    assert response.status_code == 302
    assert Subscription.objects.get(merchant=shop.merchant).plan == advanced
    unknown = owner.post("/manage/billing/", {"plan": 999999})
    assert unknown.status_code == 400 and "plan" in unknown.context["form"].errors


# -- Stripe -------------------------------------------------------------------------------


def billing_event(event_id: str, event_type: str, invoice_id: str) -> bytes:
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "api_version": "2025-09-30.clover",
            "created": int(time.time()),
            "type": event_type,
            "livemode": False,
            "data": {"object": {"id": invoice_id, "object": "invoice", "status": "paid"}},
        }
    ).encode()


def post_event(client, body: bytes, secret: str = BILLING_SECRET):
    return client.post(
        "/webhooks/stripe/billing/",
        body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(body, secret),
        HTTP_HOST="localhost",
    )


@pytest.fixture
def billing_webhooks(settings):
    settings.STRIPE_BILLING_WEBHOOK_SECRET = BILLING_SECRET


def test_approving_pushes_the_invoice_to_stripe_once_with_idempotency_keys(
    fake_stripe, finance, october_invoice
):
    approve(october_invoice.pk, actor=finance.user)
    push_invoice_to_stripe(october_invoice.pk)  # what on_commit queued; twice is harmless
    push_invoice_to_stripe(october_invoice.pk)
    october_invoice.refresh_from_db()
    assert october_invoice.status == "paid"
    assert len(fake_stripe.customers) == 1 and len(fake_stripe.invoices) == 1
    stripe_invoice = next(iter(fake_stripe.invoices.values()))
    assert stripe_invoice["amount_due"] == 49900
    assert all(call.idempotency_key for call in fake_stripe.calls("POST", "/v1/"))


def test_a_failed_payment_starts_dunning_once_per_day_and_then_past_due(
    fake_stripe, finance, october_invoice, client, billing_webhooks
):
    Membership.objects.create(
        merchant=october_invoice.merchant, user=UserFactory(email="owner@tea.test"), role="owner"
    )
    fake_stripe.invoice_payments_fail = True
    approve(october_invoice.pk, actor=finance.user)
    push_invoice_to_stripe(october_invoice.pk)
    october_invoice.refresh_from_db()
    assert october_invoice.status == "open" and october_invoice.payment_failed_at
    failed_at = october_invoice.payment_failed_at

    mail.outbox.clear()
    for day in (0, 1, 1, 2, 3, 3, 5, 7, 7, 8):
        with time_machine.travel(failed_at + timedelta(days=day, hours=1)):
            send_dunning_reminders()
            deliver_outbox()
    assert [m.subject for m in mail.outbox] == [
        f"Payment failed for invoice {october_invoice.number}"
    ] * 3
    assert sorted(october_invoice.dunning.values_list("day", flat=True)) == [1, 3, 7]
    subscription = october_invoice.merchant.subscription
    subscription.refresh_from_db()
    assert subscription.status == "past_due"

    body = billing_event("evt_paid_1", "invoice.paid", october_invoice.stripe_invoice_id)
    assert post_event(client, body).content == b"processed"
    assert post_event(client, body).content == b"duplicate"
    subscription.refresh_from_db()
    october_invoice.refresh_from_db()
    assert (october_invoice.status, subscription.status) == ("paid", "active")


def test_forged_and_shuffled_billing_webhooks_change_nothing(
    fake_stripe, finance, october_invoice, client, billing_webhooks
):
    fake_stripe.invoice_payments_fail = True
    approve(october_invoice.pk, actor=finance.user)
    push_invoice_to_stripe(october_invoice.pk)
    october_invoice.refresh_from_db()
    stripe_id = october_invoice.stripe_invoice_id

    forged = billing_event("evt_forged", "invoice.paid", stripe_id)
    assert post_event(client, forged, secret="whsec_wrong").status_code == 400
    paid = billing_event("evt_2", "invoice.paid", stripe_id)
    failed_late = billing_event("evt_1", "invoice.payment_failed", stripe_id)
    assert post_event(client, paid).content == b"processed"
    assert post_event(client, failed_late).content == b"ignored"  # arrived after the payment
    october_invoice.refresh_from_db()
    assert october_invoice.status == "paid"
    assert list(
        StripeBillingEvent.objects.order_by("event_id").values_list("event_id", flat=True)
    ) == [
        "evt_1",
        "evt_2",
    ]
