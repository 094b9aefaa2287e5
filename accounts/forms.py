from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from tenants.selectors import is_member


class LoginForm(AuthenticationForm):
    """Email + password. On a shop host, only that shop's members may sign in."""

    username = forms.EmailField(
        label=_("Email"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "not_a_member": _("This account has no access to this shop."),
    }

    def confirm_login_allowed(self, user) -> None:
        super().confirm_login_allowed(user)
        tenant = getattr(self.request, "tenant", None)
        if (
            tenant is not None
            and not tenant.is_public
            and not is_member(user=user, merchant=tenant)
        ):
            raise forms.ValidationError(self.error_messages["not_a_member"], code="not_a_member")
