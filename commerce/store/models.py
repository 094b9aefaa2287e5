"""Tenant-schema models: one set of these tables per merchant."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from commerce.cache import forget, key
from commerce.images import ShopFolder, ShopImageField


class StoreSettings(models.Model):
    """The shop's public face, shipping and payment set-up. Exactly one row per schema (pk=1)."""

    display_name = models.CharField(_("shop name"), max_length=120)
    tagline = models.CharField(_("tagline"), max_length=200, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    logo = ShopImageField(_("logo"), upload_to=ShopFolder("logos"), blank=True)
    policies = models.TextField(_("shop policies"), blank=True)

    shipping_flat_rate = models.DecimalField(
        _("flat shipping rate"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    free_shipping_over = models.DecimalField(
        _("free shipping over"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    local_pickup = models.BooleanField(_("local pickup at an outlet"), default=False)

    accepts_cash_on_delivery = models.BooleanField(_("cash on delivery"), default=False)
    accepts_pay_in_store = models.BooleanField(_("pay in store"), default=False)

    setup_completed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="store_settings_singleton")
        ]

    def __str__(self) -> str:
        return self.display_name

    CACHE_KEY = "store-settings"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        forget(key(self.CACHE_KEY))


class OutletKind(models.TextChoices):
    STORE = "store", _("Store")
    WAREHOUSE = "warehouse", _("Warehouse")


class Outlet(models.Model):
    """A place that holds stock: a physical store (counted for tiering) or a warehouse."""

    name = models.CharField(_("name"), max_length=120)
    address = models.CharField(_("address"), max_length=300)
    kind = models.CharField(
        _("kind"), max_length=10, choices=OutletKind.choices, default=OutletKind.STORE
    )
    is_active = models.BooleanField(_("active"), default=True)
    # Online orders take stock from the active outlets that fulfil them, lowest
    # `online_rank` first (ties by id); online availability is their sum.
    fulfils_online = models.BooleanField(_("fulfils online orders"), default=False)
    online_rank = models.IntegerField(
        _("online fulfilment order"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(999)],
        help_text=_("Online orders take stock from outlet 1 first, then 2, and so on."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["name"], name="outlet_unique_name"),
            models.CheckConstraint(
                condition=models.Q(online_rank__gte=1) & models.Q(online_rank__lte=999),
                name="outlet_online_rank_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    ONLINE_CACHE_KEY = "online-outlets"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        forget(key(self.ONLINE_CACHE_KEY))

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        forget(key(self.ONLINE_CACHE_KEY))
        return result
