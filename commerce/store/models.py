"""Tenant-schema models: one set of these tables per merchant."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class StoreSettings(models.Model):
    """The shop's public face. Exactly one row per schema (pk=1)."""

    display_name = models.CharField(_("shop name"), max_length=120)
    tagline = models.CharField(_("tagline"), max_length=200, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="store_settings_singleton")
        ]

    def __str__(self) -> str:
        return self.display_name


class Outlet(models.Model):
    """A physical store. The number of active outlets feeds tiering."""

    name = models.CharField(_("name"), max_length=120)
    address = models.CharField(_("address"), max_length=300)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["name"], name="outlet_unique_name")]

    def __str__(self) -> str:
        return self.name
