from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from commerce.payments import card
from commerce.store.forms import OutletForm, PaymentsForm, ShippingForm, StoreSettingsForm
from commerce.store.models import Outlet
from commerce.store.selectors import online_outlets, outlets, store_settings
from commerce.store.services import (
    OutletInput,
    save_outlet,
    update_offline_payments,
    update_shipping,
    update_store_settings,
)
from commerce.store.setup import record_setup_if_complete, setup_progress
from core.forms import add_service_errors
from tenants.access import shop_member_required
from tenants.services import change_merchant_currency, set_stripe_account


def _saved(request, message: str) -> None:
    messages.success(request, message)
    if record_setup_if_complete():
        messages.success(request, _("Your store is set up. Well done!"))


@shop_member_required
def overview(request):
    settings = store_settings()
    return render(
        request,
        "manage/overview.html",
        {
            "store": settings,
            "outlet_count": outlets(active_only=True).filter(kind="store").count(),
            "progress": setup_progress(settings),
        },
    )


@shop_member_required
def store_settings_view(request):
    settings = store_settings()
    initial = {
        "display_name": settings.display_name,
        "tagline": settings.tagline,
        "contact_email": settings.contact_email,
        "contact_phone": settings.contact_phone,
        "policies": settings.policies,
        "currency": request.tenant.currency,
    }
    form = StoreSettingsForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                update_store_settings(
                    display_name=data["display_name"],
                    tagline=data["tagline"],
                    contact_email=data["contact_email"],
                    contact_phone=data["contact_phone"],
                    policies=data["policies"],
                    logo=data["logo"],
                )
                if data["currency"] != request.tenant.currency:
                    change_merchant_currency(merchant=request.tenant, currency=data["currency"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            _saved(request, _("Store details saved."))
            return redirect("manage_store")
    return render(
        request,
        "manage/store.html",
        {
            "form": form,
            "outlets": outlets(),
            "online_outlets": online_outlets(),
            "progress": setup_progress(),
            "store": settings,
        },
        status=400 if form.errors else 200,
    )


@shop_member_required
def shipping_view(request):
    settings = store_settings()
    form = ShippingForm(
        request.POST or None,
        initial={
            "shipping_flat_rate": settings.shipping_flat_rate or "",
            "free_shipping_over": settings.free_shipping_over or "",
            "local_pickup": settings.local_pickup,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            update_shipping(
                flat_rate=data["shipping_flat_rate"],
                free_over=data["free_shipping_over"],
                local_pickup=data["local_pickup"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            _saved(request, _("Shipping saved."))
            return redirect("manage_store_shipping")
    return render(
        request,
        "manage/store_shipping.html",
        {"form": form, "progress": setup_progress()},
        status=400 if form.errors else 200,
    )


@shop_member_required
def payments_view(request):
    settings = store_settings()
    form = PaymentsForm(
        request.POST or None,
        initial={
            "accepts_cash_on_delivery": settings.accepts_cash_on_delivery,
            "accepts_pay_in_store": settings.accepts_pay_in_store,
        },
    )
    if request.method == "POST" and form.is_valid():
        update_offline_payments(
            cash_on_delivery=form.cleaned_data["accepts_cash_on_delivery"],
            pay_in_store=form.cleaned_data["accepts_pay_in_store"],
        )
        _saved(request, _("Payment methods saved."))
        return redirect("manage_store_payments")
    return render(
        request,
        "manage/store_payments.html",
        {
            "form": form,
            "progress": setup_progress(),
            "card_configured": card.card_payments_configured(),
        },
    )


@shop_member_required
@require_POST
def stripe_connect(request):
    """Send the merchant to Stripe's hosted onboarding for its connected account."""
    if not card.card_payments_configured():
        messages.error(request, _("Card payments are not configured on this platform."))
        return redirect("manage_store_payments")
    merchant = request.tenant
    account_id = merchant.stripe_account_id or card.create_connected_account(
        email=request.user.email,
        country="US" if merchant.currency == "USD" else "HK",
        idempotency_key=f"connect:{connection.schema_name}",
    )
    if not merchant.stripe_account_id:
        set_stripe_account(merchant=merchant, account_id=account_id, charges_enabled=False)
    link = card.create_onboarding_link(
        account_id=account_id,
        refresh_url=request.build_absolute_uri(reverse("manage_store_payments")),
        return_url=request.build_absolute_uri(reverse("manage_stripe_return")),
    )
    return redirect(link)


@shop_member_required
def stripe_return(request):
    merchant = request.tenant
    if not merchant.stripe_account_id:
        return redirect("manage_store_payments")
    enabled = card.account_charges_enabled(merchant.stripe_account_id)
    set_stripe_account(
        merchant=merchant, account_id=merchant.stripe_account_id, charges_enabled=enabled
    )
    if enabled:
        _saved(request, _("Stripe is connected: shoppers can pay by card."))
    else:
        messages.info(request, _("Stripe still needs some details before you can take cards."))
    return redirect("manage_store_payments")


@shop_member_required
def outlet_edit(request, outlet_id: int | None = None):
    outlet = get_object_or_404(Outlet, pk=outlet_id) if outlet_id else None
    form = OutletForm(request.POST or None, instance=outlet)
    if request.method == "POST" and form.is_valid():
        try:
            save_outlet(data=OutletInput(**form.cleaned_data), outlet=outlet)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Outlet saved."))
            return redirect("manage_store")
    return render(
        request,
        "manage/outlet_form.html",
        {"form": form, "outlet": outlet},
        status=400 if form.errors else 200,
    )
