import zoneinfo

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_tenants.models import DomainMixin, TenantMixin

TIMEZONE_CHOICES = [(name, name) for name in sorted(zoneinfo.available_timezones())]


class MerchantStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    CLOSED = "closed", _("Closed")


class Currency(models.TextChoices):
    CNY = "CNY", _("Chinese yuan (CNY)")
    USD = "USD", _("US dollar (USD)")
    EUR = "EUR", _("Euro (EUR)")
    GBP = "GBP", _("Pound sterling (GBP)")
    HKD = "HKD", _("Hong Kong dollar (HKD)")
    JPY = "JPY", _("Japanese yen (JPY)")


class Industry(models.TextChoices):
    RETAIL = "retail", _("Retail")
    FOOD_BEVERAGE = "food_beverage", _("Food & beverage")
    BEAUTY = "beauty", _("Beauty")
    FASHION = "fashion", _("Fashion & apparel")
    ELECTRONICS = "electronics", _("Electronics")
    SERVICES = "services", _("Services")
    OTHER = "other", _("Other")


class Merchant(TenantMixin):
    """A shop owner's business: the tenant. Its data lives in the schema `schema_name`."""

    slug = models.SlugField(_("shop address"), max_length=40, unique=True)
    # What the address looks like (tenants.slugs.slug_skeleton): unique, so that no two shops
    # have look-alike addresses (`tea-house`, `tea--h0use`) even when signups race.
    slug_skeleton = models.CharField(max_length=48, editable=False)
    name = models.CharField(_("shop name"), max_length=120)
    status = models.CharField(
        max_length=12, choices=MerchantStatus.choices, default=MerchantStatus.ACTIVE, db_index=True
    )
    timezone = models.CharField(max_length=64, choices=TIMEZONE_CHOICES, default="Asia/Shanghai")
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.CNY)
    # Which industry's lifecycle card customer success follows (community app).
    industry = models.CharField(_("industry"), max_length=30, choices=Industry.choices, blank=True)
    language = models.CharField(max_length=10, choices=settings.LANGUAGES, default="zh-hans")
    # Stripe Connect: only the connected account's id is kept, never a merchant's keys. It
    # lives here, in public, because webhooks name the account before we know the schema.
    stripe_account_id = models.CharField(max_length=64, null=True, blank=True, unique=True)
    stripe_charges_enabled = models.BooleanField(default=False)
    # The database that holds this merchant's schema; "default" until tenants are sharded
    # across databases (docs/scaling.md).
    db_alias = models.CharField(max_length=40, default="default")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    # Schemas are cloned from the template or claimed from the pool by tenants.services,
    # never created by django-tenants' save().
    auto_create_schema = False
    auto_drop_schema = False

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            models.UniqueConstraint(fields=["slug_skeleton"], name="merchant_slug_skeleton_unique")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_public(self) -> bool:
        return self.schema_name == "public"


class Domain(DomainMixin):
    """A host name that routes to a merchant: `<slug>.<SHOP_DOMAIN>` or a custom domain."""

    is_custom = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.domain


class MembershipRole(models.TextChoices):
    OWNER = "owner", _("Owner")
    STAFF = "staff", _("Staff")


class Membership(models.Model):
    """Who may work in a merchant's `/manage/` console, and as what."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=MembershipRole.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "merchant"], name="membership_user_merchant")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.merchant} ({self.role})"


class PooledSchema(models.Model):
    """A schema cloned from the template ahead of time, waiting for a signup to claim it."""

    schema_name = models.CharField(max_length=63, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.schema_name


class LoginHandoff(models.Model):
    """A single-use, short-lived ticket that logs a user in on a shop host.

    Session cookies are per host, so after signing up on the platform host the owner is
    handed over to `<slug>.<SHOP_DOMAIN>` with one of these. Only a hash is stored.
    """

    token_hash = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"handoff for {self.user_id} to {self.merchant_id}"


class MerchantStatusChange(models.Model):
    """Audit trail of suspensions, reactivations and closures."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=12, choices=MerchantStatus.choices)
    to_status = models.CharField(max_length=12, choices=MerchantStatus.choices)
    reason = models.CharField(max_length=500)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-changed_at"]

    def __str__(self) -> str:
        return f"{self.merchant_id}: {self.from_status} -> {self.to_status}"
