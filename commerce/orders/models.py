import secrets
import uuid

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 14, "decimal_places": 2}


class Customer(models.Model):
    """A shopper of this shop, one per email."""

    email = models.EmailField(unique=True)
    name = models.CharField(max_length=120, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    orders_count = models.PositiveIntegerField(default=0)
    first_order_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.email


class Channel(models.TextChoices):
    ONLINE = "online", _("Online")
    IN_STORE = "in_store", _("In store")


class FulfilmentStatus(models.TextChoices):
    UNFULFILLED = "unfulfilled", _("Unfulfilled")
    FULFILLED = "fulfilled", _("Fulfilled")
    CANCELLED = "cancelled", _("Cancelled")


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting payment")
    PAID = "paid", _("Paid")
    PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")
    REFUNDED = "refunded", _("Refunded")
    VOIDED = "voided", _("Voided")


class PaymentMethod(models.TextChoices):
    STRIPE = "stripe", _("Card (Stripe)")
    CASH_ON_DELIVERY = "cash_on_delivery", _("Cash on delivery")
    PAY_IN_STORE = "pay_in_store", _("Pay in store")
    CASH = "cash", _("Cash")
    CARD_OFFLINE = "card_offline", _("Card terminal")


class ShippingMethod(models.TextChoices):
    FLAT = "flat", _("Delivery")
    PICKUP = "pickup", _("Pick up at an outlet")
    NONE = "none", _("Taken in store")


def status_token() -> str:
    return secrets.token_urlsafe(24)


class Order(models.Model):
    # The checkout reference: unique, so one checkout makes at most one order.
    reference = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    status_token = models.CharField(max_length=64, unique=True, default=status_token)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="orders"
    )
    is_new_customer = models.BooleanField(default=False)
    outlet = models.ForeignKey("store.Outlet", on_delete=models.PROTECT, related_name="orders")
    status = models.CharField(
        max_length=12, choices=FulfilmentStatus.choices, default=FulfilmentStatus.UNFULFILLED
    )
    payment_status = models.CharField(
        max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    payment_method = models.CharField(max_length=20, choices=PaymentMethod.choices)
    currency = models.CharField(max_length=3)
    subtotal = models.DecimalField(**MONEY)
    shipping_total = models.DecimalField(default=0, **MONEY)
    total = models.DecimalField(**MONEY)
    refunded_total = models.DecimalField(default=0, **MONEY)
    email = models.EmailField(blank=True)
    contact_name = models.CharField(max_length=120, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    shipping_method = models.CharField(max_length=10, choices=ShippingMethod.choices)
    shipping_address = models.JSONField(default=dict, blank=True)
    carrier = models.CharField(max_length=60, blank=True)
    tracking_number = models.CharField(max_length=80, blank=True)
    tags = ArrayField(models.CharField(max_length=30), default=list, blank=True)
    # The card payment behind the order (Stripe PaymentIntent), for refunds.
    payment_intent_id = models.CharField(max_length=64, blank=True)
    # Cash handed over at the till and the change given back (POS cash sales only).
    cash_tendered = models.DecimalField(null=True, blank=True, **MONEY)
    change_due = models.DecimalField(null=True, blank=True, **MONEY)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    fulfilled_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-created_at"]),
            models.Index(fields=["payment_status", "-created_at"]),
            models.Index(fields=["channel", "-created_at"]),
            # The data center's top products read the lines of orders paid in a range.
            models.Index(fields=["paid_at"], name="order_paid_at"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(refunded_total__gte=0) & Q(refunded_total__lte=models.F("total")),
                name="order_refunds_within_total",
            ),
            models.CheckConstraint(
                condition=Q(cash_tendered__isnull=True) | Q(cash_tendered__gte=models.F("total")),
                name="order_cash_tendered_covers_total",
            ),
            models.CheckConstraint(
                condition=Q(change_due__isnull=True) | Q(change_due__gte=0),
                name="order_change_due_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"#{1000 + self.pk}" if self.pk else "#—"

    @property
    def refundable(self):
        return self.total - self.refunded_total


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey(
        "catalog.Variant", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    product_title = models.CharField(max_length=200)
    variant_name = models.CharField(max_length=120, blank=True)
    sku = models.CharField(max_length=64)
    unit_price = models.DecimalField(**MONEY)
    quantity = models.PositiveIntegerField()
    line_total = models.DecimalField(**MONEY)
    # The outlet the units were taken from. A shopper's line that one outlet cannot fill
    # alone is split into one order line per outlet (empty on lines older than this).
    outlet = models.ForeignKey(
        "store.Outlet", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="order_line_quantity_positive")
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.sku}"


class OrderEvent(models.Model):
    """Append-only timeline: every change of an order adds one."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=40)
    message = models.CharField(max_length=300, blank=True)
    data = models.JSONField(default=dict, blank=True)
    actor = models.CharField(max_length=254, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.kind}"

    @property
    def shown_message(self) -> str:
        """The entry in the reader's language. It is stored as written, in the language
        active then (English from the till, a task or the demo), so a catalogue message is
        translated again when shown, and a refund's amount put back into its sentence."""
        if self.kind == "refunded" and "amount" in self.data:
            return gettext("Refunded %(amount)s") % {"amount": self.data["amount"]}
        return gettext(self.message) if self.message else ""
