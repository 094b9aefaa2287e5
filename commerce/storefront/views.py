import uuid
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from commerce.catalog.selectors import categories, published_products
from commerce.checkout.services import (
    CheckoutRequest,
    place_order,
    reserve_checkout,
    shipping_quotes,
)
from commerce.orders.models import Order, PaymentMethod, ShippingMethod
from commerce.orders.selectors import sold_lines
from commerce.orders.services import OutOfStock
from commerce.plugins import hooks as plugin_hooks
from commerce.shoppers.checkout import checkout_initial
from commerce.store.selectors import pickup_outlets, store_settings
from commerce.storefront import cart, page_cache
from commerce.storefront.forms import CheckoutForm
from commerce.storefront.placed_checkouts import placed_elsewhere, remember_checkout
from commerce.storefront.selectors import (
    available_units,
    category_by_slug,
    product_page,
    product_page_fingerprint,
)
from core.forms import add_service_errors
from core.ratelimit import rate_limited


def _page(request, template: str, context: dict, status: int = 200):
    return render(request, template, {"store": store_settings(), **context}, status=status)


def home(request):
    query = request.GET.get("q", "").strip()
    products = published_products(query=query)[:60]
    return _page(
        request,
        "storefront/home.html",
        {"products": products, "categories": categories(), "query": query},
    )


def category(request, slug: str):
    found = category_by_slug(slug)
    if found is None:
        raise Http404
    return _page(
        request,
        "storefront/home.html",
        {
            "products": published_products(category=found)[:60],
            "categories": categories(),
            "category": found,
        },
    )


def product(request, slug: str):
    found = product_page(slug)
    if found is None:
        raise Http404
    shop = store_settings()
    variants = list(found.variants.all())
    available = available_units([variant.pk for variant in variants])
    units = {variant.pk: available.get(variant.pk, 0) for variant in variants}
    blocks = plugin_hooks.product_blocks(request, [variant.pk for variant in variants])
    context = {
        "store": shop,
        "product": found,
        "images": list(found.images.all()),
        "plugin_blocks": blocks,
    }
    # Plugin blocks show live state (a group-buy's open teams): rendered for each visitor.
    if blocks or not page_cache.cacheable(request):
        context["variants"] = [
            (variant, units[variant.pk], units[variant.pk] > 0) for variant in variants
        ]
        return render(request, "storefront/product.html", context)
    # Shared: the render keeps which variants are sold out; the units go in per request.
    context["variants"] = [
        (variant, page_cache.live_placeholder(f"units-{variant.pk}"), units[variant.pk] > 0)
        for variant in variants
    ]
    return page_cache.render_shared(
        request,
        "storefront/product.html",
        context,
        content=product_page_fingerprint(found),
        shape=(
            connection.tenant.currency,
            sorted(pk for pk, count in units.items() if count < 1),
        ),
        figures={f"units-{pk}": count for pk, count in units.items()},
    )


@require_POST
def cart_add(request):
    try:
        variant = cart.add(
            request.session,
            variant_raw=request.POST.get("variant", ""),
            quantity_raw=request.POST.get("quantity", "1"),
        )
    except ValidationError as error:
        return _page(
            request, "storefront/cart.html", _cart_context(request, error.message_dict), status=400
        )
    messages.success(request, _("Added %(item)s to your cart.") % {"item": variant})
    return redirect("storefront_cart")


@require_POST
def cart_update(request):
    try:
        cart.set_quantity(
            request.session,
            variant_raw=request.POST.get("variant", ""),
            quantity_raw=request.POST.get("quantity", ""),
        )
    except ValidationError as error:
        return _page(
            request, "storefront/cart.html", _cart_context(request, error.message_dict), status=400
        )
    return redirect("storefront_cart")


def _cart_context(request, errors: dict | None = None) -> dict:
    items = cart.lines(request.session)
    return {
        "lines": items,
        "subtotal": sum((line.line_total for line in items), 0),
        "errors": errors or {},
    }


