"""The shopper's account pages: sign in by email link, orders, saved addresses."""

from __future__ import annotations

import functools

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from commerce.shoppers import selectors, services
from commerce.shoppers.forms import AddressForm, SignInForm, safe_next_path
from commerce.shoppers.session import current_account, sign_in, sign_out
from commerce.store.selectors import store_settings
from core.forms import add_service_errors
from core.ratelimit import rate_limited


def _page(request, template: str, context: dict, status: int = 200):
    return render(request, template, {"store": store_settings(), **context}, status=status)


def shopper_required(view):
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        account = current_account(request)
        if account is None:
            return redirect("shopper_sign_in")
        return view(request, account, *args, **kwargs)

    return wrapped


@rate_limited("shopper_sign_in")  # POSTs: each asks for an email to be sent
def sign_in_request(request):
    if current_account(request) is not None and request.method == "GET":
        return redirect("shopper_account")
    form = SignInForm(
        request.POST or None, initial={"next": safe_next_path(request.GET.get("next", ""))}
    )
    if request.method == "POST" and form.is_valid():
        # The same answer whether the address is known, new or had its share of links.
        services.send_sign_in_link(form.cleaned_data["email"], next_path=form.cleaned_data["next"])
        return _page(request, "storefront/account/check_email.html", {})
    return _page(
        request,
        "storefront/account/sign_in.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


def sign_in_confirm(request, token: str):
    """The emailed link. Opening it only shows a button: mail scanners that fetch links
    must not use up the single-use link; the shopper's click (a POST) signs in."""
    if request.method == "POST":
        signed_in = services.redeem_sign_in_link(token)
        if signed_in is not None:
            sign_in(request, signed_in.account)
            messages.success(
                request, _("You are signed in as %(email)s.") % {"email": signed_in.account}
            )
            return redirect(signed_in.next_path or "shopper_account")
        return _page(
            request,
            "storefront/account/link_invalid.html",
            {"form": SignInForm()},
            status=400,
        )
    return _page(request, "storefront/account/confirm.html", {})


@require_POST
def sign_out_view(request):
    sign_out(request)
    messages.success(request, _("You are signed out."))
    return redirect("storefront_home")


@shopper_required
def account_home(request, account):
    return _page(
        request,
        "storefront/account/home.html",
        {
            "account": account,
            "orders": selectors.account_orders(account),
            "addresses": selectors.saved_addresses(account),
        },
    )


@shopper_required
def address_new(request, account):
    form = AddressForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.save_address(
                account,
                services.AddressInput(
                    contact_name=data["contact_name"],
                    line1=data["line1"],
                    city=data["city"],
                    postcode=data["postcode"],
                    phone=data["phone"],
                    label=data["label"],
                    is_default=data["is_default"],
                ),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Address saved."))
            return redirect("shopper_account")
    return _page(
        request,
        "storefront/account/address_form.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


@require_POST
@shopper_required
def address_delete(request, account, address_id: int):
    if services.delete_address(account, address_id):
        messages.success(request, _("Address deleted."))
    return redirect("shopper_account")


@require_POST
@shopper_required
def address_default(request, account, address_id: int):
    services.make_default_address(account, address_id)
    return redirect("shopper_account")
