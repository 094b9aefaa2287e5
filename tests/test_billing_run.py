"""The billing run: what each invoice says, and that it says it once."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.models import MerchantEvent
from billing.calculation import PeriodFacts, PlanTerms, price_period
from billing.models import (
    CreditNote,
    Invoice,
    InvoiceLine,
    Plan,
    Subscription,
    SubscriptionStatus,
)
from billing.pricing import Tier, commission_by_tier, commission_total, invoice_total
from billing.run import run_billing
from billing.subscriptions import change_plan
from commerce.catalog.models import Product, ProductImage
from commerce.images import CleanImage
from commerce.store.tasks import measure_storage_task
from tenants.models import Membership, MembershipRole
from tests.factories import UserFactory
from tests.factories_billing import (
    MerchantRowFactory,
    PlanFactory,
    plugin_switch,
    refund,
    sale,
    subscribe,
)

OCT = (2026, 10)
pytestmark = pytest.mark.django_db


def lines_of(invoice: Invoice) -> list[tuple[str, Decimal]]:
    return [(line.kind, line.amount) for line in invoice.lines.order_by("position")]


# -- arithmetic ---------------------------------------------------------------------------

TIERS = [Tier(Decimal("0"), Decimal("1.0")), Tier(Decimal("100000"), Decimal("0.6"))]
money = st.decimals(min_value=Decimal("0"), max_value=Decimal("5000000"), places=2)


@settings(max_examples=200, deadline=None)
@given(gmv=money)
def test_graduated_commission_charges_each_slice_at_its_rate(gmv):
    charges = commission_by_tier(gmv, TIERS)
    assert sum(charge.basis for charge in charges) == gmv
    expected = min(gmv, Decimal("100000")) / 100 + max(gmv - 100000, 0) * Decimal("0.006")
    assert commission_total(gmv, TIERS) == expected


@settings(max_examples=100, deadline=None)
@given(bound=st.decimals(min_value=1, max_value=10**7, places=2))
def test_graduated_tiers_are_continuous_at_every_bound(bound):
    tiers = [Tier(Decimal("0"), Decimal("1.2")), Tier(bound, Decimal("0.3"))]
    cent = Decimal("0.01")
    below, at, above = (commission_total(bound + d, tiers) for d in (-cent, 0, cent))
    assert at - below == cent * Decimal("0.012")
    assert above - at == cent * Decimal("0.003")


def _terms(**overrides) -> PlanTerms:
    values = {
        "id": 1,
        "name": "P",
        "monthly_fee": Decimal("299"),
        "yearly_fee": Decimal("2990"),
        "minimum_commission": Decimal("0"),
        "included_seats": 2,
        "extra_seat_price": Decimal("50"),
        "included_storage_gb": 5,
        "extra_storage_gb_price": Decimal("10"),
        "included_plugins": frozenset(),
        "tiers": tuple(TIERS),
    }
    values.update(overrides)
    return PlanTerms(**values)


@settings(max_examples=150, deadline=None)
@given(
    days=st.lists(money, min_size=1, max_size=31),
    minimum=st.sampled_from([Decimal("0"), Decimal("500"), Decimal("1234.56")]),
    seats=st.integers(min_value=0, max_value=12),
    fee=st.decimals(min_value=0, max_value=10000, places=3),
)
def test_an_invoice_total_is_the_sum_of_its_lines_rounded_half_up_each(days, minimum, seats, fee):
    subscription = Subscription(
        merchant_id=1,
        plan_id=1,
        interval="month",
        started_on=date(2026, 9, 1),
        term_start=date(2026, 10, 1),
        term_end=date(2026, 10, 31),
    )
    facts = PeriodFacts(
        merchant_id=1,
        currency="CNY",
        period_start=date(2026, 10, 1),
        period_end=date(2026, 10, 31),
        subscription=subscription,
        changes=[],
        gmv=sum(days, Decimal("0")),
        seats=seats,
    )
    priced = price_period(facts, {1: _terms(minimum_commission=minimum, monthly_fee=fee)}, {})
    rounded = [line.rounded("CNY") for line in priced.lines]
    for line, amount in zip(priced.lines, rounded, strict=True):
        assert amount == line.exact_amount.quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
    assert invoice_total(priced.lines, "CNY") == sum(rounded, Decimal("0"))
    commission = sum(
        (line.exact_amount for line in priced.lines if line.kind in ("commission", "true_up")),
        Decimal("0"),
    )
    assert commission == max(commission_total(facts.gmv, list(TIERS)), minimum)


# -- the run --------------------------------------------------------------------------------


def test_a_month_is_billed_from_the_ledger_with_a_line_per_charge():
    plan = PlanFactory(
        monthly_fee=Decimal("299"),
        minimum_commission=Decimal("0"),
        tiers=[("0", "1.0"), ("100000", "0.6")],
    )
    merchant = MerchantRowFactory()
    subscribe(merchant, plan, start=date(2026, 9, 1))
    sale(merchant, date(2026, 10, 3), "90000.00", "a")
    sale(merchant, date(2026, 10, 20), "60000.00", "b")
    refund(merchant, date(2026, 10, 21), "10000.00", "r1", paid_on=date(2026, 10, 20))
    sale(merchant, date(2026, 11, 2), "5000.00", "november")  # another period
    for n in range(4):  # owner + 3 staff, all month: 2 seats over the 2 included
        Membership.objects.create(
            merchant=merchant,
            user=UserFactory(),
            role=MembershipRole.OWNER if n == 0 else "manager",
        )
    Membership.objects.filter(merchant=merchant).update(created_at=datetime(2026, 9, 1, tzinfo=UTC))

    summary = run_billing(*OCT)

    invoice = Invoice.objects.get(merchant=merchant)
    assert summary.created == 1
    assert (invoice.period_start, invoice.period_end) == (date(2026, 10, 1), date(2026, 10, 31))
    assert invoice.gmv == Decimal("150000") and invoice.net_gmv == Decimal("140000")
    assert lines_of(invoice) == [
        ("subscription", Decimal("299.00")),
        ("commission", Decimal("1000.00")),  # 1.0% of the first 100,000
        ("commission", Decimal("240.00")),  # 0.6% of the 40,000 above
        ("seats", Decimal("100.00")),
    ]
    commission = invoice.lines.filter(kind="commission").order_by("position")
    assert [(c.basis, c.rate_percent) for c in commission] == [
        (Decimal("100000"), Decimal("1")),
        (Decimal("40000"), Decimal("0.6")),
    ]
    assert invoice.total == Decimal("1639.00")
    assert invoice.status == "draft" and invoice.number is None


def test_a_short_month_pays_the_minimum_commitment_true_up():
    plan = PlanFactory(monthly_fee=Decimal("0"), minimum_commission=Decimal("500"))
    merchant = MerchantRowFactory()
    subscribe(merchant, plan, start=date(2026, 1, 1))
    sale(merchant, date(2026, 10, 5), "12345.67", "a")

    run_billing(*OCT)

    invoice = Invoice.objects.get(merchant=merchant)
    assert lines_of(invoice) == [
        ("commission", Decimal("123.46")),  # 123.4567 rounds half up
        ("true_up", Decimal("376.54")),  # 500 - 123.4567 = 376.5433
    ]
    assert invoice.total == Decimal("500.00")


def test_trial_days_plan_changes_and_plugins_pro_rate_by_day():
    basic = PlanFactory(monthly_fee=Decimal("310"), tiers=[("0", "0")])
    premium = PlanFactory(
        monthly_fee=Decimal("620"), included_plugins=["groupbuy"], tiers=[("0", "0")]
    )
    merchant = MerchantRowFactory()
    subscription = subscribe(merchant, basic, start=date(2026, 9, 27), trial_days=14)  # to 10 Oct
    plugin_switch(merchant, date(2026, 10, 6), "groupbuy", on=True)
    change_plan(subscription, to_plan=premium, on=date(2026, 10, 21))

    run_billing(*OCT)

    invoice = Invoice.objects.get(merchant=merchant)
    assert lines_of(invoice) == [
        ("subscription", Decimal("100.00")),  # basic 11-20 Oct: 10 of 31 days x 310
        ("subscription", Decimal("220.00")),  # premium 21-31 Oct: 11 of 31 days x 620
        ("plugin", Decimal("47.90")),  # group-buy 6-20 Oct on basic: 15/31 x 99 = 47.903
    ]


def test_running_the_billing_run_three_times_gives_the_same_invoices():
    plan = PlanFactory()
    merchants = [MerchantRowFactory() for _ in range(5)]
    for index, merchant in enumerate(merchants):
        subscribe(merchant, plan, start=date(2026, 8, 1))
        sale(merchant, date(2026, 10, 10), f"{1000 * (index + 1)}.00", "s")

    first = run_billing(*OCT)
    snapshot = sorted(Invoice.objects.values_list("merchant_id", "total"))
    lines = InvoiceLine.objects.count()
    second, third = run_billing(*OCT), run_billing(*OCT)

    assert (first.created, second.created, third.created) == (5, 0, 0)
    assert (second.already_billed, third.already_billed) == (5, 5)
    assert sorted(Invoice.objects.values_list("merchant_id", "total")) == snapshot
    assert InvoiceLine.objects.count() == lines


def test_a_period_not_yet_closed_in_the_merchants_time_zone_waits():
    plan = PlanFactory()
    tokyo = MerchantRowFactory(timezone="Asia/Tokyo")
    honolulu = MerchantRowFactory(timezone="Pacific/Honolulu")
    for merchant in (tokyo, honolulu):
        subscribe(merchant, plan, start=date(2026, 8, 1))
    # 1 Nov 05:00 UTC: 14:00 on 1 Nov in Tokyo, still 31 Oct in Honolulu.
    with time_machine.travel("2026-11-01 05:00Z", tick=False):
        summary = run_billing(*OCT)
    assert summary.created == 1 and summary.not_closed == 1
    assert list(Invoice.objects.values_list("merchant_id", flat=True)) == [tokyo.pk]


def test_a_refund_after_its_period_was_billed_becomes_one_credit_note_on_the_next_run():
    plan = PlanFactory(monthly_fee=Decimal("0"), tiers=[("0", "2")])
    merchant = MerchantRowFactory()
    subscribe(merchant, plan, start=date(2026, 1, 1))
    sale(merchant, date(2026, 9, 10), "1000.00", "sept")
    with time_machine.travel("2026-10-02 12:00Z"):
        run_billing(2026, 9)
    sale(merchant, date(2026, 10, 3), "500.00", "oct")
    refund(merchant, date(2026, 10, 4), "250.00", "late", paid_on=date(2026, 9, 10))

    summary = run_billing(*OCT)
    run_billing(*OCT)

    october = Invoice.objects.get(merchant=merchant, period_start=date(2026, 10, 1))
    assert october.net_gmv == Decimal("500")  # the September refund does not reduce October
    note = CreditNote.objects.get()
    assert summary.credit_notes == 1
    assert note.invoice.period_start == date(2026, 9, 1)
    assert (note.amount, note.status) == (Decimal("5.00"), "draft")  # 2% of 250


def test_the_command_bills_a_period_and_prints_a_summary(capsys):
    merchant = MerchantRowFactory()
    subscribe(merchant, Plan.objects.get(code="basic"), start=date(2026, 10, 1))
    call_command("run_billing", "--period", "2026-10", "--no-progress")
    out = capsys.readouterr().out
    assert "Period 2026-10: 1 invoices created, 0 already billed" in out
    assert "CNY 299.00 invoiced" in out
    assert Subscription.objects.get(merchant=merchant).status == SubscriptionStatus.ACTIVE


def test_storage_beyond_the_plan_is_charged_from_the_nightly_measurement(shop):
    merchant = shop.merchant
    plan = PlanFactory(monthly_fee=Decimal("0"), included_storage_gb=0, tiers=[("0", "0")])
    subscribe(merchant, plan, start=date(2026, 9, 1))
    with merchant:
        product = Product.objects.create(title="Oolong", slug="oolong")
        ProductImage.objects.create(product=product, image=CleanImage(b"x" * 2048, extension="png"))
    with time_machine.travel("2026-10-20 10:00Z"):
        assert measure_storage_task() >= 1
        measure_storage_task()  # the same day again: one measurement

    run_billing(*OCT)

    invoice = Invoice.objects.get(merchant=merchant)
    assert lines_of(invoice) == [("storage", Decimal("10.00"))]  # 2 KB rounds up to 1 GB
    event = MerchantEvent.objects.get(merchant=merchant, kind="storage_measured")
    assert event.payload == {"bytes": 2048}
