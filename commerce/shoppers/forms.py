from django import forms
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from commerce.shoppers.models import SavedAddress


class SignInForm(forms.Form):
    email = forms.EmailField(label=_("Email"), max_length=254)
    # No max_length: an overlong value is dropped like any other unusable one, never a
    # form error on a field the shopper cannot see.
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_next(self) -> str:
        # Only a path on this shop; anything else is dropped (the account page instead).
        return safe_next_path(self.cleaned_data.get("next", ""))


def safe_next_path(value: str) -> str:
    value = value or ""
    if (
        len(value) <= 200
        and value.startswith("/")
        and not value.startswith("//")
        and "\\" not in value
        and url_has_allowed_host_and_scheme(value, allowed_hosts=None)
    ):
        return value
    return ""


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
