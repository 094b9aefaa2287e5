"""The low-stock report (`/manage/products/low-stock/`): active variants whose units across
every outlet are at or below a threshold. In beta: only shops with the `low-stock-report`
feature flag (features.enabled) see it; everyone else gets a 404."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import render

import features
from commerce.catalog.models import Variant
from tenants.access import shop_member_required

FEATURE = "low-stock-report"
DEFAULT_THRESHOLD = 5
MAX_THRESHOLD = 1_000_000


def low_stock_variants(threshold: int) -> QuerySet[Variant]:
    return (
        Variant.objects.filter(is_active=True)
        .select_related("product")
        .annotate(
            units=Coalesce(
                Sum("stocks__quantity", filter=Q(stocks__outlet__is_active=True)), Value(0)
            )
        )
        .filter(units__lte=threshold)
        .order_by("units", "product__title", "sku")
    )


def _threshold(raw: str) -> int | None:
    if raw == "":
        return DEFAULT_THRESHOLD
    if not raw.isascii() or not raw.isdigit() or int(raw) > MAX_THRESHOLD:
        return None
    return int(raw)


@shop_member_required
def low_stock(request):
    if not features.enabled(request.tenant, FEATURE):
        raise Http404
    threshold = _threshold(request.GET.get("threshold", ""))
    if threshold is None:
        return render(
            request,
            "manage/catalog/low_stock.html",
            {"error": True, "threshold": DEFAULT_THRESHOLD, "page": None},
            status=400,
        )
    page = Paginator(low_stock_variants(threshold), 50).get_page(request.GET.get("page"))
    return render(request, "manage/catalog/low_stock.html", {"page": page, "threshold": threshold})
