"""The till at /manage/pos/: an outlet, a basket kept in the session, cash or card terminal."""

import contextlib

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from commerce.catalog.models import Variant
from commerce.money import check_price
from commerce.orders.models import Channel, Order, PaymentMethod
from commerce.orders.receipts import qr_svg
from commerce.orders.services import MAX_LINE_QUANTITY, LineRequest, OutOfStock, pos_sale
from commerce.store.selectors import outlets, store_settings
from core.fields import decimal_precision
from core.input import without_control_characters
from tenants.access import shop_member_required
from tenants.hosts import shop_url

BASKET = "pos_basket"
OUTLET = "pos_outlet"


def _basket(request) -> dict[int, int]:
    return {int(key): value for key, value in request.session.get(BASKET, {}).items()}


def _save_basket(request, basket: dict[int, int]) -> None:
    request.session[BASKET] = {str(key): value for key, value in basket.items() if value > 0}


def _till_outlet(request, places) -> int | None:
    """The outlet the till sells from: the one chosen in this session, else the first
    active outlet (the one the dropdown shows selected)."""
    outlet_id = request.session.get(OUTLET)
    if outlet_id in {place.pk for place in places}:
        return outlet_id
    return places[0].pk if places else None


@shop_member_required
def till(request):
    places = list(outlets(active_only=True))
    outlet_id = _till_outlet(request, places)
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
    if not basket:
        messages.error(request, _("The basket is empty."))
        return redirect("manage_pos")
    # The outlet shown on the till (sent with the payment); pos_sale refuses an inactive one.
    try:
        outlet_id = int(request.POST["outlet"])
    except (KeyError, ValueError):
        outlet_id = _till_outlet(request, list(outlets(active_only=True)))
    if outlet_id is None:
        messages.error(request, _("Outlet: choose an active outlet."))
        return redirect("manage_pos")
    payment_method = request.POST.get("payment_method", "")
    try:
        tendered_raw = request.POST.get("cash_tendered", "").strip()
        cash_tendered = (
            check_price(
                tendered_raw,
                "cash_tendered",
                **decimal_precision(Order._meta.get_field("cash_tendered")),
            )
            if tendered_raw and payment_method == PaymentMethod.CASH
            else None
        )
        order = pos_sale(
            outlet_id=outlet_id,
            lines=[LineRequest(variant_id, quantity) for variant_id, quantity in basket.items()],
            payment_method=payment_method,
            actor=request.user.email,
            cash_tendered=cash_tendered,
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
    request.session[OUTLET] = outlet_id
    _save_basket(request, {})
    return redirect("manage_pos_receipt", order_id=order.pk)


def _in_store_order(order_id: int) -> Order:
    return get_object_or_404(
        Order.objects.select_related("outlet").prefetch_related("lines"),
        pk=order_id,
        channel=Channel.IN_STORE,
    )


def _tracking_url(request, order: Order) -> str:
    # The shop's own address, never the request's Host (the receipt leaves the shop).
    return shop_url(request, request.tenant, reverse("storefront_order", args=[order.status_token]))


@shop_member_required
def receipt(request, order_id: int):
    """The printable receipt (its print stylesheet hides the console around it)."""
    order = _in_store_order(order_id)
    return render(
        request,
        "manage/pos/receipt.html",
        {"order": order, "store": store_settings(), "tracking_url": _tracking_url(request, order)},
    )


@shop_member_required
def receipt_qr(request, order_id: int):
    """A QR code of the order's tracking link, printed on the receipt."""
    order = _in_store_order(order_id)
    response = HttpResponse(qr_svg(_tracking_url(request, order)), content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=3600"
    return response
