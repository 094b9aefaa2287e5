"""The merchant data center at /manage/data/: today at a glance, increment vs base, charts,
top products, what the platform brought vs what the shop paid, CSV exports."""

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test import Client

from analytics.events import OrderPaid, OrderRefunded
from analytics.ledger import StatsDelta, record_event
from billing.models import BillingAccount, PluginPrice
from billing.run import run_billing
from billing.services import approve
from commerce.catalog.models import Stock, Variant
from commerce.store.models import Outlet
from tests.conftest import on_host
from tests.factories_billing import PlanFactory, local_noon, plugin_switch, subscribe

pytestmark = pytest.mark.django_db

# 12:00 on Friday 20 March 2026 in Shanghai, the shops' timezone.
NOW = datetime(2026, 3, 20, 4, 0, tzinfo=UTC)
TODAY = date(2026, 3, 20)


@pytest.fixture
def owner(shop):
    client = on_host(Client(), "alpha.localhost")
    client.force_login(shop.owner)
    return client


def paid(
    merchant,
    day: date,
    amount: str,
    key: str,
    *,
    channel: str = "online",
    groupbuy: bool = False,
    new_customer: bool = True,
) -> None:
    """An order paid on `day` as `mark_paid` writes it to the ledger."""
    total = Decimal(amount)
    in_store = channel == "in_store"
    record_event(
        merchant=merchant,
        event=OrderPaid(total=total, channel=channel),
        idempotency_key=f"{merchant.slug}:{key}",
        occurred_at=local_noon(merchant, day),
        delta=StatsDelta(
            gmv=total,
            orders=1,
            online_orders=0 if in_store else 1,
            online_gmv=Decimal("0") if in_store else total,
            in_store_orders=1 if in_store else 0,
            in_store_gmv=total if in_store else Decimal("0"),
            groupbuy_orders=1 if groupbuy else 0,
            groupbuy_gmv=total if groupbuy else Decimal("0"),
            groupbuy_new_customers=1 if groupbuy and new_customer else 0,
            new_customers=1 if new_customer else 0,
            returning_customers=0 if new_customer else 1,
        ),
    )


def refunded(merchant, day: date, amount: str, key: str) -> None:
    record_event(
        merchant=merchant,
        event=OrderRefunded(order=0, amount=Decimal(amount), paid_on=day),
        idempotency_key=f"{merchant.slug}:{key}",
        occurred_at=local_noon(merchant, day),
        delta=StatsDelta(refunds=Decimal(amount), refund_count=1),
    )


@time_machine.travel(NOW, tick=False)
def test_today_is_compared_with_yesterday_and_the_same_day_last_week(owner, shop):
    merchant = shop.merchant
    paid(merchant, TODAY, "100.00", "t1")
    paid(merchant, TODAY, "40.00", "t2", channel="in_store")
    paid(merchant, TODAY, "10.00", "t3")
    paid(merchant, date(2026, 3, 19), "60.00", "y1")
    paid(merchant, date(2026, 3, 19), "40.00", "y2")
    paid(merchant, date(2026, 3, 13), "150.00", "w1")

    glance = owner.get("/manage/data/").context["glance"]

    assert (glance.today.orders, glance.today.gmv, glance.today.average_order_value) == (
        3,
        Decimal("150.00"),
        Decimal("50.00"),
    )
    assert (glance.yesterday.orders, glance.yesterday.gmv) == (2, Decimal("100.00"))
    assert (glance.last_week.day, glance.last_week.orders) == (date(2026, 3, 13), 1)
    assert glance.against_yesterday == {
        "orders": Decimal("50.0"),
        "gmv": Decimal("50.0"),
        "average_order_value": Decimal("0.0"),
    }
    assert glance.against_last_week == {
        "orders": Decimal("200.0"),
        "gmv": Decimal("0.0"),
        "average_order_value": Decimal("-66.7"),
    }


