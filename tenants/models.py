import zoneinfo

from django.conf import settings
from django.db import models
from django.utils import timezone
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
    # db_default: rows written by set-based SQL (bulk seeds) that name no industry.
    industry = models.CharField(
        _("industry"), max_length=30, choices=Industry.choices, blank=True, db_default=""
    )
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
    """What a member may open in `/manage/` and the API: tenants.access.SECTION_ROLES."""

    OWNER = "owner", _("Owner")
    MANAGER = "manager", _("Manager")
    CASHIER = "cashier", _("Cashier")
    MARKETING = "marketing", _("Marketing")


class Membership(models.Model):
    """Who may work in a merchant's `/manage/` console, and as what. Each row is a seat."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=MembershipRole.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "merchant"], name="membership_user_merchant"),
            # At most one owner per shop; tenants.staff keeps it exactly one.
            models.UniqueConstraint(
                fields=["merchant"],
                condition=models.Q(role="owner"),
                name="membership_one_owner_per_merchant",
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=["owner", "manager", "cashier", "marketing"]),
                name="membership_role_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.merchant} ({self.role})"


class FormerSeat(models.Model):
    """A seat that ended: a member removed (or who left). With the current memberships
    (each a seat since its `created_at`), billing counts the seats of every day."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="former_seats")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    email = models.CharField(max_length=254)
    role = models.CharField(max_length=10, choices=MembershipRole.choices)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["merchant", "ended_at"], name="formerseat_merchant_ended")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ended_at__gte=models.F("started_at")),
                name="formerseat_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} @ {self.merchant_id} until {self.ended_at:%Y-%m-%d}"


class StaffInvitation(models.Model):
    """An invitation to join a shop's staff, sent by email. Only the token's SHA-256 is kept.

    Open while not accepted, revoked or expired; one open invitation per (shop, email).
    """

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="invitations")
    email = models.CharField(_("email"), max_length=254)
    role = models.CharField(_("role"), max_length=10, choices=MembershipRole.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "email"],
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="staffinvitation_one_open_per_email",
            ),
            models.CheckConstraint(
                condition=~models.Q(role="owner"), name="staffinvitation_not_owner"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} to {self.merchant_id} as {self.role}"


class StaffAction(models.Model):
    """The staff activity log of a shop: who changed money, stock or settings, what, when.

    Append-only. Written by `tenants.activity.record_staff_action` (services) and by
    `tenants.activity.StaffActivityMiddleware` for every staff request that wrote.
    """

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Kept as written: the log still says who after the member is removed.
    actor_email = models.CharField(max_length=254)
    actor_role = models.CharField(max_length=10, blank=True)
    section = models.CharField(max_length=40, blank=True)
    action = models.CharField(max_length=80)
    summary = models.CharField(max_length=300)
    target = models.CharField(max_length=120, blank=True)
    details = models.JSONField(default=dict, blank=True)
    method = models.CharField(max_length=8, blank=True)
    path = models.CharField(max_length=300, blank=True)
    occurred_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(
                fields=["merchant", "-occurred_at", "-id"], name="staffaction_merchant_time"
            )
        ]

    def __str__(self) -> str:
        return f"{self.actor_email}: {self.action} at {self.occurred_at:%Y-%m-%d %H:%M}"


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
