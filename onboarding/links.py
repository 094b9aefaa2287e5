"""Console links used in notifications and emails (the platform host's URLconf)."""

from django.urls import reverse


def merchant_link(merchant_id: int) -> str:
    return reverse("console_onboarding_merchant", args=[merchant_id], urlconf="config.urls_public")
