"""Inputs only people can give the platform metrics."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction

from reports.figures import invalidate_cached_pages
from reports.models import MarketingSpend


@transaction.atomic
def record_spend(
    *, month: date, currency: str, amount: Decimal, note: str = "", entered_by=None
) -> MarketingSpend:
    """The sales and marketing spend of a month (entered again, it is corrected)."""
    spend, _created = MarketingSpend.objects.update_or_create(
        month=month.replace(day=1),
        currency=currency,
        defaults={"amount": amount, "note": note, "entered_by": entered_by},
    )
    # Now, and again once committed: a page built in between (still reading the old
    # spend) must not stay cached.
    invalidate_cached_pages()
    transaction.on_commit(invalidate_cached_pages)
    return spend
