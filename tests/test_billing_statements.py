"""Every figure finance and the merchant read is true: a re-issue keeps finance's
adjustments and the credits applied, totals never count voided invoices, the merchant's
billing page shows the current term, trial, renewal, the estimate line by line and the
reminders sent; finance and CSMs see the upcoming renewals, at-risk merchants first."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine

from accounts.models import PlatformRole
from billing.models import (
    AuditEntry,
    BillingAccount,
    CreditNote,
    Invoice,
    Plan,
    RenewalReminder,
    Subscription,
    TaxRate,
)
from billing.reminders import send_renewal_reminders
from billing.run import run_billing
from billing.services import (
    add_adjustment,
    approve,
    create_credit_note,
    issue_credit_note,
    void_invoice,
)
from onboarding.models import HealthScore, NpsResponse, NpsSurvey
from tests.conftest import on_host
from tests.factories import UserFactory
from tests.factories_billing import (
    MerchantRowFactory,
    PlanFactory,
    plugin_switch,
    sale,
    subscribe,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def tea_house(db):
    """Tea House on a 299 plan with 1% commission, paying by bank transfer."""
    merchant = MerchantRowFactory(name="Tea House")
    subscribe(merchant, PlanFactory(monthly_fee=Decimal("299")), start=date(2026, 9, 1))
    BillingAccount.objects.create(merchant=merchant, collection_method="bank_transfer")
    return merchant


def bill(merchant, year: int, month: int) -> Invoice:
    following = date(year + (month == 12), month % 12 + 1, 2)
    with time_machine.travel(f"{following.isoformat()} 12:00Z"):
        run_billing(year, month)
    return Invoice.objects.get(
        merchant=merchant, period_start=date(year, month, 1), replaces__isnull=True
    )


# -- 1. void and re-issue keeps adjustments and credits --------------------------------------


def test_a_reissue_carries_every_adjustment_with_its_reason_and_the_credit_notes_applied(
    finance, tea_house
):
    sale(tea_house, date(2026, 10, 9), "20000.00", "a")
    october = approve(bill(tea_house, 2026, 10).pk, actor=finance.user)  # 499.00
    note = create_credit_note(october.pk, amount="99.00", reason="Outage", actor=finance.user)
    issue_credit_note(note.pk, actor=finance.user)
    november = bill(tea_house, 2026, 11)  # 299 fee - 99 credit
    add_adjustment(november.pk, amount="-50", reason="Goodwill (ticket #4411)", actor=finance.user)
    add_adjustment(november.pk, amount="12.50", reason="Courier fee", actor=finance.user)
    november = approve(november.pk, actor=finance.user)
    assert november.total == Decimal("162.50")

    replacement = void_invoice(november.pk, reason="Wrong address", actor=finance.user)

    carried = [
        (line.amount, line.reason, line.created_by_id)
        for line in replacement.lines.filter(kind="adjustment").order_by("position")
    ]
    assert carried == [
        (Decimal("-50.0000"), "Goodwill (ticket #4411)", finance.user.pk),
        (Decimal("12.5000"), "Courier fee", finance.user.pk),
    ]
    credit = replacement.lines.get(kind="credit")
    assert (credit.credit_note_id, credit.amount) == (note.pk, Decimal("-99.0000"))
    assert not november.lines.filter(credit_note__isnull=False).exists()
    assert (replacement.status, replacement.total) == ("draft", Decimal("162.50"))
    # The adjustments read after the charges, in the order finance added them.
    assert list(replacement.lines.values_list("kind", flat=True)) == [
        "subscription",
        "credit",
        "adjustment",
        "adjustment",
    ]
    reissue = AuditEntry.objects.get(action="reissue")
    assert ["adjustment", "Adjustment: Courier fee", "12.5000"] in reissue.after["lines"]


# -- 2. totals say what they include; voided invoices apart ----------------------------------


def test_totals_never_count_a_voided_invoice_beside_its_replacement(
    finance, tea_house, django_assert_max_num_queries
):
    sale(tea_house, date(2026, 10, 9), "20000.00", "a")
    october = approve(bill(tea_house, 2026, 10).pk, actor=finance.user)
    void_invoice(october.pk, reason="Wrong plan", actor=finance.user)
    other = MerchantRowFactory(name="Noodle Bar")
    subscribe(other, PlanFactory(monthly_fee=Decimal("100")), start=date(2026, 9, 1))
    BillingAccount.objects.create(merchant=other, collection_method="bank_transfer")
    noodle = approve(bill(other, 2026, 10).pk, actor=finance.user)
    note = create_credit_note(noodle.pk, amount="30", reason="Outage", actor=finance.user)
    issue_credit_note(note.pk, actor=finance.user)

    with django_assert_max_num_queries(12):
        page = finance.get("/console/billing/", {"period": "2026-10"})

    (cny,) = page.context["totals"]
    assert (cny.count, cny.total) == (2, Decimal("599.00"))  # the re-issue draft and Noodle Bar
    assert (cny.draft_count, cny.draft_total) == (1, Decimal("499.00"))
    assert (cny.issued_count, cny.issued_total) == (1, Decimal("100.00"))
    assert (cny.void_count, cny.void_total) == (1, Decimal("499.00"))
    assert (cny.credited_count, cny.credited_total) == (1, Decimal("30.00"))
    assert cny.issued_less_credited == Decimal("70.00")
    html = page.content.decode()
    assert "Invoices (drafts and issued, voided excluded)" in html
    assert "Voided (not counted)" in html and "599.00" in html


# -- 4. the merchant's billing page ----------------------------------------------------------


def owner_client(client, shop):
    owner = on_host(type(client)(), f"{shop.merchant.slug}.localhost")
    owner.force_login(shop.owner)
    return owner


def test_a_new_shop_sees_its_trial_end_term_renewal_and_the_estimate_line_by_line(
    client, shop, django_assert_max_num_queries
):
    merchant = shop.merchant
    subscribe(merchant, PlanFactory(monthly_fee=Decimal("300")), start=date(2026, 12, 1))
    Subscription.objects.filter(merchant=merchant).update(
        status="trial", trial_ends_on=date(2026, 12, 14)
    )
    sale(merchant, date(2026, 12, 3), "10000.00", "a")
    plugin_switch(merchant, date(2026, 12, 1), "groupbuy", True)
    owner = owner_client(client, shop)

    with time_machine.travel("2026-12-10 04:00Z"), django_assert_max_num_queries(45):
        page = owner.get("/manage/billing/")

    overview, estimate = page.context["overview"], page.context["estimate"]
    assert (overview.on_trial, overview.trial_ends_on, overview.trial_days_left) == (
        True,
        date(2026, 12, 14),
        5,
    )
    assert (overview.term_start, overview.term_end, overview.next_renewal_on) == (
        date(2026, 12, 1),
        date(2026, 12, 31),
        date(2027, 1, 1),
    )
    # 31-day month, 14 trial days: 17/31 of 300; 1% of 10,000; group-buy all 31 days of 99;
    # one seat of the two included, no storage measured: no seat or storage line.
    assert [(line.kind, line.amount) for line in estimate.lines] == [
        ("subscription", Decimal("164.52")),
        ("commission", Decimal("100.00")),
        ("plugin", Decimal("99.00")),
    ]
    assert (estimate.subtotal, estimate.tax, estimate.total) == (
        Decimal("363.52"),
        Decimal("0"),
        Decimal("363.52"),
    )
    html = page.content.decode()
    assert "Free trial ends in 5 days" in html and "Commission" in html
    assert "Estimated total this month" in html


def test_a_term_that_ended_is_never_shown_as_current(client, shop):
    merchant = shop.merchant
    subscribe(merchant, PlanFactory(), start=date(2026, 8, 15))  # term ends 2026-09-14
    Subscription.objects.filter(merchant=merchant).update(auto_renew=False)
    owner = owner_client(client, shop)

    with time_machine.travel("2026-12-10 04:00Z"):
        page = owner.get("/manage/billing/")

    overview = page.context["overview"]
    assert overview.subscription.status == "expired"
    assert overview.next_renewal_on is None and overview.ends_on == date(2026, 9, 14)
    assert "renews automatically" not in page.content.decode()


def test_an_auto_renewing_term_is_brought_to_today_on_the_billing_page(client, shop):
    merchant = shop.merchant
    subscribe(merchant, PlanFactory(), start=date(2026, 8, 15))
    owner = owner_client(client, shop)

    with time_machine.travel("2026-12-10 04:00Z"):
        page = owner.get("/manage/billing/")
        again = owner.get("/manage/billing/")

    overview = page.context["overview"]
    assert (overview.term_start, overview.term_end) == (date(2026, 11, 15), date(2026, 12, 14))
    assert overview.next_renewal_on == date(2026, 12, 15)
    assert again.context["overview"].term_end == date(2026, 12, 14)
    renewed = merchant.subscription.events.filter(kind="renewed").count()
    assert renewed == 3  # Sep, Oct, Nov terms: once each, however often the page is opened


def test_the_billing_page_lists_the_renewal_reminders_sent(client, shop):
    merchant = shop.merchant
    subscribe(merchant, PlanFactory(), start=date(2026, 1, 1), interval="year")
    with time_machine.travel("2026-12-02 04:00Z"):
        assert send_renewal_reminders() == 1
        page = owner_client(client, shop).get("/manage/billing/")

    (reminder,) = page.context["overview"].reminders
    assert (reminder.days_before, reminder.term_end) == (30, date(2026, 12, 31))
    assert shop.owner.email in page.content.decode()


def test_the_owner_and_finance_set_the_billing_address_and_tax_id_and_a_staff_member_cannot(
    client, shop, finance
):
    owner = owner_client(client, shop)
    bad = owner.post("/manage/billing/details/", {"tax_id": "x" * 41, "address": "a" * 501})
    assert bad.status_code == 400
    assert set(bad.context["details_form"].errors) == {"tax_id", "address"}

    saved = owner.post(
        "/manage/billing/details/",
        {"legal_name": "阿尔法茶业有限公司", "address": "上海市南京东路1号", "tax_id": "9131X"},
    )

    assert saved.status_code == 302
    account = BillingAccount.objects.get(merchant=shop.merchant)
    assert (account.legal_name, account.tax_id) == ("阿尔法茶业有限公司", "9131X")
    response = finance.post(
        f"/console/billing/merchants/{shop.merchant.pk}/account/",
        {
            "legal_name": account.legal_name,
            "address": account.address,
            "tax_id": "91310000X",
            "region": "cn",
            "collection_method": "bank_transfer",
        },
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert (account.tax_id, account.region, account.collection_method) == (
        "91310000X",
        "CN",
        "bank_transfer",
    )
    assert AuditEntry.objects.filter(action="update_billing_account").count() == 2


def test_the_regional_tax_rate_wins_over_the_plans_and_the_invoice_keeps_it(finance, tea_house):
    Plan.objects.filter(subscriptions__merchant=tea_house).update(tax_rate_percent=Decimal("3"))
    sale(tea_house, date(2026, 10, 9), "20000.00", "a")
    plan_taxed = bill(tea_house, 2026, 10)
    assert plan_taxed.tax_rate_percent == Decimal("3")
    assert plan_taxed.lines.get(kind="tax").amount == Decimal("14.97")  # 3% of 499.00

    TaxRate.objects.create(region="CN", name="VAT", rate_percent=Decimal("6"))
    BillingAccount.objects.filter(merchant=tea_house).update(region="CN")
    finance.post(f"/console/billing/invoices/{plan_taxed.pk}/recalculate/")

    plan_taxed.refresh_from_db()
    tax = plan_taxed.lines.get(kind="tax")
    assert (tax.description, tax.amount) == ("VAT 6%", Decimal("29.94"))
    assert plan_taxed.total == Decimal("528.94")
    assert plan_taxed.total == sum(line.amount for line in plan_taxed.lines.all())


# -- upcoming renewals, at-risk first --------------------------------------------------------


def test_upcoming_renewals_put_at_risk_merchants_first_with_their_reminders(
    client, make_staff, django_assert_max_num_queries
):
    today = date(2026, 12, 2)
    plan = PlanFactory(name="Advanced")
    healthy = MerchantRowFactory(name="Healthy Tea")
    subscribe(healthy, plan, start=date(2026, 1, 1), interval="year")  # ends 12-31
    sick = MerchantRowFactory(name="Sick Noodles")
    subscribe(sick, plan, start=date(2026, 3, 1), interval="year")  # ends 2027-02-28
    HealthScore.objects.create(merchant=sick, computed_on=today, score=20)
    unhappy = MerchantRowFactory(name="Unhappy Bakery")
    subscribe(unhappy, plan, start=date(2026, 2, 1), interval="year")  # ends 2027-01-31
    survey = NpsSurvey.objects.create(merchant=unhappy, wave=0)
    NpsResponse.objects.create(survey=survey, score=3)
    late = MerchantRowFactory(name="Late Florist")
    subscribe(late, plan, start=date(2026, 2, 15), interval="year")
    Subscription.objects.filter(merchant=late).update(status="past_due", past_due_since=today)
    far = MerchantRowFactory(name="Far Away")
    subscribe(far, plan, start=date(2026, 6, 1), interval="year")  # ends 2027-05-31: > 120 d
    with time_machine.travel(f"{today.isoformat()} 04:00Z"):
        send_renewal_reminders()
        browser = on_host(client, "localhost")
        for role in (PlatformRole.FINANCE, PlatformRole.CSM):
            browser.force_login(make_staff(role))
            with django_assert_max_num_queries(10):
                page = browser.get("/console/onboarding/renewals/")
            assert page.status_code == 200
        browser.force_login(UserFactory())  # a merchant's user, no platform role
        assert browser.get("/console/onboarding/renewals/").status_code == 403

    rows = page.context["rows"]
    names = [row.renewal.merchant_name for row in rows]
    assert names == ["Unhappy Bakery", "Late Florist", "Sick Noodles", "Healthy Tea"]
    assert [row.risks for row in rows[:3]] == [
        ["NPS detractor (3)"],
        ["Past due"],
        ["Low health (20)"],
    ]
    healthy_row = rows[-1]
    assert healthy_row.risks == []
    assert [r.days_before for r in healthy_row.renewal.reminders] == [30]
    assert RenewalReminder.objects.count() == 1
    html = page.content.decode()
    assert "30 days before (sent 2026-12-02)" in html
    assert "Far Away" not in html


def test_the_finance_console_and_the_console_nav_link_to_the_renewals(finance):
    assert (
        'href="/console/onboarding/renewals/"' in finance.get("/console/billing/").content.decode()
    )


def test_the_credit_note_count_never_includes_drafts(finance, tea_house):
    sale(tea_house, date(2026, 10, 9), "20000.00", "a")
    october = approve(bill(tea_house, 2026, 10).pk, actor=finance.user)
    create_credit_note(october.pk, amount="10", reason="draft only", actor=finance.user)
    (row,) = finance.get("/console/billing/").context["totals"]
    assert (row.credited_count, row.credited_total) == (0, Decimal("0"))
    assert CreditNote.objects.count() == 1


def test_finance_sets_region_and_plan_tax_rates_and_bad_rates_are_refused(finance):
    plan = PlanFactory(name="Advanced")
    too_high = finance.post(
        "/console/billing/tax-rates/", {"region": "cn", "name": "VAT", "rate_percent": "101"}
    )
    bad_region = finance.post(
        "/console/billing/tax-rates/", {"region": "中国", "name": "VAT", "rate_percent": "6"}
    )
    assert (too_high.status_code, bad_region.status_code) == (400, 400)
    assert "rate_percent" in too_high.context["region_form"].errors
    assert "region" in bad_region.context["region_form"].errors
    assert not TaxRate.objects.exists()

    finance.post(
        "/console/billing/tax-rates/", {"region": "cn", "name": "VAT", "rate_percent": "6"}
    )
    finance.post(
        "/console/billing/tax-rates/", {"region": "CN", "name": "增值税", "rate_percent": "13"}
    )
    finance.post("/console/billing/tax-rates/", {"plan": plan.pk, "rate_percent": "0"})
    finance.post("/console/billing/tax-rates/", {"plan": plan.pk, "rate_percent": "8.5"})

    assert list(TaxRate.objects.values_list("region", "name", "rate_percent")) == [
        ("CN", "增值税", Decimal("13.0000"))
    ]
    plan.refresh_from_db()
    assert plan.tax_rate_percent == Decimal("8.5")
    assert AuditEntry.objects.filter(action="set_tax_rate").count() == 4
    page = finance.get("/console/billing/tax-rates/")
    assert page.status_code == 200 and "增值税" in page.content.decode()
