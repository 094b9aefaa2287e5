"""Group-buy's handlers for the plugin hooks (commerce/plugins/registry.py names them)."""

import re
from decimal import Decimal

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from commerce.groupbuy.seat_payments import confirm_card_seat
from commerce.groupbuy.selectors import (
    open_teams,
    running_campaign_for,
    seat_delivery_methods,
    seat_delivery_warning,
    seat_payment_methods,
    seat_payment_summary,
)
from commerce.groupbuy.storefront import SeatForm
from commerce.groupbuy.teams import (
    give_up_seat_after_refund_commits,
    give_up_seat_of_cancelled_order,
)
from commerce.orders.models import Order, PaymentMethod, PaymentStatus
from commerce.plugins.registry import ConsoleNotice
from commerce.store.selectors import store_settings
from tenants.money import from_minor_units


def product_block(*, request, variant_ids: list[int]) -> SafeString | None:
    """The running campaign on this product: its price, open teams and the start form."""
    campaign = running_campaign_for(variant_ids)
    if campaign is None:
        return None
    store = store_settings()
    methods = seat_payment_methods(store)
    form = SeatForm(
        store=store, max_quantity=campaign.max_quantity_per_order, payment_methods=methods
    )
    return render_to_string(
        "storefront/includes/groupbuy_offer.html",
        {
            "campaign": campaign,
            "open_teams": open_teams(campaign),
            "seat_form": form,
            # No payment taken, or neither pickup nor delivery offered: no seat.
            "takes_no_payment": not form.takes_seats,
            "card_seats": PaymentMethod.STRIPE in methods,
            "offline_seats": any(method != PaymentMethod.STRIPE for method in methods),
        },
        request,
    )


def console_notice() -> ConsoleNotice:
    """What the marketing page says about group-buy's seats: how shoppers will pay, or that
    the shop can take no payment (so no seat) yet; and that no seat can be taken while the
    shop offers neither pickup nor delivery (the seat service's rule), with the settings
    pages that set it right."""
    store = store_settings()
    methods = seat_payment_methods(store)
    no_delivery = seat_delivery_warning(seat_delivery_methods(store))
    links = []
    if not methods:
        links.append((reverse("manage_store_payments"), _("Payment settings")))
    if no_delivery:
        links.append((reverse("manage_store_shipping"), _("Shipping settings")))
    return ConsoleNotice(
        text=" ".join(filter(None, [seat_payment_summary(methods), no_delivery])),
        warning=bool(links),
        links=tuple(links),
    )


# Seat ids are PostgreSQL integers: anything longer or not digits names no seat.
_SEAT_ID = re.compile(r"[1-9][0-9]{0,17}")


def card_payment_succeeded(*, intent: dict) -> str | None:
    """A seat's card payment (its PaymentIntent carries `groupbuy_seat`): confirm the seat.
    None for payments that are not a seat's; "ignored: <why>" for a seat we cannot match.
    The webhook has checked the intent's id, amount_received and currency."""
    seat = (intent.get("metadata") or {}).get("groupbuy_seat")
    if seat is None:
        return None
    if not isinstance(seat, str | int) or not _SEAT_ID.fullmatch(str(seat)):
        return "ignored: groupbuy_seat is not a seat number"
    amount: Decimal = from_minor_units(intent["amount_received"], intent["currency"].upper())
    result = confirm_card_seat(int(seat), intent_id=intent["id"], amount_received=amount)
    if result == "ignored":
        return "ignored: no seat of this payment and amount"
    return "processed"


def order_cancelling(*, order_id: int) -> None:
    """An order is being cancelled by hand: a seat it held in an open team goes back."""
    give_up_seat_of_cancelled_order(order_id)


def order_refunded(*, order: Order, amount: Decimal) -> None:
    """A refund completed: a seat's order refunded in full (by hand: group-buy's own
    refunds give the seat up themselves) leaves its team once the refund has committed.
    Nothing for other orders, nor for a partial refund (the member keeps the seat)."""
    if "groupbuy" in (order.tags or ()) and order.payment_status == PaymentStatus.REFUNDED:
        give_up_seat_after_refund_commits(order)
