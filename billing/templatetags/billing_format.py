"""`{{ amount|money:currency }}` and `{{ day|billing_date }}`: billing's one way to show them."""

from __future__ import annotations

from django import template

from billing.formatting import format_date, format_money

register = template.Library()


@register.filter
def money(amount, currency: str = "") -> str:
    return format_money(amount, currency)


@register.filter
def billing_date(day) -> str:
    return format_date(day)
