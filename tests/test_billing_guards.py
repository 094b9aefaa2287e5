"""Finance guards: an invoice total never goes below zero (the excess credit is carried
forward, once), only a payment pays an invoice, and bad input in the billing console is a
400 naming the field with nothing written."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction

from accounts.models import PlatformRole, User
from billing.forms import BillingDetailsForm
from billing.models import (
    AUDIT_ACTIONS,
    AuditEntry,
    BillingAccount,
    CreditNote,
    Invoice,
    InvoiceLine,
)
from billing.run import run_billing
from billing.services import (
    add_adjustment,
    approve,
    billing_account,
    create_credit_note,
    issue_credit_note,
    parse_amount,
    recalculate,
    record_payment,
    remove_adjustment,
    set_region_tax_rate,
    update_billing_account,
    void_invoice,
)
from onboarding.models import TierThreshold
from onboarding.services import ThresholdInput, save_tier_thresholds
from tests.conftest import on_host
from tests.factories_billing import MerchantRowFactory, PlanFactory, sale, subscribe

pytestmark = pytest.mark.django_db


@pytest.fixture
def october_invoice(db):
    """A draft of 499.00 CNY: a 299 fee and 1% commission on 20,000 GMV; bank transfer."""
    plan = PlanFactory(monthly_fee=Decimal("299"), tiers=[("0", "1")])
    merchant = MerchantRowFactory(name="Tea House")
    subscribe(merchant, plan, start=date(2026, 9, 1))
    BillingAccount.objects.create(merchant=merchant, collection_method="bank_transfer")
    sale(merchant, date(2026, 10, 9), "20000.00", "a")
    run_billing(2026, 10)
    return Invoice.objects.get(merchant=merchant)


def adjust(client, invoice, amount, reason="Goodwill"):
    return client.post(
        f"/console/billing/invoices/{invoice.pk}/adjust/", {"amount": amount, "reason": reason}
    )


def line_kinds_and_amounts(invoice) -> list[tuple[str, Decimal]]:
    return list(invoice.lines.order_by("position", "id").values_list("kind", "amount"))


def bill_november():
    with time_machine.travel("2026-12-02 12:00Z"):
        return run_billing(2026, 11)


# -- a total never below zero; the excess travels forward once ----------------------------


def test_an_adjustment_beyond_the_total_leaves_zero_and_the_next_invoice_uses_the_excess_once(
    finance, october_invoice
):
    response = adjust(finance, october_invoice, "-600.00", "Outage compensation")

    assert response.status_code == 302
    october_invoice.refresh_from_db()
    assert october_invoice.total == Decimal("0")
    assert line_kinds_and_amounts(october_invoice) == [
        ("subscription", Decimal("299.00")),
        ("commission", Decimal("200.00")),
        ("adjustment", Decimal("-600.00")),
        ("carryforward", Decimal("101.00")),
    ]

    approve(october_invoice.pk, actor=finance.user)
    october_invoice.refresh_from_db()
    note = CreditNote.objects.get()
    assert (note.invoice, note.status, note.amount, note.unique_key) == (
        october_invoice,
        "issued",
        Decimal("101.00"),
        f"carry-forward:{october_invoice.pk}",
    )
    assert note.number.startswith("CN-") and note.pdf
    assert (
        note.reason
        == f"Credit beyond the charges of invoice {october_invoice.number}, carried forward"
    )
    assert list(AuditEntry.objects.order_by("id").values_list("action", flat=True)) == [
        "add_adjustment",
        "approve",
        "carry_forward_credit",
    ]
    carried = AuditEntry.objects.get(action="carry_forward_credit")
    assert (carried.credit_note, carried.after["amount"], carried.reason) == (
        note,
        "101.00",
        note.reason,
    )

    assert bill_november().created == 1
    november = Invoice.objects.get(period_start=date(2026, 11, 1))
    assert [(kind, amount) for kind, amount in line_kinds_and_amounts(november) if amount] == [
        ("subscription", Decimal("299.00")),
        ("credit", Decimal("-101.00")),
    ]
    assert november.total == Decimal("198.00")
    assert november.lines.get(kind="credit").credit_note == note

    assert bill_november().created == 0  # re-running changes nothing
    recalculate(november.pk)  # nor does pricing the draft again
    with time_machine.travel("2027-01-02 12:00Z"):
        run_billing(2026, 12)
    november.refresh_from_db()
    december = Invoice.objects.get(period_start=date(2026, 12, 1))
    assert november.total == Decimal("198.00")
    assert december.total == Decimal("299.00")
    assert InvoiceLine.objects.filter(credit_note=note).count() == 1
    assert not december.lines.filter(kind__in=["credit", "carryforward"]).exists()


def test_the_reported_minus_999999_adjustment_is_carried_forward_not_owed_back(
    finance, october_invoice
):
    adjust(finance, october_invoice, "-999999", "Typo by finance")
    finance.post(f"/console/billing/invoices/{october_invoice.pk}/approve/")

    october_invoice.refresh_from_db()
    assert (october_invoice.total, october_invoice.status, october_invoice.paid_at) == (
        Decimal("0"),
        "settled",
        None,
    )
    assert CreditNote.objects.get().amount == Decimal("999500.00")

    bill_november()
    november = Invoice.objects.get(period_start=date(2026, 11, 1))
    # 299.00 of the credit is used; the rest travels on again.
    assert november.total == Decimal("0")
    assert november.lines.get(kind="carryforward").amount == Decimal("999201.00")


def test_a_credit_note_larger_than_the_next_invoice_leaves_it_at_zero(finance, october_invoice):
    approve(october_invoice.pk, actor=finance.user)
    note = create_credit_note(
        october_invoice.pk, amount="450", reason="Double charge", actor=finance.user
    )
    issue_credit_note(note.pk, actor=finance.user)

    bill_november()

    november = Invoice.objects.get(period_start=date(2026, 11, 1))
    assert november.total == Decimal("0")
    assert [(kind, amount) for kind, amount in line_kinds_and_amounts(november) if amount] == [
        ("subscription", Decimal("299.00")),
        ("credit", Decimal("-450.00")),
        ("carryforward", Decimal("151.00")),
    ]


def test_removing_the_adjustment_removes_the_carry_forward(finance, october_invoice):
    line = add_adjustment(october_invoice.pk, amount="-600", reason="x", actor=finance.user)
    remove_adjustment(october_invoice.pk, line.pk, actor=finance.user)

    october_invoice.refresh_from_db()
    assert october_invoice.total == Decimal("499.00")
    assert not october_invoice.lines.filter(kind__in=["adjustment", "carryforward"]).exists()


def test_the_database_refuses_a_negative_invoice_total(october_invoice):
    with pytest.raises(IntegrityError, match="invoice_total_not_negative"), transaction.atomic():
        Invoice.objects.filter(pk=october_invoice.pk).update(total=Decimal("-0.01"))
    october_invoice.refresh_from_db()
    assert october_invoice.total == Decimal("499.00")


def test_voiding_a_settled_invoice_withdraws_its_carried_credit_from_the_next_draft(
    finance, october_invoice
):
    add_adjustment(october_invoice.pk, amount="-600", reason="Typo", actor=finance.user)
    approve(october_invoice.pk, actor=finance.user)
    bill_november()
    november = Invoice.objects.get(period_start=date(2026, 11, 1))
    assert november.total == Decimal("198.00")

    replacement = void_invoice(october_invoice.pk, reason="Typo in adjustment", actor=finance.user)

    november.refresh_from_db()
    replacement.refresh_from_db()
    note = CreditNote.objects.get()
    assert note.status == "void"
    assert november.total == Decimal("299.00")
    assert not november.lines.filter(kind="credit").exists()
    # The re-issue carries the mistaken adjustment with its reason; finance removes it there.
    carried = replacement.lines.get(kind="adjustment")
    assert (carried.amount, carried.reason) == (Decimal("-600"), "Typo")
    remove_adjustment(replacement.pk, carried.pk, actor=finance.user)
    replacement.refresh_from_db()
    assert (replacement.status, replacement.total) == ("draft", Decimal("499.00"))


def test_a_settled_invoice_whose_credit_is_already_used_cannot_be_voided(finance, october_invoice):
    add_adjustment(october_invoice.pk, amount="-600", reason="Typo", actor=finance.user)
    approve(october_invoice.pk, actor=finance.user)
    bill_november()
    november = Invoice.objects.get(period_start=date(2026, 11, 1))
    approve(november.pk, actor=finance.user)

    response = finance.post(
        f"/console/billing/invoices/{october_invoice.pk}/void/", {"reason": "late change"}
    )

    assert response.status_code == 400
    october_invoice.refresh_from_db()
    assert october_invoice.status == "settled"
    assert CreditNote.objects.get().status == "issued"
    assert not AuditEntry.objects.filter(action__in=["void", "void_credit_note"]).exists()


# -- only a payment pays -------------------------------------------------------------------


def test_approval_never_marks_an_invoice_paid_and_a_recorded_payment_does(finance, october_invoice):
    finance.post(f"/console/billing/invoices/{october_invoice.pk}/approve/")
    october_invoice.refresh_from_db()
    assert (october_invoice.status, october_invoice.paid_at) == ("open", None)

    response = finance.post(
        f"/console/billing/invoices/{october_invoice.pk}/payment/", {"reference": "BANK-42"}
    )

    assert response.status_code == 302
    october_invoice.refresh_from_db()
    assert october_invoice.status == "paid" and october_invoice.paid_at is not None
    assert AuditEntry.objects.get(action="record_payment").reason == "BANK-42"


def test_a_zero_invoice_is_settled_on_approval_never_paid_and_not_sent_to_stripe(
    fake_stripe, finance
):
    merchant = MerchantRowFactory()
    subscribe(
        merchant, PlanFactory(monthly_fee=Decimal("0"), tiers=[("0", "1")]), start=date(2026, 9, 1)
    )
    run_billing(2026, 10)
    invoice = Invoice.objects.get(merchant=merchant)
    assert invoice.total == Decimal("0")

    approve(invoice.pk, actor=finance.user)
    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_at, invoice.number is not None) == ("settled", None, True)
    assert invoice.get_status_display() == "Issued at zero, nothing to pay"
    assert fake_stripe.invoices == {}
    assert not CreditNote.objects.exists()  # nothing beyond zero to carry

    with pytest.raises(ValidationError) as refused:
        record_payment(invoice.pk, actor=finance.user, reference="zero")
    assert refused.value.message_dict == {
        "invoice": ["Only an issued, unpaid invoice can be paid."]
    }
    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_at) == ("settled", None)
    page = finance.get(f"/console/billing/invoices/{invoice.pk}/")
    assert b'data-testid="settled-note"' in page.content


# -- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("1e309", "Enter an amount, e.g. -25.00 or 100."),
        ("NaN", "Enter an amount, e.g. -25.00 or 100."),
        ("Infinity", "Enter an amount, e.g. -25.00 or 100."),
        ("-Infinity", "Enter an amount, e.g. -25.00 or 100."),
        ("💰", "Enter an amount, e.g. -25.00 or 100."),
        ("1_000", "Enter an amount, e.g. -25.00 or 100."),
        ("١٢", "Enter an amount, e.g. -25.00 or 100."),
        ("--5", "Enter an amount, e.g. -25.00 or 100."),
        ("9" * 40, "Ensure this value has at most 30 characters (it has 40)."),
        ("9" * 20, "This amount is too large."),
        ("-1000000000", "This amount is too large."),
        ("12.345", "Too many decimals for CNY."),
        ("0.00", "The amount must not be zero."),
    ],
)
def test_a_bad_adjustment_amount_is_a_400_naming_the_field_and_writes_nothing(
    finance, october_invoice, amount, message
):
    response = adjust(finance, october_invoice, amount)

    assert response.status_code == 400
    assert response.context["adjustment_form"].errors == {"amount": [message]}
    october_invoice.refresh_from_db()
    assert october_invoice.total == Decimal("499.00")
    assert october_invoice.lines.count() == 2
    assert not AuditEntry.objects.exists()


def test_a_nul_character_in_an_adjustment_is_a_400_naming_the_field(finance, october_invoice):
    amount = adjust(finance, october_invoice, "12\x0034")
    reason = adjust(finance, october_invoice, "-5", "good\x00will")

    assert (amount.status_code, reason.status_code) == (400, 400)
    assert b"amount" in amount.content.lower() and b"reason" in reason.content.lower()
    october_invoice.refresh_from_db()
    assert october_invoice.lines.count() == 2 and not AuditEntry.objects.exists()


def test_the_adjustment_service_refuses_what_the_form_would_not_let_through(october_invoice):
    for amount, reason, field in [
        ("9" * 40, "why", "amount"),
        ("1e5", "why", "amount"),
        ("-5", "", "reason"),
        ("-5", "x" * 501, "reason"),
        ("-5", "nul\x00", "reason"),
    ]:
        with pytest.raises(ValidationError) as refused:
            add_adjustment(october_invoice.pk, amount=amount, reason=reason, actor=None)
        assert list(refused.value.message_dict) == [field]
    assert parse_amount(" -25.50 ", "CNY") == Decimal("-25.50")
    october_invoice.refresh_from_db()
    assert october_invoice.lines.count() == 2 and not AuditEntry.objects.exists()


def test_a_missing_or_overlong_reason_is_a_400_naming_the_reason(finance, october_invoice):
    blank = adjust(finance, october_invoice, "-5", "  ")
    long = adjust(finance, october_invoice, "-5", "x" * 501)

    assert blank.context["adjustment_form"].errors == {"reason": ["This field is required."]}
    assert long.context["adjustment_form"].errors == {
        "reason": ["Ensure this value has at most 500 characters (it has 501)."]
    }
    october_invoice.refresh_from_db()
    assert october_invoice.lines.count() == 2


def test_no_adjustment_on_a_finalized_invoice(finance, october_invoice):
    approve(october_invoice.pk, actor=finance.user)
    open_refused = adjust(finance, october_invoice, "-5")
    record_payment(october_invoice.pk, actor=finance.user)
    paid_refused = adjust(finance, october_invoice, "-5")

    for response in (open_refused, paid_refused):
        assert response.status_code == 400
        assert response.context["adjustment_form"].non_field_errors() == [
            "This invoice is issued and can no longer be changed."
        ]
    october_invoice.refresh_from_db()
    assert october_invoice.lines.count() == 2 and october_invoice.total == Decimal("499.00")


def test_invoice_filters_hold_the_total_columns_precision(finance, october_invoice):
    response = finance.get("/console/billing/", {"min_total": "9" * 40, "max_total": "1.00001"})

    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"min_total", "max_total"}
    assert (
        finance.get(
            "/console/billing/invoices.csv",
            {"min_total": "9" * 40},
        ).status_code
        == 400
    )


def test_a_forty_digit_tier_threshold_is_a_400_naming_the_field(client, make_staff):
    client.force_login(make_staff(PlatformRole.PLATFORM_ADMIN))
    on_host(client, "localhost")
    data = {}
    for tier in ("SKA", "KA", "A", "B", "C"):
        data[f"{tier}_min_monthly_gmv"] = "0"
        data[f"{tier}_min_active_outlets"] = "0"
    data["SKA_min_monthly_gmv"] = "9" * 40
    data["KA_min_active_outlets"] = "9" * 40

    response = client.post("/console/onboarding/tiers/", data)

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {"SKA_min_monthly_gmv", "KA_min_active_outlets"}
    assert errors["KA_min_active_outlets"] == [
        "Ensure this value is less than or equal to 2147483647."
    ]
    assert not TierThreshold.objects.exists()


def test_the_tier_threshold_service_refuses_numbers_its_columns_cannot_hold(db):
    rows = [ThresholdInput(tier, "0", 0) for tier in ("SKA", "KA", "A", "B", "C")]
    too_much_gmv = [ThresholdInput("SKA", "9" * 40, 0), *rows[1:]]
    too_many_outlets = [ThresholdInput("SKA", "0", "9" * 40), *rows[1:]]

    with pytest.raises(ValidationError) as gmv:
        save_tier_thresholds(too_much_gmv)
    with pytest.raises(ValidationError) as outlets:
        save_tier_thresholds(too_many_outlets)

    assert list(gmv.value.message_dict) == ["SKA_min_monthly_gmv"]
    assert list(outlets.value.message_dict) == ["SKA_min_active_outlets"]
    assert not TierThreshold.objects.exists()


# -- the audit log -------------------------------------------------------------------------


def test_the_audit_log_renders_every_kind_of_entry_the_code_writes(finance, october_invoice):
    actor = finance.user
    line = add_adjustment(october_invoice.pk, amount="-5", reason="try", actor=actor)
    remove_adjustment(october_invoice.pk, line.pk, actor=actor)
    recalculate(october_invoice.pk, actor=actor)
    approve(october_invoice.pk, actor=actor)
    note = create_credit_note(october_invoice.pk, amount="9", reason="Outage", actor=actor)
    issue_credit_note(note.pk, actor=actor)
    record_payment(october_invoice.pk, actor=actor, reference="BANK-1")
    # A settled invoice carrying credit forward, then voided and re-issued.
    other = MerchantRowFactory(name="Noodle Bar")
    subscribe(other, PlanFactory(monthly_fee=Decimal("100")), start=date(2026, 9, 1))
    run_billing(2026, 10)
    settled = Invoice.objects.get(merchant=other)
    add_adjustment(settled.pk, amount="-150", reason="goodwill", actor=actor)
    approve(settled.pk, actor=actor)
    void_invoice(settled.pk, reason="wrong credit", actor=actor)
    details = BillingDetailsForm({"tax_id": "91310000X"}, instance=billing_account(other.pk))
    assert details.is_valid()
    update_billing_account(other.pk, form=details, actor=actor)
    set_region_tax_rate(region="CN", name="VAT", rate_percent=Decimal("6"), actor=actor)
    AuditEntry.objects.create(action="from_an_older_release", before=[], after="text")

    page = finance.get("/console/billing/audit/")

    assert page.status_code == 200
    written = set(AuditEntry.objects.values_list("action", flat=True))
    assert written == {*AUDIT_ACTIONS, "from_an_older_release"}
    html = page.content.decode()
    for label in AUDIT_ACTIONS.values():
        assert str(label) in html
    assert "499.0000 → 494.0000" in html  # the adjustment, before and after


def test_the_audit_log_renders_on_the_demo_data(client):
    call_command("seed_demo")
    call_command("seed_billing_demo")
    paid = Invoice.objects.filter(status="paid").count()
    client.force_login(User.objects.get(email="finance@demo.test"))
    on_host(client, "localhost")

    page = client.get("/console/billing/audit/")

    assert page.status_code == 200
    html = page.content.decode()
    assert paid >= 3  # months of history, each approved, then paid
    assert html.count("Payment recorded") == paid and html.count("Approved and issued") == paid
