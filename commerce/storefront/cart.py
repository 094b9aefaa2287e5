"""The shopper's cart, kept in the session as {variant id: quantity}. Prices are never
stored here; they are read from the catalog whenever the cart is shown or checked out."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils.translation import gettext as _

from commerce.catalog.models import Variant
from commerce.orders.services import MAX_LINE_QUANTITY, LineRequest

SESSION_KEY = "cart"


@dataclass(frozen=True)
class CartLine:
    variant_id: int
    product_title: str
    variant_name: str
    unit_price: Decimal
    quantity: int

    @property
    def line_total(self) -> Decimal:
        return self.unit_price * self.quantity


def parse_quantity(raw, *, allow_zero: bool = False) -> int:
    try:
        quantity = int(str(raw).strip())
    except ValueError:
        raise ValidationError({"quantity": [_("Enter a whole number.")]}) from None
    if quantity < (0 if allow_zero else 1) or quantity > MAX_LINE_QUANTITY:
        raise ValidationError(
            {"quantity": [_("Enter a quantity from 1 to %(max)s.") % {"max": MAX_LINE_QUANTITY}]}
        )
    return quantity


def parse_variant(raw) -> Variant:
    try:
        variant_id = int(str(raw).strip())
    except ValueError:
        raise ValidationError({"variant": [_("Choose an item.")]}) from None
    variant = (
        Variant.objects.select_related("product")
        .filter(pk=variant_id, is_active=True, product__is_published=True)
        .first()
    )
    if variant is None:
        raise ValidationError({"variant": [_("This item is not available.")]})
    return variant


def read(session) -> dict[int, int]:
    return {int(key): int(value) for key, value in session.get(SESSION_KEY, {}).items()}


def _write(session, cart: dict[int, int]) -> None:
    session[SESSION_KEY] = {str(key): value for key, value in cart.items() if value > 0}


def add(session, *, variant_raw, quantity_raw) -> Variant:
    variant = parse_variant(variant_raw)
    quantity = parse_quantity(quantity_raw)
    cart = read(session)
    total = cart.get(variant.pk, 0) + quantity
    if total > MAX_LINE_QUANTITY:
        raise ValidationError(
            {"quantity": [_("Enter a quantity from 1 to %(max)s.") % {"max": MAX_LINE_QUANTITY}]}
        )
    cart[variant.pk] = total
    _write(session, cart)
    return variant


def set_quantity(session, *, variant_raw, quantity_raw) -> None:
    quantity = parse_quantity(quantity_raw, allow_zero=True)
    cart = read(session)
    try:
        variant_id = int(str(variant_raw))
    except ValueError:
        raise ValidationError({"variant": [_("Choose an item.")]}) from None
    if variant_id not in cart:
        raise ValidationError({"variant": [_("This item is not in your cart.")]})
    cart[variant_id] = quantity
    _write(session, cart)


def clear(session) -> None:
    session.pop(SESSION_KEY, None)


# One fixed statement: the cart, the checkout page and placing an order each read it, and
# compiling the ORM's join cost three times the database's work.
_LINES_SQL = """
    SELECT v.id, p.title, v.name, v.price
    FROM catalog_variant v JOIN catalog_product p ON p.id = v.product_id
    WHERE v.id = ANY(%s) AND v.is_active AND p.is_published
"""


def lines(session) -> list[CartLine]:
    """The cart's items that can still be bought, with today's prices, in the order they
    were added."""
    cart = read(session)
    if not cart:
        return []
    with connection.cursor() as cursor:
        cursor.execute(_LINES_SQL, [list(cart)])
        found = {row[0]: row for row in cursor.fetchall()}
    return [
        CartLine(
            variant_id=variant_id,
            product_title=found[variant_id][1],
            variant_name=found[variant_id][2],
            unit_price=found[variant_id][3],
            quantity=quantity,
        )
        for variant_id, quantity in cart.items()
        if variant_id in found
    ]


def line_requests(session) -> list[LineRequest]:
    return [LineRequest(variant_id, quantity) for variant_id, quantity in read(session).items()]
