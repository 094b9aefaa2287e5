from django.db import models
from django.utils.translation import gettext_lazy as _

from commerce.orders.models import MONEY


class RefundStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class Refund(models.Model):
    """A refund of (part of) an order, or of a card payment for a checkout that could not
    become one (its stock was gone). `idempotency_key` makes a retried refund a no-op.

    A card refund is owed from the moment this row commits (status pending, with its outbox
    message in the same transaction); the outbox carries it to Stripe until Stripe answers,
    and only Stripe's confirmation makes it succeeded."""

    order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="refunds"
    )
    checkout = models.ForeignKey(
        "checkout.CheckoutSession",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="refunds",
    )
    amount = models.DecimalField(**MONEY)
    reason = models.CharField(max_length=300)
    idempotency_key = models.CharField(max_length=120, unique=True)
    status = models.CharField(max_length=10, choices=RefundStatus.choices)
    stripe_refund_id = models.CharField(max_length=64, blank=True)
    actor = models.CharField(max_length=254, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # When the refund succeeded: its ledger day (the order_refunded event's occurred_at).
    # Empty for refunds completed before this field existed, and for pending/failed ones.
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="refund_amount_positive"),
            models.CheckConstraint(
                condition=models.Q(order__isnull=False, checkout__isnull=True)
                | models.Q(order__isnull=True, checkout__isnull=False),
                name="refund_of_an_order_or_a_checkout",
            ),
        ]

    def __str__(self) -> str:
        if self.order_id is None:
            return f"{self.amount} for checkout {self.checkout_id}"
        return f"{self.amount} for order {self.order_id}"

    @property
    def stripe_idempotency_key(self) -> str:
        """The key Stripe sees: the same at every attempt, so Stripe refunds once. (A
        checkout's refund keeps the key its refunds carried before they were rows.)"""
        if self.order_id is None:
            return self.idempotency_key
        return f"refund:{self.idempotency_key}"


class WebhookEvent(models.Model):
    """Every Stripe event received, by its unique id: a redelivery is recognised and ignored."""

    event_id = models.CharField(max_length=80, unique=True)
    event_type = models.CharField(max_length=80)
    account = models.CharField(max_length=64, blank=True)
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    # "processed" or "ignored", and why an event was ignored (not ours, an unexpected shape).
    outcome = models.CharField(max_length=10, blank=True)
    reason = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"
