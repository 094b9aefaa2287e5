"""`make demo`'s data: shops with a past, seeded through the services real use goes through,
and figures that agree with each other across the consoles."""

import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Sum

from accounts.models import User
from analytics.events import EventKind
from analytics.models import DailyMerchantStats, MerchantEvent
from billing.models import Invoice, InvoiceStatus, LineKind, Subscription
from commerce.orders.models import Order
from devstack.demo import SEED_STEPS
from onboarding.models import NpsResponse
from reports.selectors import month_start
from tenants.models import Merchant
from tests.conftest import on_host

pytestmark = pytest.mark.django_db


def seed_the_demo() -> None:
    for step in SEED_STEPS:  # what `make demo` runs, in its order
        call_command(step)


def test_the_demo_shops_have_a_past_and_seeding_twice_adds_nothing():
    call_command("seed_demo")
    orders_before = {m.slug: m for m in Merchant.objects.all()}
    call_command("seed_demo")

    assert (
        sorted(Merchant.objects.values_list("slug", flat=True))
        == sorted(orders_before)
        == [
            "flower-lab",
            "noodle-bar",
            "paper-kite",
            "tea-house",
        ]
    )
    staff = User.objects.exclude(platform_roles=[]).order_by("email")
    assert [(user.email, user.platform_roles) for user in staff] == [
        ("admin@demo.test", ["platform_admin"]),
        ("csm@demo.test", ["csm"]),
        ("finance@demo.test", ["finance"]),
    ]
    tea_house = Merchant.objects.get(slug="tea-house")
    with tea_house:
        from commerce.groupbuy.models import Team

        paid_days = {order.paid_at.date() for order in Order.objects.exclude(paid_at=None)}
        teams = list(Team.objects.order_by("created_at"))
        paid_orders = Order.objects.exclude(paid_at=None).count()
        in_store = Order.objects.filter(channel="in_store").count()
    assert len(paid_days) >= 95  # a shop that has sold every day for 100 days
    # Every past team filled up; only today's is open, its leader paid.
    assert teams[:-1] and {(t.status, t.seats_paid) for t in teams[:-1]} == {("succeeded", 3)}
    assert (teams[-1].status, teams[-1].seats_paid) == ("open", 1)
    ledger = DailyMerchantStats.objects.filter(merchant=tea_house).aggregate(
        orders=Sum("orders"),
        online=Sum("online_orders"),
        in_store=Sum("in_store_orders"),
        groupbuy=Sum("groupbuy_orders"),
    )
    # The ledger is the shop's own orders, and the channels add up to the total.
    assert ledger["orders"] == paid_orders
    assert ledger["in_store"] == in_store
    assert ledger["online"] + ledger["in_store"] == ledger["orders"]
    assert 0 < ledger["groupbuy"] < ledger["online"]  # "of which": group-buy orders are online
    assert MerchantEvent.objects.filter(kind="store_setup_completed").count() == 4
    (enabled,) = MerchantEvent.objects.filter(kind="plugin_enabled", merchant=tea_house)
    assert enabled.local_date < tea_house.created_at.date() + timedelta(days=25)


def test_every_figure_of_the_demo_agrees_with_every_other(client):
    started = time.monotonic()
    seed_the_demo()
    first_run = time.monotonic() - started
    invoices_before = Invoice.objects.count()
    started = time.monotonic()
    seed_the_demo()  # a second run adds nothing, quickly
    second_run = time.monotonic() - started
    assert Invoice.objects.count() == invoices_before
    # `make demo` starts in reasonable time: ~25 s of seeding on a quiet machine (the bound
    # leaves room for a loaded one); a restart replays nothing.
    assert first_run < 120 and second_run < 15, (first_run, second_run)

    merchants = {m.slug: m for m in Merchant.objects.all()}
    for invoice in Invoice.objects.exclude(status=InvoiceStatus.VOID).select_related("merchant"):
        merchant = invoice.merchant
        # Never billed for a month before the shop existed.
        assert invoice.period_end >= merchant.created_at.date()
        # The invoice's GMV is the ledger's for the period.
        ledger = DailyMerchantStats.objects.filter(
            merchant=merchant, date__gte=invoice.period_start, date__lte=invoice.period_end
        ).aggregate(gmv=Sum("gmv"))
        assert invoice.gmv == ledger["gmv"], (merchant.slug, invoice.period_start)
        # A plugin switched on by the period's end is billed for it.
        switched_on = MerchantEvent.objects.filter(
            merchant=merchant, kind=EventKind.PLUGIN_ENABLED, local_date__lte=invoice.period_end
        ).exists()
        has_plugin_line = invoice.lines.filter(kind=LineKind.PLUGIN).exists()
        assert has_plugin_line == switched_on, (merchant.slug, invoice.period_start)
    assert not Invoice.objects.filter(merchant=merchants["flower-lab"]).exists()  # in its trial
    statuses = set(Invoice.objects.values_list("status", flat=True))
    assert statuses == {"paid", "draft"}
    assert Subscription.objects.get(merchant=merchants["paper-kite"]).status == "expired"

    # Platform metrics: every figure computed from the demo's data; MRR 0 before anyone.
    client.force_login(User.objects.get(email="finance@demo.test"))
    on_host(client, "localhost")
    page = client.get("/console/metrics/").context["page"]
    headline = {figure.key: figure.value for figure in page.headline}
    assert None not in headline.values(), headline
    # Tea House answered its go-live survey and its first quarterly wave (10 each), Paper
    # Kite its first wave (7): two promoters and a passive.
    assert sorted(
        NpsResponse.objects.values_list("survey__merchant__slug", "survey__kind", "score")
    ) == [("paper-kite", "wave", 7), ("tea-house", "go_live", 10), ("tea-house", "wave", 10)]
    assert headline["nps"] == Decimal("66.7")
    assert Decimal("0") < headline["grr"] < Decimal("100")  # Paper Kite lapsed
    assert headline["nrr"] > headline["grr"]  # Tea House moved up to Advanced
    first_signup = month_start(min(m.created_at.date() for m in merchants.values()))
    for row in page.months:
        if row.month < first_signup:
            assert (row.mrr, row.gmv, row.new_merchants) == (0, 0, 0)
    body = client.get("/console/metrics/").content.decode()
    assert "LOGO_CHURN" not in body and "Logo churn" in body

    # The data center labels the parts of the total as such.
    owner = User.objects.get(email="owner@tea-house.test")
    client.force_login(owner)
    on_host(client, "tea-house.localhost")
    data = client.get("/manage/data/", {"range": "90"})
    segments = {segment.label: segment for segment in data.context["segments"]}
    total = data.context["report"].totals
    assert segments["Online"].orders + segments["In store"].orders == total.orders
    assert (
        segments["of which group-buy"].orders + segments["of which without plugins"].orders
        == total.orders
    )
    products = [product for product, _share in data.context["products"]]
    assert len(products) == 4 and all(product.orders > 1 for product in products)


def test_the_demo_opens_with_platform_metrics_already_rolled_up(capsys):
    from reports.figures import last_full_month
    from reports.models import MonthlyMerchantStats

    call_command("seed_demo")
    call_command("refresh_reports")

    last_month = MonthlyMerchantStats.objects.filter(month=last_full_month())
    assert all(row.gmv > 0 for row in last_month) and last_month.exists()
    assert "merchant-months rolled up from" in capsys.readouterr().out
    with pytest.raises(CommandError, match="--since: use YYYY-MM"):
        call_command("refresh_reports", since="March")
