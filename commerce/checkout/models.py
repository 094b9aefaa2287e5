import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from commerce.orders.models import MONEY, PaymentMethod, ShippingMethod


class CheckoutStatus(models.TextChoices):
    RESERVED = "reserved", _("Stock reserved, awaiting payment")
    COMPLETED = "completed", _("Completed")
    EXPIRED = "expired", _("Expired, stock released")


class CheckoutSession(models.Model):
    """A checkout between 'place order' and the order: holds its stock for a short while.

    The reference is unique and becomes the order's reference, so a checkout completes at
    most once whichever of the return page and the webhook arrives first.
    """

    reference = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    status = models.CharField(
        max_length=10, choices=CheckoutStatus.choices, default=CheckoutStatus.RESERVED
    )
    # The order's outlet: the pickup outlet, or the first outlet the stock came from.
    outlet = models.ForeignKey("store.Outlet", on_delete=models.PROTECT, related_name="+")
    email = models.EmailField()
    contact_name = models.CharField(max_length=120)
    phone = models.CharField(max_length=40, blank=True)
    shipping_method = models.CharField(max_length=10, choices=ShippingMethod.choices)
    shipping_address = models.JSONField(default=dict, blank=True)
    payment_method = models.CharField(max_length=20, choices=PaymentMethod.choices)
    currency = models.CharField(max_length=3)
    subtotal = models.DecimalField(**MONEY)
    shipping_total = models.DecimalField(**MONEY)
    total = models.DecimalField(**MONEY)
    tags = models.JSONField(default=list, blank=True)
    payment_intent_id = models.CharField(max_length=64, null=True, blank=True, unique=True)
    # The settlement deadline: a row, not only a broker message (the `settle_checkout` ETA
    # task is the fast path; the deadline sweep settles what a lost message left).
    reserved_until = models.DateTimeField()
    order = models.OneToOneField(
        "orders.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="checkout"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            # The settlement deadlines: reserved checkouts by the end of their reservation
            # (the sweep's and `next_settlement_due`'s question).
            models.Index(
                fields=["reserved_until"],
                condition=Q(status="reserved"),
                name="checkout_reserved_until_idx",
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="completed") | Q(order__isnull=False),
                name="completed_checkout_has_order",
            )
        ]

    def __str__(self) -> str:
        return str(self.reference)


class CheckoutLine(models.Model):
    session = models.ForeignKey(CheckoutSession, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey("catalog.Variant", on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(**MONEY)
    # Where the reserved units were taken from (a line spanning outlets is one row each).
    outlet = models.ForeignKey(
        "store.Outlet", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.variant_id}"
