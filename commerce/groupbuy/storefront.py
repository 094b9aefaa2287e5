"""The shopper's side of group-buy: start or join a team, pay the seat by card or hold it
to pay offline (cash on delivery, pay in store), share."""

import io
import re

import segno
from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import connection
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from commerce.groupbuy.models import (
    SEAT_HOLDING,
    Campaign,
    SeatStatus,
    Team,
    TeamMember,
    TeamStatus,
)
from commerce.groupbuy.seat_payments import (
    confirm_card_seat,
    start_seat_payment,
    take_offline_seat,
)
from commerce.groupbuy.seats import SeatDetails, take_seat
from commerce.groupbuy.selectors import seat_delivery_methods, seat_payment_methods
from commerce.groupbuy.teams import SeatUnavailable, leave_team
from commerce.orders.models import PaymentMethod, ShippingMethod
from commerce.orders.services import OutOfStock
from commerce.payments import card
from commerce.plugins.access import plugin_required
from commerce.store.selectors import pickup_outlets, store_settings
from core.forms import add_service_errors
from core.ratelimit import rate_limited


class SeatForm(forms.Form):
    """Who takes the seat, how many units (only where the campaign allows more than one a
    member), how the goods reach them once the team fills (picked up at the shop or
    delivered, as the shop offers; delivery needs an address) and how they pay: by card
    now, or offline when the goods are handed over, as the shop accepts."""

    email = forms.EmailField(label=gettext_lazy("Your email"))
    quantity = forms.IntegerField(
        label=gettext_lazy("Quantity"), min_value=1, initial=1, required=False
    )
    shipping_method = forms.ChoiceField(label=gettext_lazy("Delivery"), required=False)
    # Where to collect a pickup seat: the checkout's pickup places (only with more than one
    # does the shopper choose; none is offered when the shop has pickup off).
    pickup_outlet = forms.TypedChoiceField(
        label=gettext_lazy("Pick up at"), coerce=int, empty_value=None, required=False
    )
    contact_name = forms.CharField(label=gettext_lazy("Name"), max_length=120, required=False)
    phone = forms.CharField(label=gettext_lazy("Phone"), max_length=40, required=False)
    address_line1 = forms.CharField(
        label=gettext_lazy("Address"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("Only for delivery."),
    )
    address_city = forms.CharField(label=gettext_lazy("City"), max_length=100, required=False)
    address_postcode = forms.CharField(
        label=gettext_lazy("Postcode"), max_length=20, required=False
    )
    # Optional: a form posted without it (an older page, a card-only shop) pays the first
    # method the shop offers, card first, as the form preselects.
    payment_method = forms.ChoiceField(
        label=gettext_lazy("Payment"), widget=forms.RadioSelect, required=False
    )

    def __init__(
        self,
        *args,
        store=None,
        max_quantity: int = 1,
        payment_methods: list[PaymentMethod] | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        if max_quantity > 1:
            quantity = self.fields["quantity"]
            quantity.max_value = max_quantity
            quantity.validators.append(MaxValueValidator(max_quantity))
            quantity.widget.attrs["max"] = max_quantity
        else:
            del self.fields["quantity"]  # one unit a member: nothing to choose
        store = store or store_settings()
        # What the shop offers, by the rule the seat service checks (never a choice it
        # refuses, nor one it would take left out).
        offered = seat_delivery_methods(store)
        choices = []
        if ShippingMethod.PICKUP in offered:
            choices.append((ShippingMethod.PICKUP, ShippingMethod.PICKUP.label))
        if ShippingMethod.FLAT in offered:
            rate = {"rate": store.shipping_flat_rate, "currency": connection.tenant.currency}
            label = (
                _("Delivery, %(rate)s %(currency)s (free from %(free)s)")
                % {**rate, "free": store.free_shipping_over}
                if store.free_shipping_over is not None
                else _("Delivery, %(rate)s %(currency)s") % rate
            )
            choices.append((ShippingMethod.FLAT, label))
        self.fields["shipping_method"].choices = choices
        if choices:
            self.fields["shipping_method"].initial = choices[0][0]
        places = pickup_outlets() if ShippingMethod.PICKUP in offered else ()
        if len(places) > 1:
            self.fields["pickup_outlet"].choices = [
                (place.pk, f"{place.name} · {place.address}") for place in places
            ]
            self.fields["pickup_outlet"].initial = places[0].pk
        else:
            del self.fields["pickup_outlet"]  # one place (or none): nothing to choose
        methods = seat_payment_methods(store) if payment_methods is None else payment_methods
        self.fields["payment_method"].choices = [
            (method.value, _SEAT_PAYMENT_LABELS[method]) for method in methods
        ]
        if methods:
            self.fields["payment_method"].initial = methods[0].value

    def clean_payment_method(self):
        choices = self.fields["payment_method"].choices
        return self.cleaned_data["payment_method"] or (choices[0][0] if choices else "")

    @property
    def takes_seats(self) -> bool:
        """The shop takes a payment and offers pickup or delivery: a seat can be taken."""
        return bool(self.fields["payment_method"].choices) and bool(
            self.fields["shipping_method"].choices
        )

    def clean_shipping_method(self):
        # Empty (an older page, a shop with one method): the first the shop offers.
        choices = self.fields["shipping_method"].choices
        return self.cleaned_data["shipping_method"] or (choices[0][0] if choices else "")

    def clean(self):
        cleaned = super().clean()
        if (
            "shipping_method" in self.errors
            and self.data.get("shipping_method") == ShippingMethod.PICKUP
        ):
            # Pickup posted where the shop has it off (a page shown before it was switched
            # off, a hand-made request): said plainly rather than "not a valid choice".
            self.errors["shipping_method"] = self.error_class(
                [_("This shop does not offer pickup.")]
            )
        method = cleaned.get("shipping_method")
        if method == ShippingMethod.FLAT:
            for field in ("address_line1", "address_city"):
                if not cleaned.get(field, "").strip():
                    self.add_error(field, gettext_lazy("Needed for delivery."))
        if (
            method == ShippingMethod.PICKUP
            and "pickup_outlet" in self.fields
            and cleaned.get("pickup_outlet") is None
            and "pickup_outlet" not in self.errors
        ):
            self.add_error("pickup_outlet", _("Choose where you collect your order."))
        return cleaned

    def seat_quantity(self) -> int:
        return self.cleaned_data.get("quantity") or 1

    def seat_details(self) -> SeatDetails:
        data = self.cleaned_data
        delivered = data["shipping_method"] == ShippingMethod.FLAT
        return SeatDetails(
            shipping_method=data["shipping_method"],
            contact_name=data["contact_name"].strip(),
            phone=data["phone"].strip(),
            shipping_address=(
                {
                    "line1": data["address_line1"].strip(),
                    "city": data["address_city"].strip(),
                    "postcode": data["address_postcode"].strip(),
                }
                if delivered
                else {}
            ),
            pickup_outlet_id=None if delivered else data.get("pickup_outlet"),
        )


# How each method reads on the seat form: when the shopper pays, and what happens if the
# team does not fill.
_SEAT_PAYMENT_LABELS = {
    PaymentMethod.STRIPE: gettext_lazy("Card, now (refunded if the team does not fill)"),
    PaymentMethod.CASH_ON_DELIVERY: gettext_lazy(
        "Cash on delivery, once the team is full (nothing to pay if it does not fill)"
    ),
    PaymentMethod.PAY_IN_STORE: gettext_lazy(
        "Pay in store, once the team is full (nothing to pay if it does not fill)"
    ),
}


def share_url(request, team: Team) -> str:
    """The team's link to send to friends, on the host the shopper is using."""
    return request.build_absolute_uri(reverse("groupbuy_team", kwargs={"token": team.share_token}))


def qr_svg(url: str) -> bytes:
    """A QR code of `url` as a standalone SVG document (black on white, 4 modules margin)."""
    buffer = io.BytesIO()
    segno.make(url, error="m", micro=False).save(
        buffer,
        kind="svg",
        scale=4,
        border=4,
        dark="#000",
        light="#fff",
        title=url,
        omitsize=True,
    )
    return buffer.getvalue()


# The seats taken in this browser, by their secret tokens: only this session may pay for,
# come back to or leave them. Seat ids are sequential and never appear in a URL.
SESSION_SEATS = "groupbuy_seat_tokens"
# Share and seat tokens are secrets.token_urlsafe(): anything else names no team or seat
# (and a NUL byte or a megabyte of text never reaches a query).
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _remember_seat(request, member: TeamMember) -> None:
    seats = request.session.get(SESSION_SEATS, [])
    request.session[SESSION_SEATS] = [*seats[-49:], member.seat_token]


def _own_seat(request, team: Team) -> TeamMember | None:
    """This browser's seat in the team, while it holds one."""
    seats = request.session.get(SESSION_SEATS, [])
    if not seats:
        return None
    return (
        team.members.filter(seat_token__in=seats, status__in=SEAT_HOLDING, is_virtual=False)
        .order_by("id")
        .first()
    )


def _session_seat(request, token: str) -> TeamMember:
    """The seat behind `token` when this browser took it; 404 for anyone else (another
    shopper, an anonymous visitor, a guessed token), before anything asks Stripe."""
    if token not in request.session.get(SESSION_SEATS, []):
        raise Http404
    return get_object_or_404(
        TeamMember.objects.select_related("team__campaign__variant__product", "order"),
        seat_token=token,
    )


def _seat_page(
    request, campaign: Campaign, team: Team | None, form: SeatForm, status: int, error: str = ""
):
    own_seat = _own_seat(request, team) if team else None
    methods = [value for value, _label in form.fields["payment_method"].choices]
    return render(
        request,
        "storefront/groupbuy_team.html",
        {
            "store": store_settings(),
            "campaign": campaign,
            "team": team,
            "form": form,
            "share_url": share_url(request, team) if team else "",
            "own_seat": own_seat,
            # Start or join: not for a closed team, nor for whoever holds a seat in it.
            "show_take_form": form.takes_seats
            and (team is None or (team.status == TeamStatus.OPEN and not own_seat)),
            "takes_no_payment": not form.takes_seats,
            "card_seats": PaymentMethod.STRIPE in methods,
            "offline_seats": any(method != PaymentMethod.STRIPE for method in methods),
            # Count "filled" seats rather than "paid" ones where some are held to pay offline.
            "counts_held_seats": team is not None
            and (
                PaymentMethod.STRIPE not in methods
                or team.members.filter(status=SeatStatus.COMMITTED).exists()
            ),
            "error": error,
        },
        status=status,
    )


@plugin_required("groupbuy")
@require_POST
@rate_limited("groupbuy_join")
def take(request, campaign_id: int):
    """Start a team (no `team` field) or join the team named in the form."""
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    team = None
    if request.POST.get("team"):
        if not TOKEN_SHAPE.fullmatch(request.POST["team"]):
            raise Http404
        team = get_object_or_404(Team, share_token=request.POST["team"], campaign=campaign)
    form = SeatForm(request.POST, max_quantity=campaign.max_quantity_per_order)
    if not form.fields["payment_method"].choices:
        # Card charges or offline payments switched off since the page was shown.
        form.add_error(None, _("This shop is not taking payments at the moment."))
        return _seat_page(request, campaign, team, form, 400)
    if not form.fields["shipping_method"].choices:
        # Pickup and delivery both switched off since the page was shown.
        form.add_error(None, _("This shop offers neither pickup nor delivery at the moment."))
        return _seat_page(request, campaign, team, form, 400)
    if not form.is_valid():
        return _seat_page(request, campaign, team, form, 400)
    method = form.cleaned_data["payment_method"]
    seat = {
        "campaign_id": campaign.pk,
        "email": form.cleaned_data["email"],
        "team_id": team.pk if team else None,
        "payment_method": method,
        "quantity": form.seat_quantity(),
        "details": form.seat_details(),
    }
    take = take_seat if method == PaymentMethod.STRIPE else take_offline_seat
    try:
        member = take(**seat)
    except (SeatUnavailable, OutOfStock) as refused:
        form.add_error(
            None, str(refused) if isinstance(refused, SeatUnavailable) else _("Sold out.")
        )
        return _seat_page(request, campaign, team, form, 400)
    except ValidationError as error:
        add_service_errors(form, error)
        return _seat_page(request, campaign, team, form, 400)
    _remember_seat(request, member)
    if method == PaymentMethod.STRIPE:
        return redirect("groupbuy_seat_pay", token=member.seat_token)
    messages.success(
        request,
        _("Your seat is held: you pay when the team is complete.")
        if member.team.status == TeamStatus.OPEN
        else _("Your seat is held and the team is complete: you pay when you get your order."),
    )
    return redirect("groupbuy_team", token=member.team.share_token)


@plugin_required("groupbuy")
@require_POST
def leave(request, token: str):
    """The seat's owner (this browser took it) gives it up: refunded if paid."""
    member = _session_seat(request, token)
    try:
        result = leave_team(member.pk)
    except SeatUnavailable as refused:
        team = member.team
        team.refresh_from_db()
        form = SeatForm(max_quantity=team.campaign.max_quantity_per_order)
        return _seat_page(request, team.campaign, team, form, 400, error=str(refused))
    if result == "refunded":
        messages.success(request, _("You left the team; your payment is being refunded."))
    elif result == "released":
        messages.success(request, _("You left the team."))
    elif result == "cancelled":
        messages.success(request, _("You left the team; your order is cancelled."))
    return redirect("groupbuy_team", token=member.team.share_token)


@plugin_required("groupbuy")
@require_GET
def pay(request, token: str):
    member = _session_seat(request, token)
    if member.status != "reserved" or member.order.payment_method != PaymentMethod.STRIPE:
        return redirect("groupbuy_team", token=member.team.share_token)
    intent = start_seat_payment(member)
    return render(
        request,
        "payments/checkout_pay.html",
        {
            "session": member.order,
            "client_secret": intent.client_secret,
            "publishable_key": card.settings.STRIPE_PUBLISHABLE_KEY,
            "account_id": connection.tenant.stripe_account_id,
            "return_url": request.build_absolute_uri(
                reverse("groupbuy_seat_return", kwargs={"token": member.seat_token})
            ),
        },
    )


@plugin_required("groupbuy")
@require_GET
def seat_return(request, token: str):
    """Where Stripe sends the seat's payer back: confirms through the webhook's function."""
    member = _session_seat(request, token)
    if member.order.payment_intent_id:
        intent = card.retrieve_payment_intent(
            account_id=connection.tenant.stripe_account_id, intent_id=member.order.payment_intent_id
        )
        if intent.status == "succeeded":
            confirm_card_seat(
                member.pk, intent_id=intent.id, amount_received=intent.amount_received
            )
    return redirect("groupbuy_team", token=member.team.share_token)


@plugin_required("groupbuy")
def team_page(request, token: str):
    team = (
        Team.objects.select_related("campaign__variant__product").filter(share_token=token).first()
    )
    if team is None:
        raise Http404
    form = SeatForm(max_quantity=team.campaign.max_quantity_per_order)
    return _seat_page(request, team.campaign, team, form, 200)


@plugin_required("groupbuy")
@require_GET
def team_qr(request, token: str):
    """The share link as a QR code (an SVG image: the page's CSP allows images from 'self')."""
    team = Team.objects.filter(share_token=token).first()
    if team is None:
        raise Http404
    response = HttpResponse(qr_svg(share_url(request, team)), content_type="image/svg+xml")
    response["Cache-Control"] = "public, max-age=86400"
    return response
