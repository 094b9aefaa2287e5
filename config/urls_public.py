"""URLs of the bare platform host: public site, signup, /console/ and /admin/."""

from django.contrib import admin
from django.urls import include, path

from billing.views import stripe_billing_webhook
from commerce.payments.views import stripe_webhook
from config.views import healthz
from onboarding.signup import open_merchant
from onboarding.views import answer_survey_from_email
from tenants import outbox_console
from tenants import views as tenant_views

console_patterns = [
    path("", tenant_views.console_home, name="console_home"),
    path("merchants/", tenant_views.console_merchants, name="console_merchants"),
    path(
        "merchants/<int:merchant_id>/",
        tenant_views.console_merchant_detail,
        name="console_merchant_detail",
    ),
    path(
        "merchants/<int:merchant_id>/status/",
        tenant_views.console_merchant_status,
        name="console_merchant_status",
    ),
    path("onboarding/", include("onboarding.urls")),
    path("billing/", include("billing.urls")),
    path("metrics/", include("reports.urls")),
    path("product/", include("community.urls")),
    path("outbox/", outbox_console.console_outbox, name="console_outbox"),
    path(
        "outbox/<int:message_id>/retry/",
        outbox_console.console_outbox_retry,
        name="console_outbox_retry",
    ),
    path(
        "outbox/retry-failed/",
        outbox_console.console_outbox_retry_failed,
        name="console_outbox_retry_failed",
    ),
]

urlpatterns = [
    path("", tenant_views.landing, name="landing"),
    # Signup opens the shop with the domains' start-up composed in (trial, journey).
    path("signup/", tenant_views.signup, {"open_shop": open_merchant}, name="signup"),
    path("signup/check-email/", tenant_views.signup_check_email, name="signup_check_email"),
    path("shops/", tenant_views.my_shops, name="my_shops"),
    # The NPS survey email's signed one-click answer page (no login).
    path("nps/<str:token>/", answer_survey_from_email, name="nps_answer"),
    path("shops/<int:merchant_id>/open/", tenant_views.open_my_shop, name="open_my_shop"),
    path("accounts/", include("accounts.urls")),
    path("console/", include(console_patterns)),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("webhooks/stripe/", stripe_webhook, name="stripe_webhook"),
    path("webhooks/stripe/billing/", stripe_billing_webhook, name="stripe_billing_webhook"),
    path("i18n/", include("django.conf.urls.i18n")),
]
