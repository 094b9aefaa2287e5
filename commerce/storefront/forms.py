from collections.abc import Sequence

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from commerce.checkout.services import ShippingQuote
from commerce.orders.models import PaymentMethod, ShippingMethod
from commerce.store.selectors import PickupPlace


def quote_label(quote: ShippingQuote, currency: str) -> str:
    if quote.fee:
        return gettext("%(method)s: %(fee)s %(currency)s · total %(total)s %(currency)s") % {
            "method": quote.label,
            "fee": quote.fee,
            "total": quote.total,
            "currency": currency,
        }
    return gettext("%(method)s: free · total %(total)s %(currency)s") % {
        "method": quote.label,
        "total": quote.total,
        "currency": currency,
    }


class CheckoutForm(forms.Form):
    reference = forms.UUIDField(widget=forms.HiddenInput)
    contact_name = forms.CharField(label=_("Your name"), max_length=120)
    email = forms.EmailField(label=_("Email"))
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    shipping_method = forms.ChoiceField(label=_("Delivery"), widget=forms.RadioSelect)
    pickup_outlet = forms.TypedChoiceField(
        label=_("Pick up at"), coerce=int, empty_value=None, required=False
    )
    address_line1 = forms.CharField(label=_("Address"), max_length=200, required=False)
    address_city = forms.CharField(label=_("City"), max_length=100, required=False)
    address_postcode = forms.CharField(label=_("Postcode"), max_length=20, required=False)
    payment_method = forms.ChoiceField(label=_("Payment"), widget=forms.RadioSelect)

    def __init__(
        self,
        *args,
        shop_settings,
        card_enabled: bool,
        quotes: Sequence[ShippingQuote] = (),
        currency: str = "",
        pickup_outlets: Sequence[PickupPlace] = (),
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        # Each method's label carries its fee and the order's total with it, so the shopper
        # sees both before placing the order (without JavaScript too).
        self.fields["shipping_method"].choices = [
            (quote.method, quote_label(quote, currency)) for quote in quotes
        ]
        if quotes:
            self.fields["shipping_method"].initial = quotes[0].method
        if shop_settings.local_pickup and pickup_outlets:
            self.fields["pickup_outlet"].choices = [
                (outlet.pk, f"{outlet.name} · {outlet.address}") for outlet in pickup_outlets
            ]
            self.fields["pickup_outlet"].initial = pickup_outlets[0].pk
        else:
            del self.fields["pickup_outlet"]
        payments = []
        if card_enabled:
            payments.append((PaymentMethod.STRIPE, PaymentMethod.STRIPE.label))
        if shop_settings.accepts_cash_on_delivery:
            payments.append((PaymentMethod.CASH_ON_DELIVERY, PaymentMethod.CASH_ON_DELIVERY.label))
        if shop_settings.accepts_pay_in_store:
            payments.append((PaymentMethod.PAY_IN_STORE, PaymentMethod.PAY_IN_STORE.label))
        self.fields["payment_method"].choices = payments

    def clean(self):
        cleaned = super().clean()
        method = cleaned.get("shipping_method")
        if method == ShippingMethod.FLAT:
            for field in ("address_line1", "address_city"):
                if not cleaned.get(field, "").strip():
                    self.add_error(field, _("This field is required."))
        if (
            method == ShippingMethod.PICKUP
            and "pickup_outlet" in self.fields
            # One pickup outlet needs no choosing (the checkout takes it).
            and len(self.fields["pickup_outlet"].choices) > 1
            and cleaned.get("pickup_outlet") is None
            and "pickup_outlet" not in self.errors
        ):
            self.add_error("pickup_outlet", _("Choose where you collect your order."))
        return cleaned
