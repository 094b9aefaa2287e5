"""Shopper accounts: optional, per shop (these tables live in the shop's schema, so a
shopper of one shop is unknown to another), signed in by an emailed link, no password.
Shoppers are not staff `accounts.User`s and never share their session key."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ShopperAccount(models.Model):
    # Lower-cased and stripped, the form orders store (`orders.services.create_order`), so
    # the account's orders are the orders of this verified address.
    email = models.EmailField(_("email"))
    created_at = models.DateTimeField(auto_now_add=True)
    last_signed_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["email"], name="shopper_account_email_uniq")]

    def __str__(self) -> str:
        return self.email


class SignInLink(models.Model):
    """A single-use, short-lived sign-in link; only the SHA-256 of its token is stored."""

    email = models.EmailField()
    token_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    # Where the shopper was going when they asked (a path on this shop, e.g. the checkout).
    next_path = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["token_hash"], name="shopper_sign_in_token_uniq")
        ]
        indexes = [
            # How many links an address was sent lately (the per-address limit).
            models.Index(fields=["email", "created_at"], name="shopper_sign_in_email_idx")
        ]

    def __str__(self) -> str:
        return f"{self.email} ({self.created_at:%Y-%m-%d %H:%M})"


class SavedAddress(models.Model):
    account = models.ForeignKey(ShopperAccount, on_delete=models.CASCADE, related_name="addresses")
    label = models.CharField(_("label"), max_length=60, blank=True)
    contact_name = models.CharField(_("name"), max_length=120)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    line1 = models.CharField(_("address"), max_length=200)
    city = models.CharField(_("city"), max_length=100)
    postcode = models.CharField(_("postcode"), max_length=20, blank=True)
    is_default = models.BooleanField(_("use by default"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_default", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(is_default=True),
                name="shopper_address_one_default",
            )
        ]

    def __str__(self) -> str:
        return f"{self.line1}, {self.city}"

    @property
    def as_shipping_address(self) -> dict[str, str]:
        """The shape checkout stores on an order."""
        return {"line1": self.line1, "city": self.city, "postcode": self.postcode}
