"""The merchant data center's figures: what the shop sold, where it came from, and what the
platform brought it.

Day figures come from the public ledger (DailyMerchantStats: the same rows billing charges
commission on, so the merchant and finance see one truth); top products from the shop's own
order lines. Every function runs a fixed number of queries whatever the range or the number
of orders. Days are the shop's local calendar days.

The reporting layer: it joins a shop's commerce figures with what billing charged it, so it
sits above both (commerce and billing never import each other).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.db.models import Count, Max, Sum
from django.utils import timezone

from analytics.ledger import local_date_for
from analytics.models import DailyMerchantStats
from billing.selectors import RangeCharges, charges_between
from commerce.orders.models import OrderLine
from tenants.models import Merchant
from tenants.money import round_money

ZERO = Decimal("0")
HUNDRED = Decimal("100")


@dataclass(frozen=True)
class DataRange:
    start: date
    end: date
    # "7", "30", "90" or "custom": which choice picked the range.
    choice: str = "30"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def each_day(self) -> list[date]:
        return [self.start + timedelta(days=offset) for offset in range(self.days)]


@dataclass(frozen=True)
class DayRow:
    """One local day of the ledger, zeros when nothing happened."""

    day: date
    gmv: Decimal = ZERO
    refunds: Decimal = ZERO
    orders: int = 0
    online_orders: int = 0
    online_gmv: Decimal = ZERO
    in_store_orders: int = 0
    in_store_gmv: Decimal = ZERO
    groupbuy_orders: int = 0
    groupbuy_gmv: Decimal = ZERO
    groupbuy_new_customers: int = 0
    new_customers: int = 0
    returning_customers: int = 0

    @property
    def net_gmv(self) -> Decimal:
        return self.gmv - self.refunds


DAY_COLUMNS = tuple(f.name for f in fields(DayRow) if f.name != "day")
MONEY_COLUMNS = frozenset(f.name for f in fields(DayRow) if f.type == "Decimal")


def share(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    """`part` as a percentage of `whole`, one decimal half-up; None when there is no whole."""
    if not whole:
        return None
    return _one_decimal(Decimal(part) * HUNDRED / Decimal(whole))


def change(now: Decimal | int, before: Decimal | int) -> Decimal | None:
    """Percentage change from `before` to `now`, one decimal; None when `before` is zero."""
    if not before:
        return None
    return _one_decimal((Decimal(now) - Decimal(before)) * HUNDRED / Decimal(before))


def _one_decimal(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class DayFigures:
    day: date
    orders: int
    gmv: Decimal
    average_order_value: Decimal | None


@dataclass(frozen=True)
class Glance:
    """Today so far against yesterday and the same weekday a week ago."""

    today: DayFigures
    yesterday: DayFigures
    last_week: DayFigures

    def changes(self, against: DayFigures) -> dict[str, Decimal | None]:
        return {
            "orders": change(self.today.orders, against.orders),
            "gmv": change(self.today.gmv, against.gmv),
            "average_order_value": change(
                self.today.average_order_value or 0, against.average_order_value or 0
            ),
        }

    @property
    def against_yesterday(self) -> dict[str, Decimal | None]:
        return self.changes(self.yesterday)

    @property
    def against_last_week(self) -> dict[str, Decimal | None]:
        return self.changes(self.last_week)


@dataclass(frozen=True)
class RangeReport:
    range: DataRange
    currency: str
    days: list[DayRow]
    totals: DayRow

    @property
    def average_order_value(self) -> Decimal | None:
        return average_order_value(self.totals.gmv, self.totals.orders, self.currency)

    @property
    def customers(self) -> int:
        return self.totals.new_customers + self.totals.returning_customers


@dataclass(frozen=True)
class ProductSales:
    product_id: int | None
    title: str
    quantity: int
    sales: Decimal
    orders: int


@dataclass(frozen=True)
class PlatformBrought:
    """What the platform's plugins brought in the range beside what the shop paid for it."""

    plugin_orders: int
    plugin_gmv: Decimal
    plugin_new_customers: int
    charges: RangeCharges

    @property
    def paid(self) -> Decimal:
        return self.charges.commission + self.charges.plugin_fees

    @property
    def gmv_per_unit_paid(self) -> Decimal | None:
        """Plugin GMV for each unit of currency paid in commission and plugin fees."""
        if not self.paid:
            return None
        return _one_decimal(self.plugin_gmv / self.paid)


