from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from tenants.models import Currency, Industry, Merchant, MerchantStatus
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
    industry = forms.ChoiceField(
        label=_("Industry"),
        choices=[("", _("Choose your industry")), *Industry.choices],
        required=False,
        help_text=_("Your customer success manager follows your industry's playbook."),
    )
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


INVITABLE_ROLE_CHOICES = [
    ("manager", _("Manager: everything but staff, ownership and the activity log")),
    ("cashier", _("Cashier: point of sale and orders only")),
    ("marketing", _("Marketing: campaigns and data only")),
]


class InviteStaffForm(forms.Form):
    email = forms.EmailField(label=_("Email"), max_length=254)
    role = forms.ChoiceField(label=_("Role"), choices=INVITABLE_ROLE_CHOICES, initial="cashier")


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=INVITABLE_ROLE_CHOICES)


class ExistingAccountAcceptForm(forms.Form):
    """Accept as the account that already has the invited email: prove it's yours."""

    password = forms.CharField(
        label=_("Your password"),
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class NewAccountAcceptForm(forms.Form):
    """Accept by creating the account for the invited email."""

    password = forms.CharField(
        label=_("Choose a password"),
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password_again = forms.CharField(
        label=_("The same password again"),
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, email: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self):
        cleaned = super().clean()
        password, again = cleaned.get("password"), cleaned.get("password_again")
        if password and again and password != again:
            self.add_error("password_again", _("The two passwords differ."))
        elif password:
            try:
                password_validation.validate_password(password, User(email=self.email))
            except forms.ValidationError as error:
                self.add_error("password", error)
        return cleaned


class ActivityFilterForm(forms.Form):
    person = forms.CharField(label=_("Person"), required=False, max_length=254)
    section = forms.CharField(label=_("Section"), required=False, max_length=40)
