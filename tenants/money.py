"""Money rules shared by every app: Decimal amounts, rounded half-up per currency exponent."""

from decimal import ROUND_HALF_UP, Decimal

CURRENCY_EXPONENT = {"CNY": 2, "USD": 2, "EUR": 2, "GBP": 2, "HKD": 2, "JPY": 0}


def exponent(currency: str) -> int:
    return CURRENCY_EXPONENT.get(currency, 2)


def quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-exponent(currency))


def round_money(amount: Decimal, currency: str) -> Decimal:
    """Round half-up to the currency's smallest unit (0.005 CNY -> 0.01, 0.5 JPY -> 1)."""
    return Decimal(amount).quantize(quantum(currency), rounding=ROUND_HALF_UP)


def has_valid_precision(amount: Decimal, currency: str) -> bool:
    """True when `amount` needs no rounding in `currency` (12.345 CNY does)."""
    return Decimal(amount) == round_money(amount, currency)


def to_minor_units(amount: Decimal, currency: str) -> int:
    """Integer amount in the currency's minor unit, as Stripe expects it."""
    return int(round_money(amount, currency).scaleb(exponent(currency)))


def from_minor_units(units: int, currency: str) -> Decimal:
    return Decimal(units).scaleb(-exponent(currency)).quantize(quantum(currency))
