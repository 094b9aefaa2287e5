from django.conf import settings
from django.db import models
from django.utils import timezone

from tenants.models import Merchant


class MerchantFeature(models.Model):
    """One feature switched on for one merchant (a beta they joined)."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="features")
    name = models.SlugField(max_length=60)
    enabled_at = models.DateTimeField(default=timezone.now)
    enabled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant", "name"], name="merchant_feature_once")
        ]

    def __str__(self) -> str:
        return f"{self.merchant_id}: {self.name}"
