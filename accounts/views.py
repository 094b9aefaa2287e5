from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_GET

from accounts.forms import LoginForm, OutboxPasswordResetForm
from tenants.services import redeem_login_handoff


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        if not self.request.tenant.is_public:
            return "/manage/"
        if self.request.user.is_platform_staff:
            return "/console/"
        return "/shops/"


class PasswordResetView(auth_views.PasswordResetView):
    form_class = OutboxPasswordResetForm
    template_name = "accounts/password_reset_form.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")


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
    return redirect("/manage/")