@time_machine.travel(NOW, tick=False)
def test_the_range_splits_new_from_returning_online_from_in_store_and_groupbuy_from_base(
    owner, shop
):
    merchant = shop.merchant
    paid(merchant, date(2026, 3, 14), "200.00", "a", groupbuy=True)
    paid(merchant, date(2026, 3, 15), "100.00", "b", groupbuy=True, new_customer=False)
    paid(merchant, date(2026, 3, 16), "300.00", "c", channel="in_store", new_customer=False)
    paid(merchant, date(2026, 3, 20), "400.00", "d")
    paid(merchant, date(2026, 3, 13), "999.00", "before-the-range")
    refunded(merchant, date(2026, 3, 16), "50.00", "r")

    response = owner.get("/manage/data/", {"range": "7"})

    report = response.context["report"]
    assert (report.range.start, report.range.end, len(report.days)) == (
        date(2026, 3, 14),
        TODAY,
        7,
    )
    assert (report.totals.orders, report.totals.gmv, report.totals.net_gmv) == (
        4,
        Decimal("1000.00"),
        Decimal("950.00"),
    )
    assert report.average_order_value == Decimal("250.00")
    segments = [
        (s.label, s.orders, s.gmv, s.gmv_share, s.customers) for s in response.context["segments"]
    ]
    assert segments == [
        ("Online", 3, Decimal("700.00"), Decimal("70.0"), None),
        ("In store", 1, Decimal("300.00"), Decimal("30.0"), None),
        ("of which group-buy", 2, Decimal("300.00"), Decimal("30.0"), 1),
        ("of which without plugins", 2, Decimal("700.00"), Decimal("70.0"), None),
        ("New customers", None, None, None, 2),
        ("Returning customers", None, None, None, 2),
    ]
    assert [day.day for day in report.days if day.orders] == [
        date(2026, 3, 14),
        date(2026, 3, 15),
        date(2026, 3, 16),
        date(2026, 3, 20),
    ]


@time_machine.travel(NOW, tick=False)
def test_the_chart_draws_one_bar_per_day_scaled_to_the_best_day(owner, shop):
    paid(shop.merchant, date(2026, 3, 18), "50.00", "small")
    paid(shop.merchant, date(2026, 3, 19), "200.00", "big")

    chart = owner.get("/manage/data/", {"range": "7"}).context["gmv_chart"]

    assert [bar.key for bar in chart.bars][-3:] == ["2026-03-18", "2026-03-19", "2026-03-20"]
    heights = {bar.key: bar.height for bar in chart.bars}
    assert (heights["2026-03-18"], heights["2026-03-19"], heights["2026-03-20"]) == (
        45.0,
        180.0,
        0.0,
    )
    assert chart.top == Decimal("200.00")
    assert chart.line_top == 1


@time_machine.travel(NOW, tick=False)
def test_custom_ranges_are_checked_field_by_field(owner, shop):
    def errors(**params) -> tuple[int, dict]:
        response = owner.get("/manage/data/", {"range": "custom", **params})
        return response.status_code, dict(response.context["form"].errors)

    assert errors(start="2026-03-01", end="2026-03-10")[0] == 200
    assert errors(start="2026-03-01") == (400, {"end": ["Choose the last day of a custom range."]})
    assert errors(start="2026-03-01", end="2026-03-21") == (
        400,
        {"end": ["The range cannot end after today."]},
    )
    assert errors(start="2026-03-11", end="2026-03-10") == (
        400,
        {"start": ["The first day must not be after the last day."]},
    )
    assert errors(start="2025-01-01", end="2026-03-10") == (
        400,
        {"start": ["A range covers at most 366 days."]},
    )
    assert errors(start="first of March", end="2026-03-10") == (
        400,
        {"start": ["Enter a valid date."]},
    )
    bad_choice = owner.get("/manage/data/", {"range": "365"})
    assert bad_choice.status_code == 400
    assert list(bad_choice.context["form"].errors) == ["range"]
    export = owner.get("/manage/data/export/daily.csv", {"range": "custom", "start": "2026-03-01"})
    assert export.status_code == 400
    assert export.content.decode() == "end: Choose the last day of a custom range."

    custom = owner.get(
        "/manage/data/", {"range": "custom", "start": "2026-03-01", "end": "2026-03-10"}
    )
    assert len(custom.context["report"].days) == 10


