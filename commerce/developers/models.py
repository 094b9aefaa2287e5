"""The open platform of one shop: API keys and outbound webhooks (tenant schema).

An API key is shown once; only its SHA-256 is stored, with a short prefix kept in clear so
the merchant can tell keys apart. A webhook event is written in the business transaction
that caused it, with one delivery per subscribed endpoint; each delivery is an outbox
message (channel "webhook") sent after the commit, every attempt logged here.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Resource(models.TextChoices):
    PRODUCTS = "products", _("Products")
    STOCK = "stock", _("Stock")
    ORDERS = "orders", _("Orders")
    CUSTOMERS = "customers", _("Customers")
    CAMPAIGNS = "campaigns", _("Group-buy campaigns")
    DATA = "data", _("Data center")


class Access(models.TextChoices):
    NONE = "", _("No access")
    READ = "read", _("Read")
    WRITE = "write", _("Read and write")


class ApiKey(models.Model):
    name = models.CharField(_("name"), max_length=100)
    # The first characters of the key, in clear: how the merchant recognises it in lists.
    prefix = models.CharField(_("prefix"), max_length=20)
    key_hash = models.CharField(max_length=64)
    # {"products": "read", "orders": "write", ...}: a resource left out is no access.
    scopes = models.JSONField(_("scopes"), default=dict)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    created_by = models.CharField(_("created by"), max_length=254)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.CharField(_("revoked by"), max_length=254, blank=True, default="")
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["key_hash"], name="developers_apikey_hash_uniq"),
            models.UniqueConstraint(fields=["prefix"], name="developers_apikey_prefix_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def actor(self) -> str:
        """How the key appears in timelines and the audit log."""
        return f"API key {self.name} ({self.prefix})"

    def is_usable(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    def allows(self, resource: str, *, write: bool) -> bool:
        granted = self.scopes.get(resource, "")
        return granted == Access.WRITE or (granted == Access.READ and not write)


class ApiKeyRequest(models.Model):
    """The audit log of the API: every request made with a key, attributed to it."""

    key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="requests")
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    status_code = models.IntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["key", "-created_at"], name="developers_keyreq_key_idx")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} {self.status_code}"


class EventType(models.TextChoices):
    ORDER_CREATED = "order.created", "order.created"
    ORDER_PAID = "order.paid", "order.paid"
    ORDER_FULFILLED = "order.fulfilled", "order.fulfilled"
    ORDER_REFUNDED = "order.refunded", "order.refunded"
    ORDER_CANCELLED = "order.cancelled", "order.cancelled"
    PRODUCT_UPDATED = "product.updated", "product.updated"
    STOCK_CHANGED = "stock.changed", "stock.changed"
    TEAM_COMPLETED = "groupbuy.team.completed", "groupbuy.team.completed"
    TEAM_FAILED = "groupbuy.team.failed", "groupbuy.team.failed"
    # Sent only by the "Send test event" button, to one endpoint.
    TEST = "webhook.test", "webhook.test"


class WebhookEndpoint(models.Model):
    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True, default="")
    event_types = models.JSONField(_("event types"), default=list)
    # Standard Webhooks secret ("whsec_" + base64). After a rotation the previous secret
    # keeps signing (a second signature) until previous_secret_expires_at.
    secret = models.CharField(max_length=100)
    previous_secret = models.CharField(max_length=100, blank=True, default="")
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    is_enabled = models.BooleanField(_("enabled"), default=True)
    # Circuit breaker: failed attempts in a row; at the threshold the endpoint is paused
    # (breaker_opened_at) and tried again, one delivery, at breaker_retry_at.
    consecutive_failures = models.IntegerField(default=0)
    breaker_opened_at = models.DateTimeField(null=True, blank=True)
    breaker_retry_at = models.DateTimeField(null=True, blank=True)
    created_by = models.CharField(max_length=254, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(consecutive_failures__gte=0),
                name="developers_endpoint_failures_not_negative",
            )
        ]

    def __str__(self) -> str:
        return self.url

    @property
    def is_paused(self) -> bool:
        return self.breaker_opened_at is not None


class WebhookEvent(models.Model):
    """Something that happened in the shop, once, whatever the number of endpoints."""

    event_id = models.CharField(max_length=40)
    type = models.CharField(max_length=40, choices=EventType.choices)
    data = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["event_id"], name="developers_event_id_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Delivered")
    FAILED = "failed", _("Failed")


class WebhookDelivery(models.Model):
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    # A manual redelivery is a new round of the same event to the same endpoint; the
    # webhook-id stays the event's (Standard Webhooks: receivers deduplicate by it).
    round = models.IntegerField(default=1)
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.IntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "event", "round"], name="developers_delivery_uniq"
            ),
            models.CheckConstraint(
                # ORs, not IN: a tenant schema is cloned from the template's constraint
                # definitions, and PostgreSQL prints `= ANY (ARRAY[…])` back differently.
                condition=Q(status="pending") | Q(status="succeeded") | Q(status="failed"),
                name="developers_delivery_status_valid",
            ),
        ]
        indexes = [models.Index(fields=["endpoint", "-id"], name="developers_delivery_ep_idx")]

    def __str__(self) -> str:
        return f"delivery {self.pk} ({self.status})"


class WebhookAttempt(models.Model):
    """One HTTP request of a delivery: what was sent, what came back (truncated)."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="log")
    number = models.IntegerField()
    request_body = models.TextField()
    response_status = models.IntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True, default="")
    error = models.CharField(max_length=500, blank=True, default="")
    duration_ms = models.IntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["delivery", "number"], name="developers_attempt_number_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"attempt {self.number} of delivery {self.delivery_id}"

    @property
    def succeeded(self) -> bool:
        return self.response_status is not None and 200 <= self.response_status < 300


class IdempotentRequest(models.Model):
    """The answer to an API POST sent with an `Idempotency-Key` header, kept so that the
    same key (from the same caller) gets the same answer back instead of a second change."""

    caller = models.CharField(max_length=80)  # "key:<id>" or "user:<id>"
    idempotency_key = models.CharField(max_length=200)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    status_code = models.IntegerField()
    body = models.JSONField(null=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["caller", "idempotency_key"], name="developers_idempotent_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.caller} {self.idempotency_key}"
