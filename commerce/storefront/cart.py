"""The shopper's cart, kept in the session as {variant id: quantity}. Prices are never
stored here; they are read from the catalog whenever the cart is shown or checked out."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils.translation import gettext as _

from commerce.orders.services import MAX_LINE_QUANTITY, LineRequest

SESSION_KEY = "cart"


@dataclass(frozen=True)
class CartItem:
    """A variant as the cart shows it, with today's price."""

    variant_id: int
    product_title: str
    variant_name: str
    unit_price: Decimal

    def __str__(self) -> str:
        return f"{self.product_title} {self.variant_name}".strip()


@dataclass(frozen=True)
class CartLine(CartItem):
    quantity: int

    @property
    def line_total(self) -> Decimal:
        return self.unit_price * self.quantity


# One fixed statement: adding to the cart, the cart, the checkout page and placing an order
# each read it, and compiling the ORM's join cost three times the database's work.
_AVAILABLE_SQL = """
    SELECT v.id, p.title, v.name, v.price
    FROM catalog_variant v JOIN catalog_product p ON p.id = v.product_id
    WHERE v.id = ANY(%s::integer[]) AND v.is_active AND p.is_published
"""
# Variant ids are PostgreSQL integers: anything beyond is no variant (and no query).
_MAX_ID = 2**31 - 1


def available_items(variant_ids) -> dict[int, CartItem]:
    """The variants among `variant_ids` a shopper can buy now."""
    wanted = [variant_id for variant_id in variant_ids if 0 < variant_id <= _MAX_ID]
    if not wanted:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(_AVAILABLE_SQL, [wanted])
        return {row[0]: CartItem(*row) for row in cursor.fetchall()}


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


def parse_variant(raw) -> CartItem:
    try:
        variant_id = int(str(raw).strip())
    except ValueError:
        raise ValidationError({"variant": [_("Choose an item.")]}) from None
    item = available_items([variant_id]).get(variant_id)
    if item is None:
        raise ValidationError({"variant": [_("This item is not available.")]})
    return item


def read(session) -> dict[int, int]:
    return {int(key): int(value) for key, value in session.get(SESSION_KEY, {}).items()}


def _write(session, cart: dict[int, int]) -> None:
    session[SESSION_KEY] = {str(key): value for key, value in cart.items() if value > 0}


def add(session, *, variant_raw, quantity_raw) -> CartItem:
    variant = parse_variant(variant_raw)
    quantity = parse_quantity(quantity_raw)
    cart = read(session)
    total = cart.get(variant.variant_id, 0) + quantity
    if total > MAX_LINE_QUANTITY:
        raise ValidationError(
            {"quantity": [_("Enter a quantity from 1 to %(max)s.") % {"max": MAX_LINE_QUANTITY}]}
        )
    cart[variant.variant_id] = total
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


def lines(session) -> list[CartLine]:
    """The cart's items that can still be bought, with today's prices, in the order they
    were added."""
    cart = read(session)
    items = available_items(cart)
    return [
        CartLine(**vars(items[variant_id]), quantity=quantity)
        for variant_id, quantity in cart.items()
        if variant_id in items
    ]


def line_requests(session) -> list[LineRequest]:
    return [LineRequest(variant_id, quantity) for variant_id, quantity in read(session).items()]