def cart_view(request):
    return _page(request, "storefront/cart.html", _cart_context(request))


@rate_limited("checkout")  # POSTs only: placing an order; showing the form is not counted
def checkout(request):
    shop = store_settings()
    items = cart.lines(request.session)
    if not items:
        return redirect("storefront_cart")
    subtotal = sum((line.line_total for line in items), Decimal("0"))
    quotes = shipping_quotes(subtotal, shop)
    card_enabled = connection.tenant.stripe_charges_enabled
    # "Update total" (the no-JavaScript way to see a method's total) shows the form again
    # with the shopper's answers and places nothing.
    updating = request.method == "POST" and "update_total" in request.POST
    reference = uuid.uuid4()
    form = CheckoutForm(
        request.POST if request.method == "POST" and not updating else None,
        initial={
            "reference": reference,
            **checkout_initial(request),
            **(request.POST.dict() if updating else {}),
        },
        shop_settings=shop,
        card_enabled=card_enabled,
        quotes=quotes,
        currency=connection.tenant.currency,
        pickup_outlets=pickup_outlets() if shop.local_pickup else (),
    )
    if request.method == "POST" and not updating and form.is_valid():
        data = form.cleaned_data
        checkout_request = CheckoutRequest(
            reference=str(data["reference"]),
            lines=cart.line_requests(request.session),
            email=data["email"],
            contact_name=data["contact_name"],
            phone=data["phone"],
            payment_method=data["payment_method"],
            shipping_method=data["shipping_method"],
            pickup_outlet_id=data.get("pickup_outlet")
            if data["shipping_method"] == ShippingMethod.PICKUP
            else None,
            shipping_address={
                "line1": data["address_line1"],
                "city": data["address_city"],
                "postcode": data["address_postcode"],
            },
        )
        try:
            if placed_elsewhere(request.session, checkout_request.reference):
                form.add_error(
                    None,
                    _(
                        "This checkout form (reference) was already used in another browser. "
                        "Reload the checkout page and place your order again."
                    ),
                )
            elif data["payment_method"] == PaymentMethod.STRIPE:
                session = reserve_checkout(checkout_request)
                remember_checkout(request.session, checkout_request.reference)
                cart.clear(request.session)
                return redirect(reverse("checkout_pay", kwargs={"reference": session.reference}))
            else:
                order = place_order(checkout_request)
                remember_checkout(request.session, checkout_request.reference)
                cart.clear(request.session)
                return redirect(
                    f"{reverse('storefront_order', args=[order.status_token])}?placed=1"
                )
        except OutOfStock as sold_out:
            form.add_error(
                None,
                _("Sold out: only %(available)s of %(sku)s left. Change your cart and try again.")
                % {"available": sold_out.available, "sku": sold_out.sku},
            )
        except ValidationError as error:
            add_service_errors(form, error)
    chosen = request.POST.get("shipping_method") if request.method == "POST" else None
    selected = next((quote for quote in quotes if quote.method == chosen), None)
    return render(
        request,
        "storefront/checkout.html",
        {
            "store": shop,
            "form": form,
            # The form as every shopper with this cart total and these answers sees it,
            # rendered once; each gets a reference of their own.
            "form_html": page_cache.render_unbound_form(form, live={"reference": str(reference)})
            if request.method == "GET"
            else None,
            "lines": items,
            "subtotal": subtotal,
            "quotes": quotes,
            "selected_quote": selected or (quotes[0] if quotes else None),
        },
        status=400 if form.errors else 200,
    )


def order_status(request, token: str):
    order = get_object_or_404(Order.objects.select_related("outlet"), status_token=token)
    return _page(
        request,
        "storefront/order.html",
        {
            "order": order,
            "lines": sold_lines(order.pk),
            "just_placed": request.GET.get("placed") == "1",
        },
    )