def pos_sale_at(owner, moment: datetime, sku: str, quantity: int) -> None:
    with time_machine.travel(moment, tick=False):
        owner.post("/manage/pos/add/", {"sku": sku, "quantity": str(quantity)})
        assert owner.post("/manage/pos/pay/", {"payment_method": "cash"}).status_code == 302


def test_top_products_rank_what_sold_in_the_range_from_the_shops_orders(owner, selling_shop):
    with selling_shop.merchant:
        bund = Outlet.objects.create(name="Bund", address="1 Bund")
        for variant in Variant.objects.all():
            Stock.objects.create(variant=variant, outlet=bund, quantity=20)
    connection.set_schema_to_public()
    owner.post("/manage/pos/outlet/", {"outlet": bund.pk})
    pos_sale_at(owner, datetime(2026, 3, 2, 4, tzinfo=UTC), "PUER-357", 5)  # before the range
    pos_sale_at(owner, datetime(2026, 3, 15, 4, tzinfo=UTC), "OOL-100", 3)
    pos_sale_at(owner, datetime(2026, 3, 16, 4, tzinfo=UTC), "OOL-100", 2)
    pos_sale_at(owner, datetime(2026, 3, 17, 4, tzinfo=UTC), "PUER-357", 1)

    with time_machine.travel(NOW, tick=False):
        response = owner.get("/manage/data/", {"range": "7"})
        export = owner.get("/manage/data/export/products.csv", {"range": "7"})

    products = [
        (product.title, product.quantity, product.orders, product.sales)
        for product, _width in response.context["products"]
    ]
    assert products == [
        ("Oolong", 5, 2, Decimal("150.00")),
        ("Pu'er cake", 1, 1, Decimal("120.00")),
    ]
    assert list(csv.reader(io.StringIO(export.content.decode()))) == [
        ["rank", "product", "quantity", "orders", "sales"],
        ["1", "Oolong", "5", "2", "150.00"],
        ["2", "Pu'er cake", "1", "1", "120.00"],
    ]
    assert export["Content-Disposition"] == (
        'attachment; filename="alpha-products-2026-03-14-2026-03-20.csv"'
    )
    report = response.context["report"]
    assert (report.totals.in_store_orders, report.totals.in_store_gmv) == (3, Decimal("270.00"))


@time_machine.travel(NOW, tick=False)
def test_what_the_platform_brought_stands_beside_the_commission_and_fees_of_the_same_days(
    owner, shop
):
    merchant = shop.merchant
    plan = PlanFactory(monthly_fee=Decimal("310.00"), tiers=[("0", "2")])
    subscribe(merchant, plan, start=date(2026, 1, 1))
    BillingAccount.objects.create(merchant=merchant, collection_method="bank_transfer")
    PluginPrice.objects.update_or_create(
        plugin="groupbuy", defaults={"name": "Group-buy", "monthly_fee": Decimal("93.00")}
    )
    plugin_switch(merchant, date(2026, 2, 1), "groupbuy", True)
    # February, invoiced and issued: net GMV 2,000 → commission 40.00, plugin 93.00.
    paid(merchant, date(2026, 2, 10), "1500.00", "feb-1")
    paid(merchant, date(2026, 2, 25), "500.00", "feb-2", groupbuy=True)
    run_billing(2026, 2)
    approve(merchant.invoices.get().pk, actor=None)
    # March, not invoiced yet: net GMV 3,000 so far → commission 60.00 if it closed today.
    paid(merchant, date(2026, 3, 5), "1000.00", "mar-1", groupbuy=True)
    paid(merchant, date(2026, 3, 6), "2000.00", "mar-2")

    response = owner.get(
        "/manage/data/", {"range": "custom", "start": "2026-02-22", "end": "2026-03-05"}
    )

    brought = response.context["brought"]
    assert (brought.plugin_orders, brought.plugin_gmv, brought.plugin_new_customers) == (
        2,
        Decimal("1500.00"),
        2,
    )
    charges = brought.charges
    # Commission: Feb 40.00 * 500/2000 + Mar 60.00 * 1000/3000 = 10.00 + 20.00.
    assert charges.commission == Decimal("30.00")
    # Plugin: Feb 93.00 * 7/28 + Mar 93.00 * 5/31 = 23.25 + 15.00.
    assert charges.plugin_fees == Decimal("38.25")
    # Subscription: Feb 310.00 * 7/28 + Mar 310.00 * 5/31 = 77.50 + 50.00.
    assert charges.subscription_fees == Decimal("127.50")
    assert charges.estimated is True
    assert brought.gmv_per_unit_paid == Decimal("22.0")  # 1500 / 68.25
    export = owner.get(
        "/manage/data/export/platform.csv",
        {"range": "custom", "start": "2026-02-22", "end": "2026-03-05"},
    )
    assert list(csv.reader(io.StringIO(export.content.decode()))) == [
        ["figure", "value"],
        ["plugin_orders", "2"],
        ["plugin_gmv", "1500.00"],
        ["plugin_new_customers", "2"],
        ["commission", "30.00"],
        ["plugin_fees", "38.25"],
        ["subscription_fees", "127.50"],
        ["estimated", "yes"],
    ]


