"""The arithmetic of an invoice: pure functions over plain values, no database.

Rules (finance can quote these):
- Net GMV of a period = GMV of orders paid in it - refunds in it of orders paid in it.
  A refund of an order paid in an earlier, already billed period becomes a credit note.
- Commission is graduated: each tier's rate applies to the slice of net GMV between its
  lower bound and the next tier's; a negative net GMV owes no commission.
- A monthly minimum commitment adds a true-up line for the shortfall of the exact commission.
- Fees pro-rate by day: fee * days / days in the period (monthly) or the term (yearly).
- Every line keeps its exact value and is rounded half-up to the currency's exponent; the
  invoice total is the sum of the rounded lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from tenants.money import round_money

ZERO = Decimal("0")
HUNDRED = Decimal("100")


@dataclass(frozen=True)
class Tier:
    lower_bound: Decimal
    rate_percent: Decimal


@dataclass(frozen=True)
class TierCharge:
    lower_bound: Decimal
    upper_bound: Decimal | None
    basis: Decimal
    rate_percent: Decimal
    exact_amount: Decimal


def commission_by_tier(net_gmv: Decimal, tiers: list[Tier]) -> list[TierCharge]:
    """One charge per tier the net GMV reaches (graduated; continuous at every bound)."""
    ordered = sorted(tiers, key=lambda tier: tier.lower_bound)
    if not ordered or net_gmv <= 0:
        return []
    charges = []
    for index, tier in enumerate(ordered):
        upper = ordered[index + 1].lower_bound if index + 1 < len(ordered) else None
        if net_gmv <= tier.lower_bound:
            break
        top = net_gmv if upper is None else min(net_gmv, upper)
        basis = top - tier.lower_bound
        charges.append(
            TierCharge(
                lower_bound=tier.lower_bound,
                upper_bound=upper,
                basis=basis,
                rate_percent=tier.rate_percent,
                exact_amount=basis * tier.rate_percent / HUNDRED,
            )
        )
    return charges


def commission_total(net_gmv: Decimal, tiers: list[Tier]) -> Decimal:
    return sum((charge.exact_amount for charge in commission_by_tier(net_gmv, tiers)), ZERO)


def days_in(start: date, end: date) -> int:
    """Days from start to end, both included."""
    return (end - start).days + 1


def overlap_days(start: date, end: date, other_start: date, other_end: date) -> int:
    first, last = max(start, other_start), min(end, other_end)
    return max(0, days_in(first, last))


def prorate(amount: Decimal, days: int, of_days: int) -> Decimal:
    return amount * Decimal(days) / Decimal(of_days)


def month_bounds(year: int, month: int) -> tuple[date, date]:
    start = date(year, month, 1)
    following = date(year + (month == 12), month % 12 + 1, 1)
    return start, following - timedelta(days=1)


@dataclass(frozen=True)
class DraftLine:
    kind: str
    description: str
    exact_amount: Decimal
    quantity: Decimal = Decimal("1")
    unit_amount: Decimal = ZERO
    basis: Decimal | None = None
    rate_percent: Decimal | None = None
    reason: str = ""
    details: dict = field(default_factory=dict)

    def rounded(self, currency: str) -> Decimal:
        return round_money(self.exact_amount, currency)


def invoice_total(lines: list[DraftLine], currency: str) -> Decimal:
    return sum((line.rounded(currency) for line in lines), ZERO)
