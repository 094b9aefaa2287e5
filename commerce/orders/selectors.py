from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Prefetch, Q, QuerySet, Sum

from commerce.orders.models import Order, OrderLine
from core.input import without_control_characters


@dataclass(frozen=True)
class SoldLine:
    """An order line as it was sold: what the order page and the shopper's emails show."""

    product_title: str
    variant_name: str
    quantity: int
    line_total: Decimal


# One fixed statement: the order page is the last step of every checkout.
_SOLD_LINES_SQL = """
    SELECT product_title, variant_name, quantity, line_total FROM orders_orderline
    WHERE order_id = %s ORDER BY id
"""


def sold_lines(order_id: int) -> list[SoldLine]:
    with connection.cursor() as cursor:
        cursor.execute(_SOLD_LINES_SQL, [order_id])
        return [SoldLine(*row) for row in cursor.fetchall()]


@dataclass(frozen=True)
class OrderFilters:
    status: str = ""
    payment_status: str = ""
    channel: str = ""
    date_from: date | None = None
    date_to: date | None = None
    query: str = ""


MAX_ORDER_NUMBER = 2**63 - 1


def filtered_orders(filters: OrderFilters) -> QuerySet[Order]:
    orders = Order.objects.select_related("customer", "outlet")
    if filters.status:
        orders = orders.filter(status=filters.status)
    if filters.payment_status:
        orders = orders.filter(payment_status=filters.payment_status)
    if filters.channel:
        orders = orders.filter(channel=filters.channel)
    if filters.date_from:
        orders = orders.filter(created_at__date__gte=filters.date_from)
    if filters.date_to:
        orders = orders.filter(created_at__date__lte=filters.date_to)
    # PostgreSQL refuses NUL in text; the middleware answers 400 for it, callers that
    # come in another way get it dropped.
    text = without_control_characters(filters.query).lstrip("#")
    if text:
        match = Q(email__icontains=text) | Q(contact_name__icontains=text)
        # An order number (1001 up); forty digits would overflow the bigint id.
        if text.isascii() and text.isdigit() and 1000 < int(text) < MAX_ORDER_NUMBER:
            match |= Q(pk=int(text) - 1000)
        orders = orders.filter(match)
    return orders.order_by("-created_at", "-id")


def totals(orders: QuerySet[Order]) -> tuple[int, Decimal]:
    summary = orders.aggregate(count=Count("id"), total=Sum("total"))
    return summary["count"], summary["total"] or Decimal("0")


def order_detail(order_id: int) -> Order:
    return (
        Order.objects.select_related("customer", "outlet")
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.select_related("outlet")),
            "events",
            "refunds",
        )
        .get(pk=order_id)
    )
