import hashlib

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.template.loader import render_to_string
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from outbox.services import enqueue_email
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


class OutboxPasswordResetForm(PasswordResetForm):
    """Django's reset form (same link, same templates), its email written to the outbox:
    it goes after the commit, retried while the mail server is down. The body holds a
    working link, so the outbox blanks it once sent."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ) -> None:
        subject = "".join(render_to_string(subject_template_name, context).splitlines())
        html = (
            render_to_string(html_email_template_name, context) if html_email_template_name else ""
        )
        token_digest = hashlib.sha256(context["token"].encode()).hexdigest()[:32]
        enqueue_email(
            to=[to_email],
            subject=subject,
            body=render_to_string(email_template_name, context),
            html=html,
            from_email=from_email or "",
            # The same link asked for twice (same second) is one email.
            dedupe_key=f"password-reset:{context['uid']}:{token_digest}",
            sensitive=True,
        )


def language_choices() -> list[tuple[str, str]]:
    """Each shipped language in its own name (English, 简体中文), as the switcher shows it."""
    return [(code, get_language_info(code)["name_local"]) for code, _name in settings.LANGUAGES]


class ProfileForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Language"),
        choices=language_choices,
        help_text=_("Your pages open in it after you sign in; the platform writes to you in it."),
    )
