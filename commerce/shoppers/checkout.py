"""What a signed-in shopper brings to checkout: their email and a saved address.

The storefront's checkout calls `checkout_initial` for the form's initial values, and its
template includes `storefront/account/checkout_addresses.html` (the `shopper_checkout` tag)
to offer the saved addresses as links (`?address=<id>`): no JavaScript needed, and another
account's address id is simply not found.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.http import HttpRequest

from commerce.shoppers.models import SavedAddress, ShopperAccount
from commerce.shoppers.selectors import saved_addresses
from commerce.shoppers.session import current_account


@dataclass(frozen=True)
class ShopperAtCheckout:
    account: ShopperAccount | None = None
    addresses: list[SavedAddress] = field(default_factory=list)
    chosen: SavedAddress | None = None


def shopper_at_checkout(request: HttpRequest) -> ShopperAtCheckout:
    """The signed-in shopper, their addresses and the one chosen (the `address` query
    parameter, else the default). Read once per request."""
    if hasattr(request, "_shopper_at_checkout"):
        return request._shopper_at_checkout
    account = current_account(request)
    found = ShopperAtCheckout()
    if account is not None:
        addresses = saved_addresses(account)
        wanted = request.GET.get("address", "")
        chosen = next((a for a in addresses if str(a.pk) == wanted), None)
        if chosen is None:
            chosen = next((a for a in addresses if a.is_default), None)
        found = ShopperAtCheckout(account=account, addresses=addresses, chosen=chosen)
    request._shopper_at_checkout = found
    return found


def checkout_initial(request: HttpRequest) -> dict[str, str]:
    """Initial values of the checkout form for a signed-in shopper (empty otherwise)."""
    shopper = shopper_at_checkout(request)
    if shopper.account is None:
        return {}
    initial = {"email": shopper.account.email}
    if shopper.chosen is not None:
        initial.update(
            contact_name=shopper.chosen.contact_name,
            phone=shopper.chosen.phone,
            address_line1=shopper.chosen.line1,
            address_city=shopper.chosen.city,
            address_postcode=shopper.chosen.postcode,
        )
    return initial
