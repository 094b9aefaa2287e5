"""Money typed in by a merchant: parsed and checked against the shop's currency."""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils.translation import gettext as _

from tenants.money import exponent, has_valid_precision


def check_price(value, field: str, *, max_digits: int = 12, decimal_places: int = 2) -> Decimal:
    """A price in the shop's currency: a number, not negative, no finer than its minor unit,
    and small enough for its numeric(max_digits, decimal_places) column (1e309 used to
    reach Decimal.quantize and fail there)."""
    try:
        price = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({field: [_("Enter a number.")]}) from None
    if not price.is_finite():
        raise ValidationError({field: [_("Enter a number.")]})
    if price < 0:
        raise ValidationError({field: [_("A price cannot be negative.")]})
    limit = Decimal(10) ** (max_digits - decimal_places)
    if price >= limit:
        raise ValidationError({field: [_("Enter a price below %(limit)s.") % {"limit": limit}]})
    currency = connection.tenant.currency
    if not has_valid_precision(price, currency):
        message = _("%(currency)s prices have at most %(places)s decimals.") % {
            "currency": currency,
            "places": exponent(currency),
        }
        raise ValidationError({field: [message]})
    return price
