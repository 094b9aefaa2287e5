from django import forms
from django.utils.translation import gettext_lazy as _

from commerce.shoppers.models import SavedAddress


class SignInForm(forms.Form):
    email = forms.EmailField(label=_("Email"), max_length=254)


class AddressForm(forms.ModelForm):
    class Meta:
        model = SavedAddress
        fields = ["label", "contact_name", "phone", "line1", "city", "postcode", "is_default"]
        help_texts = {"label": _("For example Home or Office.")}

    def clean(self):
        cleaned = super().clean()
        for name in ("contact_name", "line1", "city"):
            value = cleaned.get(name)
            if value is not None and not value.strip():
                self.add_error(name, _("This field is required."))
        return cleaned
