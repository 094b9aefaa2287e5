"""The till at /manage/pos/: an outlet, a basket kept in the session, cash or card terminal."""

import contextlib

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from commerce.catalog.models import Variant
from commerce.orders.models import Channel, Order, PaymentMethod
from commerce.orders.services import MAX_LINE_QUANTITY, LineRequest, OutOfStock, pos_sale
from commerce.store.selectors import outlets
from core.input import without_control_characters
from tenants.access import shop_member_required

BASKET = "pos_basket"
OUTLET = "pos_outlet"


def _basket(request) -> dict[int, int]:
    return {int(key): value for key, value in request.session.get(BASKET, {}).items()}


def _save_basket(request, basket: dict[int, int]) -> None:
    request.session[BASKET] = {str(key): value for key, value in basket.items() if value > 0}


@shop_member_required
def till(request):
    places = list(outlets(active_only=True))
    outlet_id = request.session.get(OUTLET)
    if outlet_id not in {place.pk for place in places}:
        outlet_id = None
    basket = _basket(request)
    variants = Variant.objects.select_related("product").filter(pk__in=basket)
    lines = [
        (variant, basket[variant.pk], variant.price * basket[variant.pk]) for variant in variants
    ]
    query = without_control_characters(request.GET.get("q", "")).strip()
    matches = []
    if query:
        matches = list(
            Variant.objects.select_related("product")
            .filter(is_active=True)
            .filter(Q(sku__iexact=query) | Q(product__title__icontains=query))[:20]
        )
    return render(
        request,
        "manage/pos/till.html",
        {
            "outlets": places,
            "outlet_id": outlet_id,
            "lines": lines,
            "total": sum((line[2] for line in lines), 0),
            "query": query,
            "matches": matches,
            "payment_methods": [
                (PaymentMethod.CASH, PaymentMethod.CASH.label),
                (PaymentMethod.CARD_OFFLINE, PaymentMethod.CARD_OFFLINE.label),
            ],
        },
    )


@shop_member_required
@require_POST
def choose_outlet(request):
    try:
        outlet_id = int(request.POST.get("outlet", ""))
    except ValueError:
        outlet_id = None
    if outlet_id not in {place.pk for place in outlets(active_only=True)}:
        messages.error(request, _("Outlet: choose an active outlet."))
    else:
        request.session[OUTLET] = outlet_id
    return redirect("manage_pos")


@shop_member_required
@require_POST
def add_item(request):
    sku = without_control_characters(request.POST.get("sku", "")).strip()
    variant = Variant.objects.filter(sku__iexact=sku, is_active=True).first() if sku else None
    try:
        quantity = int(request.POST.get("quantity", "1"))
    except ValueError:
        quantity = 0
    if variant is None:
        messages.error(request, _("SKU: no item with SKU “%(sku)s”.") % {"sku": sku})
    elif not 1 <= quantity <= MAX_LINE_QUANTITY:
        messages.error(request, _("Quantity: enter 1 to %(max)s.") % {"max": MAX_LINE_QUANTITY})
    else:
        basket = _basket(request)
        basket[variant.pk] = min(basket.get(variant.pk, 0) + quantity, MAX_LINE_QUANTITY)
        _save_basket(request, basket)
    return redirect("manage_pos")


@shop_member_required
@require_POST
def remove_item(request):
    basket = _basket(request)
    with contextlib.suppress(ValueError):
        basket.pop(int(request.POST.get("variant", "")), None)
    _save_basket(request, basket)
    return redirect("manage_pos")


@shop_member_required
@require_POST
def take_payment(request):
    basket = _basket(request)
    outlet_id = request.session.get(OUTLET)
    if not basket:
        messages.error(request, _("The basket is empty."))
        return redirect("manage_pos")
    if outlet_id is None:
        messages.error(request, _("Outlet: choose an active outlet."))
        return redirect("manage_pos")
    try:
        order = pos_sale(
            outlet_id=outlet_id,
            lines=[LineRequest(variant_id, quantity) for variant_id, quantity in basket.items()],
            payment_method=request.POST.get("payment_method", ""),
            actor=request.user.email,
        )
    except OutOfStock as sold_out:
        messages.error(
            request,
            _("Only %(available)s of %(sku)s left at this outlet.")
            % {"available": sold_out.available, "sku": sold_out.sku},
        )
        return redirect("manage_pos")
    except ValidationError as error:
        for field, problems in error.message_dict.items():
            for problem in problems:
                messages.error(request, f"{field.replace('_', ' ').capitalize()}: {problem}")
        return redirect("manage_pos")
    _save_basket(request, {})
    return redirect("manage_pos_receipt", order_id=order.pk)


@shop_member_required
def receipt(request, order_id: int):
    order = get_object_or_404(
        Order.objects.select_related("outlet").prefetch_related("lines"),
        pk=order_id,
        channel=Channel.IN_STORE,
    )
    return render(request, "manage/pos/receipt.html", {"order": order})
