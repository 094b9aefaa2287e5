from django import forms
from django.utils.translation import gettext_lazy as _

from commerce.store.models import Outlet
from tenants.models import Currency


class StoreSettingsForm(forms.Form):
    display_name = forms.CharField(label=_("Shop name"), max_length=120)
    tagline = forms.CharField(label=_("Tagline"), max_length=200, required=False)
    contact_email = forms.EmailField(label=_("Contact email"), required=False)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=40, required=False)
    currency = forms.ChoiceField(label=_("Currency"), choices=Currency.choices)
    policies = forms.CharField(
        label=_("Shop policies (returns, delivery)"), widget=forms.Textarea, required=False
    )
    logo = forms.FileField(
        label=_("Logo"), required=False, help_text=_("PNG, JPEG, GIF or WebP, up to 2 MB.")
    )


class ShippingForm(forms.Form):
    # Text fields: the service checks amounts against the shop's currency and names the field.
    shipping_flat_rate = forms.CharField(
        label=_("Flat delivery rate"),
        required=False,
        help_text=_("Leave empty to offer no delivery."),
    )
    free_shipping_over = forms.CharField(label=_("Free delivery from"), required=False)
    local_pickup = forms.BooleanField(label=_("Pickup at an outlet"), required=False)


class PaymentsForm(forms.Form):
    accepts_cash_on_delivery = forms.BooleanField(label=_("Cash on delivery"), required=False)
    accepts_pay_in_store = forms.BooleanField(label=_("Pay in store"), required=False)


class OutletForm(forms.ModelForm):
    class Meta:
        model = Outlet
        fields = ["name", "address", "kind", "is_active", "fulfils_online", "online_rank"]
        labels = {"online_rank": _("Online fulfilment order (1 = first)")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only outlets that fulfil online need a place in the order: left empty, an outlet
        # keeps its place (a new one goes first).
        self.fields["online_rank"].required = False

    def clean_online_rank(self) -> int:
        rank = self.cleaned_data.get("online_rank")
        return rank if rank is not None else self.instance.online_rank or 1

    def validate_unique(self) -> None:
        """Uniqueness is the service's job (case-insensitive); see save_outlet."""
