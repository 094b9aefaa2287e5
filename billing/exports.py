"""CSV exports for finance: invoices of a period, and their lines (which add up to the
invoice totals, so the two files reconcile)."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

from billing.models import Invoice, InvoiceLine

INVOICE_COLUMNS = [
    "number",
    "status",
    "merchant",
    "slug",
    "period_start",
    "period_end",
    "plan",
    "currency",
    "gmv",
    "net_gmv",
    "total",
    "issued_at",
    "due_on",
    "paid_at",
    "collection",
]
LINE_COLUMNS = [
    "invoice_number",
    "invoice_id",
    "merchant",
    "period_start",
    "position",
    "kind",
    "description",
    "quantity",
    "unit_amount",
    "basis",
    "rate_percent",
    "exact_amount",
    "amount",
    "currency",
    "reason",
]


class _Echo:
    def write(self, value: str) -> str:
        return value


def _cell(value) -> str:
    text = "" if value is None else str(value)
    # Spreadsheets run cells that start with these as formulas.
    return "'" + text if text[:1] in ("=", "+", "-", "@") and not _is_number(text) else text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def invoice_rows(invoices: Iterable[Invoice]) -> Iterator[list[str]]:
    yield INVOICE_COLUMNS
    for invoice in invoices:
        yield [
            _cell(value)
            for value in (
                invoice.number,
                invoice.status,
                invoice.merchant.name,
                invoice.merchant.slug,
                invoice.period_start,
                invoice.period_end,
                invoice.plan.name if invoice.plan else "",
                invoice.currency,
                invoice.gmv,
                invoice.net_gmv,
                invoice.total,
                invoice.issued_at.isoformat() if invoice.issued_at else "",
                invoice.due_on,
                invoice.paid_at.isoformat() if invoice.paid_at else "",
                invoice.collection_method,
            )
        ]


def line_rows(lines: Iterable[InvoiceLine]) -> Iterator[list[str]]:
    yield LINE_COLUMNS
    for line in lines:
        invoice = line.invoice
        yield [
            _cell(value)
            for value in (
                invoice.number,
                invoice.pk,
                invoice.merchant.name,
                invoice.period_start,
                line.position,
                line.kind,
                line.description,
                line.quantity,
                line.unit_amount,
                line.basis,
                line.rate_percent,
                line.exact_amount,
                line.amount,
                invoice.currency,
                line.reason,
            )
        ]


def csv_lines(rows: Iterable[list[str]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    for row in rows:
        yield writer.writerow(row)
