from django import forms
from django.utils.translation import gettext_lazy as _

from commerce.orders.models import PaymentMethod, ShippingMethod


class CheckoutForm(forms.Form):
    reference = forms.UUIDField(widget=forms.HiddenInput)
    contact_name = forms.CharField(label=_("Your name"), max_length=120)
    email = forms.EmailField(label=_("Email"))
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    shipping_method = forms.ChoiceField(label=_("Delivery"), widget=forms.RadioSelect)
    address_line1 = forms.CharField(label=_("Address"), max_length=200, required=False)
    address_city = forms.CharField(label=_("City"), max_length=100, required=False)
    address_postcode = forms.CharField(label=_("Postcode"), max_length=20, required=False)
    payment_method = forms.ChoiceField(label=_("Payment"), widget=forms.RadioSelect)

    def __init__(self, *args, shop_settings, card_enabled: bool, **kwargs):
        super().__init__(*args, **kwargs)
        shipping = []
        if shop_settings.shipping_flat_rate is not None:
            shipping.append((ShippingMethod.FLAT, ShippingMethod.FLAT.label))
        if shop_settings.local_pickup:
            shipping.append((ShippingMethod.PICKUP, ShippingMethod.PICKUP.label))
        self.fields["shipping_method"].choices = shipping
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
        if cleaned.get("shipping_method") == ShippingMethod.FLAT:
            for field in ("address_line1", "address_city"):
                if not cleaned.get(field, "").strip():
                    self.add_error(field, _("This field is required."))
        return cleaned
