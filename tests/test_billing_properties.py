"""Properties of the whole billing chain, on the real PostgreSQL: for any sequence of orders,
refunds, plan changes, plugin toggles, adjustments, approvals, voids, re-issues and credit
notes over three months,

(a) every invoice's total is the sum of its lines and never below zero;
(b) what the merchant's issued, live invoices ask, less the issued credit notes still to be
    applied, equals what the ledger priced by the price list says (plus finance's
    adjustments and the tax on them) less the credit notes finance issued;
(c) invoice and credit-note numbers run 1..n with no gap and no repeat.

Each example runs in a savepoint rolled back at its end, so examples never see each other.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.calculation import gather_facts, plan_terms, price_period
from billing.models import (
    BillingAccount,
    CreditNote,
    CreditNoteStatus,
    Invoice,
    InvoiceStatus,
    LineKind,
    PluginPrice,
    Subscription,
)
from billing.pricing import month_bounds
from billing.run import run_billing, tax_on
from billing.services import (
    add_adjustment,
    approve,
    create_credit_note,
    issue_credit_note,
    void_invoice,
)
from billing.subscriptions import change_plan
from tests.factories import UserFactory
from tests.factories_billing import (
    MerchantRowFactory,
    PlanFactory,
    plugin_switch,
    refund,
    sale,
    subscribe,
)

pytestmark = pytest.mark.django_db

MONTHS = ((2026, 10), (2026, 11), (2026, 12))
CHARGE_KINDS = {
    LineKind.SUBSCRIPTION,
    LineKind.COMMISSION,
    LineKind.TRUE_UP,
    LineKind.SEATS,
    LineKind.STORAGE,
    LineKind.PLUGIN,
}
ISSUED = (InvoiceStatus.OPEN, InvoiceStatus.PAID, InvoiceStatus.SETTLED)

amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("8000"), places=2)


@dataclass(frozen=True)
class Month:
    sales: list[tuple[int, Decimal]]
    refunds: list[tuple[int, int]]  # (day, which earlier sale)
    plan_change: int | None  # the day the merchant moves to the other plan
    plugin: list[tuple[int, bool]]
    adjustments: list[Decimal]
    approve: bool
    void: str  # "", "void", "reissue", "reissue-approve"
    credit_percent: int  # of the issued total; 0: none
    issue_credit: bool


months = st.builds(
    Month,
    sales=st.lists(st.tuples(st.integers(1, 28), amounts), max_size=3),
    refunds=st.lists(st.tuples(st.integers(1, 28), st.integers(0, 8)), max_size=2),
    plan_change=st.none() | st.integers(2, 28),
    plugin=st.lists(st.tuples(st.integers(1, 28), st.booleans()), max_size=2),
    adjustments=st.lists(
        st.decimals(min_value=Decimal("-900"), max_value=Decimal("300"), places=2).filter(bool),
        max_size=2,
    ),
    approve=st.booleans() | st.just(True),
    void=st.sampled_from(["", "", "void", "reissue", "reissue-approve"]),
    credit_percent=st.sampled_from([0, 0, 10, 50, 100]),
    issue_credit=st.booleans(),
)


def noon(year: int, month: int, day: int) -> str:
    return f"{date(year, month, day).isoformat()} 04:00Z"


def play(history: list[Month]) -> dict[date, Decimal]:
    """Run the history; return the adjustments finance entered, by period."""
    actor = UserFactory()
    basic = PlanFactory(monthly_fee=Decimal("299"), tiers=[("0", "1")])
    # The other plan has a tax rate, graduated commission and a minimum commitment.
    advanced = PlanFactory(
        monthly_fee=Decimal("899.99"),
        minimum_commission=Decimal("120"),
        tax_rate_percent=Decimal("6"),
        tiers=[("0", "2"), ("5000", "1.5")],
    )
    merchant = MerchantRowFactory()
    subscription = subscribe(merchant, basic, start=date(2026, 9, 1))
    BillingAccount.objects.create(merchant=merchant, collection_method="bank_transfer")
    paid: list[tuple[date, Decimal, str]] = []
    refunded: set[str] = set()
    adjusted: dict[date, Decimal] = {}
    for (year, month), step in zip(MONTHS, history, strict=False):
        for index, (day, amount) in enumerate(step.sales):
            key = f"{year}-{month}-sale-{index}"
            sale(merchant, date(year, month, day), str(amount), key)
            paid.append((date(year, month, day), amount, key))
        for day, which in step.refunds:
            if not paid:
                continue
            paid_on, amount, key = paid[which % len(paid)]
            when = date(year, month, day)
            if key in refunded or when < paid_on:
                continue
            refunded.add(key)
            refund(merchant, when, str(amount), f"refund-{key}", paid_on=paid_on)
        if step.plan_change:
            current = Subscription.objects.get(pk=subscription.pk).plan
            target = advanced if current == basic else basic
            with time_machine.travel(noon(year, month, step.plan_change)):
                change_plan(subscription, to_plan=target, actor=actor)
        for day, on in step.plugin:
            plugin_switch(merchant, date(year, month, day), "groupbuy", on)
        _close_month(merchant, year, month, step, actor)
        adjusted[date(year, month, 1)] = sum(step.adjustments, Decimal("0"))
    return adjusted


def _close_month(merchant, year: int, month: int, step: Month, actor) -> None:
    following = (year + (month == 12), month % 12 + 1)
    with time_machine.travel(noon(*following, 2)):
        run_billing(year, month)
        invoice = Invoice.objects.get(
            merchant=merchant, period_start=date(year, month, 1), replaces__isnull=True
        )
        for amount in step.adjustments:
            add_adjustment(invoice.pk, amount=str(amount), reason="goodwill", actor=actor)
        if not step.approve:
            return
        invoice = approve(invoice.pk, actor=actor)
        if step.void:
            try:
                replacement = void_invoice(
                    invoice.pk,
                    reason="correction",
                    reissue=step.void != "void",
                    actor=actor,
                )
            except ValidationError:
                replacement = None  # refused: its carried credit is already used
            else:
                invoice = replacement
                if replacement is not None and step.void == "reissue-approve":
                    invoice = approve(replacement.pk, actor=actor)
        if invoice is None or invoice.status != InvoiceStatus.OPEN or not step.credit_percent:
            return
        credited = (invoice.total * step.credit_percent / 100).quantize(Decimal("0.01"))
        if credited <= 0:
            return
        note = create_credit_note(invoice.pk, amount=str(credited), reason="sorry", actor=actor)
        if step.issue_credit:
            issue_credit_note(note.pk, actor=actor)


def expected_balance(merchant, adjusted: dict[date, Decimal]) -> Decimal:
    """Per issued, live invoice: the ledger's month priced by the price list, plus the
    adjustments finance entered for that month (a re-issue must keep them), plus tax on
    both; less every credit note finance (or the run, for late refunds) issued. Carried-
    forward credit only moves money between invoices."""
    subscription = Subscription.objects.select_related("merchant").get(merchant=merchant)
    plans = plan_terms()
    plugin_prices = {price.plugin: price for price in PluginPrice.objects.all()}
    owed = Decimal("0")
    for invoice in Invoice.objects.filter(merchant=merchant, status__in=ISSUED):
        start, end = month_bounds(invoice.period_start.year, invoice.period_start.month)
        priced = price_period(
            gather_facts([subscription], start, end)[merchant.pk], plans, plugin_prices
        )
        charges = sum(
            (line.rounded(invoice.currency) for line in priced.lines if line.kind in CHARGE_KINDS),
            Decimal("0"),
        )
        adjustments = adjusted[invoice.period_start]
        owed += (
            charges
            + adjustments
            + tax_on(charges + adjustments, priced.tax_rate_percent, invoice.currency)
        )
    given_back = CreditNote.objects.filter(
        merchant=merchant, status=CreditNoteStatus.ISSUED
    ).exclude(unique_key__startswith="carry-forward:")
    return owed - sum((note.amount for note in given_back), Decimal("0"))


def asked_balance(merchant) -> Decimal:
    issued = Invoice.objects.filter(merchant=merchant, status__in=ISSUED)
    pending = CreditNote.objects.filter(merchant=merchant, status=CreditNoteStatus.ISSUED).exclude(
        applied_line__invoice__status__in=ISSUED
    )
    return sum((invoice.total for invoice in issued), Decimal("0")) - sum(
        (note.amount for note in pending), Decimal("0")
    )


def assert_numbered_without_gaps(numbers: list[str], prefix: str) -> None:
    assert len(numbers) == len(set(numbers))
    assert sorted(numbers) == [f"{prefix}-{value:06d}" for value in range(1, len(numbers) + 1)]


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=st.lists(months, min_size=1, max_size=3))
def test_the_billing_chain_keeps_every_total_true(db, history):
    with transaction.atomic():
        adjusted = play(history)
        merchant = Invoice.objects.order_by("-id").first().merchant

        for invoice in Invoice.objects.prefetch_related("lines"):  # (a)
            assert invoice.total == sum((line.amount for line in invoice.lines.all()), Decimal("0"))
            assert invoice.total >= 0
        assert asked_balance(merchant) == expected_balance(merchant, adjusted)  # (b)
        assert_numbered_without_gaps(  # (c)
            list(Invoice.objects.exclude(number=None).values_list("number", flat=True)), "INV"
        )
        assert_numbered_without_gaps(
            list(CreditNote.objects.exclude(number=None).values_list("number", flat=True)), "CN"
        )
        transaction.set_rollback(True)
