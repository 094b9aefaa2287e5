"""The merchant data center at /manage/data/: thin views over selectors; every table on the
page has a CSV export of the same figures."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from datacenter import selectors
from datacenter.charts import day_chart
from datacenter.forms import RangeForm
from tenants.access import shop_member_required


@dataclass(frozen=True)
class Segment:
    """One line of "increment vs base": a slice of the range's orders."""

    label: str
    orders: int | None
    gmv: Decimal | None
    gmv_share: Decimal | None
    customers: int | None = None


def increment_segments(report: selectors.RangeReport) -> list[Segment]:
    totals = report.totals
    base_orders = totals.orders - totals.groupbuy_orders
    base_gmv = totals.gmv - totals.groupbuy_gmv
    return [
        Segment(
            _("Online"),
            totals.online_orders,
            totals.online_gmv,
            selectors.share(totals.online_gmv, totals.gmv),
        ),
        Segment(
            _("In store"),
            totals.in_store_orders,
            totals.in_store_gmv,
            selectors.share(totals.in_store_gmv, totals.gmv),
        ),
        # Group-buy orders are online orders, and with or without a plugin splits all orders:
        # the two lines below are parts of the total, not further channels.
        Segment(
            _("of which group-buy"),
            totals.groupbuy_orders,
            totals.groupbuy_gmv,
            selectors.share(totals.groupbuy_gmv, totals.gmv),
            totals.groupbuy_new_customers,
        ),
        Segment(
            _("of which without plugins"),
            base_orders,
            base_gmv,
            selectors.share(base_gmv, totals.gmv),
        ),
        Segment(_("New customers"), None, None, None, totals.new_customers),
        Segment(_("Returning customers"), None, None, None, totals.returning_customers),
    ]


def _range_or_errors(request) -> tuple[RangeForm, selectors.DataRange | None]:
    today = selectors.local_today(connection.tenant)
    form = RangeForm(request.GET or {"range": "30"}, today=today)
    if not form.is_valid():
        return form, None
    return form, form.data_range()


@shop_member_required
def data_center(request):
    merchant = connection.tenant
    form, data_range = _range_or_errors(request)
    if data_range is None:
        return render(request, "manage/data.html", {"form": form}, status=400)
    report = selectors.range_report(merchant, data_range)
    products = selectors.top_products(merchant, data_range)
    top_sales = max((product.sales for product in products), default=0)
    glance = selectors.glance(merchant, form.today)
    return render(
        request,
        "manage/data.html",
        {
            "form": form,
            "range": data_range,
            "query": request.GET.urlencode() or "range=30",
            "glance": glance,
            "report": report,
            "segments": increment_segments(report),
            "gmv_chart": day_chart(report.days, lambda day: day.gmv, lambda day: day.orders),
            "customer_chart": day_chart(report.days, lambda day: day.new_customers, height=120),
            "products": [
                (product, float(product.sales / top_sales * 100) if top_sales else 0)
                for product in products
            ],
            "brought": selectors.platform_brought(merchant, report),
        },
    )


def _glance_rows(merchant, today) -> list[list]:
    glance = selectors.glance(merchant, today)
    labels = {
        "today": _("Today"),
        "yesterday": _("Yesterday"),
        "last_week": _("Same day last week"),
    }
    return [
        [labels[name], figures.day, figures.orders, figures.gmv, figures.average_order_value or ""]
        for name, figures in (
            ("today", glance.today),
            ("yesterday", glance.yesterday),
            ("last_week", glance.last_week),
        )
    ]


def _export_rows(table: str, merchant, data_range, today) -> tuple[list[str], list[list]]:
    if table == "glance":
        return ["day", "date", "orders", "gmv", "average_order_value"], _glance_rows(
            merchant, today
        )
    report = selectors.range_report(merchant, data_range)
    if table == "daily":
        columns = ["date", *selectors.DAY_COLUMNS, "net_gmv"]
        return columns, [
            [day.day, *(getattr(day, column) for column in selectors.DAY_COLUMNS), day.net_gmv]
            for day in report.days
        ]
    if table == "increment":
        return ["segment", "orders", "gmv", "gmv_share_percent", "customers"], [
            [
                segment.label,
                *(
                    "" if value is None else value
                    for value in (segment.orders, segment.gmv, segment.gmv_share, segment.customers)
                ),
            ]
            for segment in increment_segments(report)
        ]
    if table == "products":
        return ["rank", "product", "quantity", "orders", "sales"], [
            [rank, product.title, product.quantity, product.orders, product.sales]
            for rank, product in enumerate(selectors.top_products(merchant, data_range), start=1)
        ]
    if table == "platform":
        brought = selectors.platform_brought(merchant, report)
        charges = brought.charges
        return ["figure", "value"], [
            ["plugin_orders", brought.plugin_orders],
            ["plugin_gmv", brought.plugin_gmv],
            ["plugin_new_customers", brought.plugin_new_customers],
            ["commission", charges.commission],
            ["plugin_fees", charges.plugin_fees],
            ["subscription_fees", charges.subscription_fees],
            ["estimated", "yes" if charges.estimated else "no"],
        ]
    raise Http404(table)


EXPORT_TABLES = ("glance", "daily", "increment", "products", "platform")


@shop_member_required
def data_export(request, table: str):
    if table not in EXPORT_TABLES:
        raise Http404(table)
    merchant = connection.tenant
    form, data_range = _range_or_errors(request)
    if data_range is None:
        problems = "; ".join(
            f"{field}: {' '.join(errors)}" for field, errors in form.errors.items()
        )
        return HttpResponse(problems, status=400, content_type="text/plain; charset=utf-8")
    header, rows = _export_rows(table, merchant, data_range, form.today)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{merchant.slug}-{table}-{data_range.start}-{data_range.end}.csv"'
    )
    return response
