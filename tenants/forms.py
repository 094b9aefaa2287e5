from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from tenants.models import Currency, Industry, MerchantStatus
from tenants.services import slug_problem


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
    industry = forms.ChoiceField(
        label=_("Industry"),
        choices=[("", _("Choose your industry")), *Industry.choices],
        required=False,
        help_text=_("Your customer success manager follows your industry's playbook."),
    )

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
