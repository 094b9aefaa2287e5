"""/console/metrics/: the platform's own health, for every platform role."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import PlatformRole
from reports import figures, nps_chain, selectors, services
from reports.forms import ChannelSpendForm, MarginForm, MetricsFilterForm, SpendForm
from reports.models import ChannelSpend, MetricSettings
from tenants.access import platform_role_required

CHART_HEIGHT = 120


@platform_role_required()
def metrics_page(request, *, spend_form=None, margin_form=None, status=200):
    currencies = selectors.currencies() or ["CNY"]
    form = MetricsFilterForm(
        request.GET or None, currencies=currencies, initial={"month": figures.last_full_month()}
    )
    currency, month = ("CNY" if "CNY" in currencies else currencies[0]), figures.last_full_month()
    if form.is_bound and not form.is_valid():
        status = 400
    elif form.is_bound:
        currency = form.cleaned_data["currency"] or currency
        month = (form.cleaned_data["month"] or month).replace(day=1)
    page = figures.cached_build(currency, month)
    peak = max((row.gmv for row in page.months), default=0) or 1
    bars = []
    for index, row in enumerate(page.months):
        height = int(CHART_HEIGHT * max(row.gmv, 0) / peak)
        bars.append({"row": row, "x": index * 10 + 1, "y": CHART_HEIGHT - height, "height": height})
    is_admin = request.user.has_platform_role(PlatformRole.PLATFORM_ADMIN)
    return render(
        request,
        "console/metrics.html",
        {
            "form": form,
            "page": page,
            "bars": bars,
            "chart_height": CHART_HEIGHT,
            "chart_width": len(bars) * 10,
            "is_admin": is_admin,
            "spend_form": spend_form or SpendForm(initial={"currency": currency}),
            "margin_form": margin_form or MarginForm(instance=MetricSettings.current()),
        },
        status=status,
    )


def _admin_only(request) -> None:
    if not request.user.has_platform_role(PlatformRole.PLATFORM_ADMIN):
        raise PermissionDenied


@platform_role_required()
@require_POST
def record_spend(request):
    _admin_only(request)
    form = SpendForm(request.POST)
    if not form.is_valid():
        return metrics_page(request, spend_form=form, status=400)
    data = form.cleaned_data
    services.record_spend(
        month=data["month"],
        currency=data["currency"],
        amount=data["amount"],
        note=data["note"],
        entered_by=request.user,
    )
    messages.success(request, _("Spend saved."))
    return redirect("console_metrics")


@platform_role_required()
@require_POST
def set_margin(request):
    _admin_only(request)
    form = MarginForm(request.POST, instance=MetricSettings.current())
    if not form.is_valid():
        return metrics_page(request, margin_form=form, status=400)
    form.save()
    figures.invalidate_cached_pages()
    messages.success(request, _("Gross margin saved."))
    return redirect("console_metrics")


@platform_role_required()
def nps_chain_page(request, *, spend_form=None, status=200):
    """NPS as the north star: how it moves and what it brings (renewals, revenue, referrals)."""
    currencies = selectors.currencies() or ["CNY"]
    form = MetricsFilterForm(
        request.GET or None, currencies=currencies, initial={"month": figures.last_full_month()}
    )
    currency, month = ("CNY" if "CNY" in currencies else currencies[0]), figures.last_full_month()
    if form.is_bound and not form.is_valid():
        status = 400
    elif form.is_bound:
        currency = form.cleaned_data["currency"] or currency
        month = (form.cleaned_data["month"] or month).replace(day=1)
    return render(
        request,
        "console/metrics_nps.html",
        {
            "form": form,
            "chain": nps_chain.build_chain(last_month=month, currency=currency),
            "definitions": nps_chain.DEFINITIONS,
            "is_admin": request.user.has_platform_role(PlatformRole.PLATFORM_ADMIN),
            "spend_form": spend_form or ChannelSpendForm(initial={"currency": currency}),
        },
        status=status,
    )


@platform_role_required()
@require_POST
def record_channel_spend(request):
    _admin_only(request)
    form = ChannelSpendForm(request.POST)
    if not form.is_valid():
        return nps_chain_page(request, spend_form=form, status=400)
    data = form.cleaned_data
    ChannelSpend.objects.update_or_create(
        month=data["month"].replace(day=1),
        channel=data["channel"],
        currency=data["currency"],
        defaults={"amount": data["amount"], "entered_by": request.user},
    )
    messages.success(request, _("Channel spend saved."))
    return redirect("console_metrics_nps")