def local_today(merchant: Merchant) -> date:
    return local_date_for(merchant, timezone.now())


def average_order_value(gmv: Decimal, orders: int, currency: str) -> Decimal | None:
    return round_money(gmv / orders, currency) if orders else None


def _rows(merchant: Merchant, days) -> dict[date, DailyMerchantStats]:
    return {
        row.date: row
        for row in DailyMerchantStats.objects.filter(merchant_id=merchant.pk, date__in=days)
    }


def _day_row(day: date, stats: DailyMerchantStats | None, currency: str) -> DayRow:
    """The ledger keeps four decimals; the data center shows the currency's own."""
    values = {column: getattr(stats, column) if stats else 0 for column in DAY_COLUMNS}
    return DayRow(
        day=day,
        **{
            column: round_money(value, currency) if column in MONEY_COLUMNS else value
            for column, value in values.items()
        },
    )


def glance(merchant: Merchant, today: date) -> Glance:
    """One query: three ledger days."""
    days = {
        "today": today,
        "yesterday": today - timedelta(days=1),
        "last_week": today - timedelta(days=7),
    }
    rows = _rows(merchant, list(days.values()))
    figures = {}
    for name, day in days.items():
        row = _day_row(day, rows.get(day), merchant.currency)
        figures[name] = DayFigures(
            day=day,
            orders=row.orders,
            gmv=row.gmv,
            average_order_value=average_order_value(row.gmv, row.orders, merchant.currency),
        )
    return Glance(**figures)


def range_report(merchant: Merchant, data_range: DataRange) -> RangeReport:
    """Every day of the range (zeros for quiet days) and the totals. One query."""
    stats = {
        row.date: row
        for row in DailyMerchantStats.objects.filter(
            merchant_id=merchant.pk, date__gte=data_range.start, date__lte=data_range.end
        )
    }
    days = [_day_row(day, stats.get(day), merchant.currency) for day in data_range.each_day()]
    totals = DayRow(
        day=data_range.end,
        **{column: sum((getattr(day, column) for day in days), 0) for column in DAY_COLUMNS},
    )
    return RangeReport(range=data_range, currency=merchant.currency, days=days, totals=totals)


def top_products(merchant: Merchant, data_range: DataRange, limit: int = 10) -> list[ProductSales]:
    """Best sellers by sales (line totals before refunds) of the orders paid in the range.

    Reads the shop's own schema: the ledger keeps days, not products. One query.
    """
    zone = ZoneInfo(merchant.timezone)
    since = datetime.combine(data_range.start, time.min, tzinfo=zone)
    until = datetime.combine(data_range.end + timedelta(days=1), time.min, tzinfo=zone)
    rows = (
        OrderLine.objects.filter(order__paid_at__gte=since, order__paid_at__lt=until)
        .values("variant__product_id")
        .annotate(
            title=Max("product_title"),
            quantity=Sum("quantity"),
            sales=Sum("line_total"),
            orders=Count("order_id", distinct=True),
        )
        .order_by("-sales", "title")[:limit]
    )
    return [
        ProductSales(
            product_id=row["variant__product_id"],
            title=row["title"],
            quantity=row["quantity"],
            sales=row["sales"],
            orders=row["orders"],
        )
        for row in rows
    ]


def platform_brought(merchant: Merchant, report: RangeReport) -> PlatformBrought:
    charges = charges_between(merchant, report.range.start, report.range.end)
    return PlatformBrought(
        plugin_orders=report.totals.groupbuy_orders,
        plugin_gmv=report.totals.groupbuy_gmv,
        plugin_new_customers=report.totals.groupbuy_new_customers,
        charges=charges,
    )
