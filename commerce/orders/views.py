from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from commerce.orders import services
from commerce.orders.forms import CancelForm, FulfilForm, OrderFilterForm, RefundForm
from commerce.orders.models import Order
from commerce.orders.selectors import OrderFilters, filtered_orders, order_detail, totals
from commerce.payments.services import refund_order
from core.forms import add_service_errors
from tenants.access import shop_member_required


@shop_member_required
def order_list(request):
    form = OrderFilterForm(request.GET or None)
    filters = OrderFilters()
    if form.is_valid():
        data = form.cleaned_data
        filters = OrderFilters(
            status=data["status"],
            payment_status=data["payment_status"],
            channel=data["channel"],
            date_from=data["date_from"],
            date_to=data["date_to"],
            query=data["q"].strip(),
        )
    orders = filtered_orders(filters)
    count, total = totals(orders)
    page = Paginator(orders, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "manage/orders/order_list.html",
        {"form": form, "page": page, "count": count, "total": total},
        status=400 if form.errors else 200,
    )


def _detail(request, order_id: int, *, status: int = 200, **forms):
    try:
        order = order_detail(order_id)
    except Order.DoesNotExist:
        raise Http404 from None
    context = {
        "order": order,
        # A group-buy order ships only once its team is complete (fulfil_order refuses it).
        "held_for_team": services.HELD_TAG in order.tags,
        "fulfil_form": forms.get("fulfil_form") or FulfilForm(),
        "cancel_form": forms.get("cancel_form") or CancelForm(),
        "refund_form": forms.get("refund_form") or RefundForm(),
    }
    return render(request, "manage/orders/order_detail.html", context, status=status)


@shop_member_required
def order_view(request, order_id: int):
    return _detail(request, order_id)


def _act(request, order_id: int, form, form_name: str, action, done: str):
    if not Order.objects.filter(pk=order_id).exists():
        raise Http404
    if form.is_valid():
        try:
            action(form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, done)
            return redirect("manage_order", order_id=order_id)
    # The page may no longer show this form (a fulfilled order has no fulfil form): say
    # what was wrong at the top as well.
    messages.error(
        request,
        " ".join(
            f"{form.fields[name].label}: {' '.join(errors)}"
            if name in form.fields
            else " ".join(errors)
            for name, errors in form.errors.items()
        ),
    )
    return _detail(request, order_id, status=400, **{form_name: form})


@shop_member_required
@require_POST
def order_fulfil(request, order_id: int):
    return _act(
        request,
        order_id,
        FulfilForm(request.POST),
        "fulfil_form",
        lambda data: services.fulfil_order(order_id, actor=request.user.email, **data),
        _("Order fulfilled."),
    )


@shop_member_required
@require_POST
def order_cancel(request, order_id: int):
    return _act(
        request,
        order_id,
        CancelForm(request.POST),
        "cancel_form",
        lambda data: services.cancel_order(
            order_id, reason=data["reason"], actor=request.user.email
        ),
        _("Order cancelled; its stock is back."),
    )


@shop_member_required
@require_POST
def order_refund(request, order_id: int):
    return _act(
        request,
        order_id,
        RefundForm(request.POST),
        "refund_form",
        lambda data: refund_order(order_id, actor=request.user.email, **data),
        _("Refund recorded."),
    )


@shop_member_required
@require_POST
def order_mark_paid(request, order_id: int):
    if not Order.objects.filter(pk=order_id).exists():
        raise Http404
    try:
        services.record_offline_payment(order_id, actor=request.user.email)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return _detail(request, order_id, status=400)
    messages.success(request, _("Payment recorded."))
    return redirect("manage_order", order_id=order_id)
