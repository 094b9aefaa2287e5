"""How billing writes money and dates for people: amounts in the currency's exponent with
grouping (65,380.00 CNY, 1,200 JPY; never 65380.0000), one date format per language."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.utils import translation

from tenants.money import exponent, round_money

# One date format per language, on every page and document billing writes.
DATE_FORMATS = {"zh-hans": "{d.year}年{d.month}月{d.day}日", "en": "{d:%Y-%m-%d}"}


def format_money(amount: Decimal | None, currency: str) -> str:
    """Rounded half-up to the currency's exponent, thousands grouped."""
    if amount is None:
        return ""
    places = exponent(currency)
    return f"{round_money(amount, currency):,.{places}f}"


def format_date(day: date | None, language: str | None = None) -> str:
    if day is None:
        return ""
    language = (language or translation.get_language() or "en").lower()
    pattern = DATE_FORMATS.get(language) or DATE_FORMATS.get(language.split("-")[0], "")
    return (pattern or DATE_FORMATS["en"]).format(d=day)