@time_machine.travel(NOW, tick=False)
def test_every_table_on_the_page_downloads_as_csv(owner, shop):
    paid(shop.merchant, date(2026, 3, 19), "80.00", "y", channel="in_store")
    paid(shop.merchant, TODAY, "20.00", "t", groupbuy=True)

    def rows(table: str) -> list[list[str]]:
        response = owner.get(f"/manage/data/export/{table}.csv", {"range": "7"})
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        return list(csv.reader(io.StringIO(response.content.decode())))

    assert rows("glance") == [
        ["day", "date", "orders", "gmv", "average_order_value"],
        ["Today", "2026-03-20", "1", "20.00", "20.00"],
        ["Yesterday", "2026-03-19", "1", "80.00", "80.00"],
        ["Same day last week", "2026-03-13", "0", "0.00", ""],
    ]
    daily = rows("daily")
    assert daily[0][:4] == ["date", "gmv", "refunds", "orders"]
    assert len(daily) == 1 + 7
    assert daily[-1][:4] == ["2026-03-20", "20.00", "0.00", "1"]
    assert rows("increment")[1:4] == [
        ["Online", "1", "20.00", "20.0", ""],
        ["In store", "1", "80.00", "80.0", ""],
        ["of which group-buy", "1", "20.00", "20.0", "1"],
    ]
    assert owner.get("/manage/data/export/secrets.csv").status_code == 404
    page = owner.get("/manage/data/", {"range": "7"}).content.decode()
    for table in ("glance", "daily", "increment", "products", "platform"):
        assert f"/manage/data/export/{table}.csv?range=7" in page


def test_the_page_runs_the_same_queries_for_a_week_or_a_quarter_of_sales(
    owner, shop, django_assert_num_queries
):
    merchant = shop.merchant
    subscribe(merchant, PlanFactory(), start=date(2026, 1, 1))
    with time_machine.travel(NOW, tick=False):
        for offset in range(1, 90):
            day = date.fromordinal(TODAY.toordinal() - offset)
            paid(merchant, day, "10.00", f"d{offset}", groupbuy=offset % 3 == 0)
        # January and February have their (draft) invoices, as after the billing run.
        run_billing(2026, 1)
        run_billing(2026, 2)
        owner.get("/manage/data/")  # warm the session and the shop's cached settings
        with django_assert_num_queries(19):
            week = owner.get("/manage/data/", {"range": "7"})
        with django_assert_num_queries(19):
            quarter = owner.get("/manage/data/", {"range": "90"})
    assert (week.status_code, quarter.status_code) == (200, 200)
    assert quarter.context["report"].totals.orders == 89


def test_another_shops_data_is_out_of_reach(shop, other_shop):
    bravo_owner = on_host(Client(), "bravo.localhost")
    bravo_owner.force_login(other_shop.owner)
    assert bravo_owner.get("/manage/data/").status_code == 200
    on_alpha = on_host(Client(), "alpha.localhost")
    on_alpha.force_login(other_shop.owner)
    assert on_alpha.get("/manage/data/").status_code == 403
    assert on_alpha.get("/manage/data/export/daily.csv").status_code == 403
