from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from tenants.models import Currency, Merchant, MerchantStatus
from tenants.services import slug_problem
from tenants.signup import SignupChannel


class SignupForm(forms.Form):
    shop_name = forms.CharField(label=_("Shop name"), max_length=120)
    slug = forms.CharField(
        label=_("Shop address"),
        max_length=40,
        help_text=_("Lowercase letters, digits and hyphens; your shop's web address."),
    )
    email = forms.EmailField(label=_("Your email"))
    password = forms.CharField(
        label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    currency = forms.ChoiceField(label=_("Currency"), choices=Currency.choices, initial="CNY")
    heard_from = forms.ChoiceField(
        label=_("How did you hear about us?"),
        choices=[("", "—"), *SignupChannel.choices],
        required=False,
    )
    # The referring shop's address, from a promoter's referral link (?ref=<slug>).
    ref = forms.CharField(max_length=40, required=False, widget=forms.HiddenInput)

    def clean_ref(self) -> str:
        ref = self.cleaned_data["ref"].strip().lower()
        if ref and not Merchant.objects.filter(slug=ref).exclude(schema_name="public").exists():
            # A stale or mistyped link still lets the visitor sign up; it refers nobody.
            return ""
        return ref

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"].strip().lower()
        problem = slug_problem(slug)
        if problem:
            raise forms.ValidationError(problem)
        return slug

    def clean(self):
        cleaned = super().clean()
        password = cleaned.get("password")
        if password:
            try:
                password_validation.validate_password(password)
            except forms.ValidationError as error:
                self.add_error("password", error)
        return cleaned


class MerchantStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=MerchantStatus.choices)
    reason = forms.CharField(label=_("Reason"), max_length=500)
