from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import translation
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.forms import LoginForm, OutboxPasswordResetForm, ProfileForm
from accounts.language import remember_language, signed_in
from accounts.services import set_user_language
from core.forms import add_service_errors
from core.ratelimit import rate_limited
from tenants.hosts import platform_url, shop_url
from tenants.services import redeem_login_handoff


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        # Signed in: the person's saved language is the page language from now on.
        return signed_in(super().form_valid(form), form.get_user())

    def get_default_redirect_url(self) -> str:
        if not self.request.tenant.is_public:
            return "/manage/"
        if self.request.user.is_platform_staff:
            return "/console/"
        return "/shops/"


def configured_site_root(request) -> str:
    """Scheme, host and port of the platform (settings.PLATFORM_HOST) or of the request's
    shop (its primary domain), whatever Host the request carried."""
    if request.tenant.is_public:
        return platform_url(request, "")
    return shop_url(request, request.tenant, "")


@method_decorator(rate_limited("password_reset"), name="dispatch")
class PasswordResetView(auth_views.PasswordResetView):
    form_class = OutboxPasswordResetForm
    """The link in the email starts with the configured host of where the reset was asked
    for, never the request's Host header (which whoever asks for the reset controls)."""

    template_name = "accounts/password_reset_form.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")

    def form_valid(self, form):
        site_root = configured_site_root(self.request)
        self.extra_email_context = {
            "site_root": site_root,
            # Django's own context names, overridden so no template can reach the Host.
            "protocol": settings.SITE_SCHEME,
            "domain": site_root.split("://", 1)[1],
        }
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("password_reset_complete")


@require_GET
def login_handoff(request, token: str):
    """Arrive on a shop host, logged in, from a ticket issued on the platform host."""
    if request.tenant.is_public:
        raise Http404
    user = redeem_login_handoff(token=token, merchant=request.tenant)
    if user is None:
        return render(request, "accounts/handoff_expired.html", status=400)
    login(request, user, backend="accounts.backends.EmailBackend")
    return signed_in(redirect("/manage/"), user)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def profile(request):
    """A signed-in person's own settings (platform staff and shop staff alike): for now the
    language of their pages and of what the platform writes to them."""
    user = request.user
    if request.method != "POST":
        initial = user.language or translation.get_language()
        return render(
            request, "accounts/profile.html", {"form": ProfileForm(initial={"language": initial})}
        )
    form = ProfileForm(request.POST)
    if form.is_valid():
        try:
            set_user_language(user=user, language=form.cleaned_data["language"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            # The page after this save is in the chosen language: say so in it.
            with translation.override(user.language):
                messages.success(request, _("Your profile is saved."))
            return remember_language(redirect("profile"), user.language)
    return render(request, "accounts/profile.html", {"form": form}, status=400)
