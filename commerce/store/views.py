from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from commerce.store.forms import OutletForm, StoreSettingsForm
from commerce.store.models import Outlet
from commerce.store.selectors import outlets, store_settings
from commerce.store.services import OutletInput, save_outlet, update_store_settings
from config.forms import add_service_errors
from tenants.access import shop_member_required


@shop_member_required
def overview(request):
    return render(
        request,
        "manage/overview.html",
        {"store": store_settings(), "outlet_count": outlets(active_only=True).count()},
    )


@shop_member_required
def store_settings_view(request):
    form = StoreSettingsForm(request.POST or None, instance=store_settings())
    if request.method == "POST" and form.is_valid():
        try:
            update_store_settings(**form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Store details saved."))
            return redirect("manage_store")
    return render(
        request,
        "manage/store.html",
        {"form": form, "outlets": outlets()},
        status=400 if form.errors else 200,
    )


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
