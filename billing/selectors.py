"""Read queries for the finance console and the merchant's billing page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum

from analytics.models import DailyMerchantStats
from billing.calculation import gather_facts, plan_terms, price_period
from billing.models import (
    CreditNote,
    Invoice,
    InvoiceStatus,
    LineKind,
    PluginPrice,
    Subscription,
)
from billing.pricing import month_bounds
from billing.subscriptions import local_today
from tenants.models import Merchant


@dataclass(frozen=True)
class InvoiceFilters:
    status: str = ""
    period: date | None = None  # first day of the month
    plan_id: int | None = None
    min_total: Decimal | None = None
    max_total: Decimal | None = None
    search: str = ""


def invoices(filters: InvoiceFilters) -> QuerySet[Invoice]:
    found = Invoice.objects.select_related("merchant", "plan").defer("pdf")
    if filters.status:
        found = found.filter(status=filters.status)
    if filters.period:
        found = found.filter(period_start=filters.period)
    if filters.plan_id:
        found = found.filter(plan_id=filters.plan_id)
    if filters.min_total is not None:
        found = found.filter(total__gte=filters.min_total)
    if filters.max_total is not None:
        found = found.filter(total__lte=filters.max_total)
    if filters.search:
        found = found.filter(
            Q(merchant__name__icontains=filters.search)
            | Q(merchant__slug__icontains=filters.search)
            | Q(number__iexact=filters.search)
        )
    return found.order_by("-period_start", "merchant__name", "-id")


def totals_by_currency(found: QuerySet[Invoice]) -> list[dict]:
    return list(
        found.order_by()
        .values("currency")
        .annotate(count=Count("id"), total=Sum("total"))
        .order_by("currency")
    )


@dataclass(frozen=True)
class GmvDay:
    date: date
    gmv: Decimal
    refunds: Decimal
    prior_period_refunds: Decimal
    online: Decimal
    in_store: Decimal
    groupbuy: Decimal


def gmv_breakdown(invoice: Invoice) -> list[GmvDay]:
    rows = DailyMerchantStats.objects.filter(
        merchant_id=invoice.merchant_id,
        date__gte=invoice.period_start,
        date__lte=invoice.period_end,
    ).order_by("date")
    return [
        GmvDay(
            date=row.date,
            gmv=row.gmv,
            refunds=row.refunds,
            prior_period_refunds=row.prior_period_refunds,
            online=row.online_gmv,
            in_store=row.in_store_gmv,
            groupbuy=row.groupbuy_gmv,
        )
        for row in rows
    ]


def credit_notes_to_review() -> QuerySet[CreditNote]:
    return CreditNote.objects.filter(status="draft").select_related("merchant", "invoice")


@dataclass(frozen=True)
class Usage:
    period_start: date
    period_end: date
    gmv: Decimal
    net_gmv: Decimal
    commission: Decimal
    seats: int
    included_seats: int
    storage_gb: Decimal
    included_storage_gb: int
    estimated_total: Decimal


def usage_this_period(subscription: Subscription) -> Usage:
    """This month so far, priced as if it closed today (an estimate for the merchant)."""
    today = local_today(subscription.merchant)
    start, end = month_bounds(today.year, today.month)
    plans = plan_terms()
    facts = gather_facts([subscription], start, end)[subscription.merchant_id]
    priced = price_period(facts, plans, {p.plugin: p for p in PluginPrice.objects.all()})
    commission = sum(
        (line.exact_amount for line in priced.lines if line.kind == LineKind.COMMISSION),
        Decimal("0"),
    )
    plan = plans[subscription.plan_id]
    currency = subscription.merchant.currency
    return Usage(
        period_start=start,
        period_end=end,
        gmv=facts.gmv,
        net_gmv=facts.net_gmv,
        commission=commission.quantize(Decimal("0.01")),
        seats=facts.seats,
        included_seats=plan.included_seats,
        storage_gb=(Decimal(facts.storage_bytes) / 1024**3).quantize(Decimal("0.01")),
        included_storage_gb=plan.included_storage_gb,
        estimated_total=sum((line.rounded(currency) for line in priced.lines), Decimal("0")),
    )


def merchant_invoices(merchant: Merchant) -> QuerySet[Invoice]:
    """What the merchant sees: issued invoices (drafts are finance's until approved)."""
    return (
        Invoice.objects.filter(merchant=merchant)
        .exclude(status=InvoiceStatus.DRAFT)
        .defer("pdf")
        .order_by("-period_start", "-id")
    )


def billing_banner(merchant: Merchant) -> str:
    """'past_due', 'payment_failed' or '' for the banner on /manage/ pages (one query)."""
    row = (
        Merchant.objects.filter(pk=merchant.pk)
        .annotate(
            past_due=Exists(
                Subscription.objects.filter(merchant=OuterRef("pk"), status="past_due")
            ),
            failing=Exists(
                Invoice.objects.filter(
                    merchant=OuterRef("pk"),
                    status=InvoiceStatus.OPEN,
                    payment_failed_at__isnull=False,
                )
            ),
        )
        .values("past_due", "failing")
        .first()
    )
    if not row:
        return ""
    return "past_due" if row["past_due"] else "payment_failed" if row["failing"] else ""


@dataclass(frozen=True)
class InvoiceFacts:
    open_count: int
    overdue_count: int
    overdue_total: Decimal


def invoice_facts(merchant_ids) -> dict[int, InvoiceFacts]:
    """Open and overdue (issued, unpaid, past due date) invoices per merchant, in one query;
    customer success reads it through settings.ONBOARDING_INVOICE_FACTS."""
    from django.utils import timezone

    today = timezone.now().date()
    rows = (
        Invoice.objects.filter(merchant_id__in=list(merchant_ids), status=InvoiceStatus.OPEN)
        .values("merchant_id")
        .annotate(
            open_count=Count("id"),
            overdue_count=Count("id", filter=Q(due_on__lt=today)),
            overdue_total=Sum("total", filter=Q(due_on__lt=today)),
        )
    )
    return {
        row["merchant_id"]: InvoiceFacts(
            open_count=row["open_count"],
            overdue_count=row["overdue_count"],
            overdue_total=row["overdue_total"] or Decimal("0"),
        )
        for row in rows
    }
