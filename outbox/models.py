"""One outbox for everything that leaves the system (emails, owed refunds, outbound webhooks).

A message is a row written in the business transaction that caused it; after the commit a
task claims due rows one at a time (FOR UPDATE SKIP LOCKED), hands each to the sender of
its channel and marks it sent in the transaction that holds the lock, only if the sender
returned. A failure records the error and schedules the next attempt with backoff.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    # A card refund owed to a shopper (its sender is registered by commerce.payments).
    STRIPE_REFUND = "stripe_refund", _("Stripe refund")
    # An outbound webhook delivery to a merchant's endpoint (sender: commerce.developers).
    WEBHOOK = "webhook", _("Webhook")


class MessageStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class OutboxMessage(models.Model):
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    # Unique: a second enqueue with the same key writes nothing (a retried reminder run,
    # a redelivered webhook).
    dedupe_key = models.CharField(_("dedupe key"), max_length=200)
    # Plain integer, no foreign key: the outbox sits below tenants in the layers.
    merchant_id = models.BigIntegerField(_("merchant id"), null=True, blank=True)
    # What the channel's sender needs; for email: to, cc, subject, body, html, from_email.
    payload = models.JSONField(_("payload"))
    status = models.CharField(
        _("status"), max_length=10, choices=MessageStatus.choices, default=MessageStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    last_error = models.TextField(_("last error"), blank=True, default="")
    created_at = models.DateTimeField(_("created at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        constraints = [
            models.UniqueConstraint(fields=["dedupe_key"], name="outbox_message_dedupe_key_uniq"),
            models.CheckConstraint(
                condition=Q(status__in=MessageStatus.values), name="outbox_message_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status=MessageStatus.SENT, sent_at__isnull=False)
                | (~Q(status=MessageStatus.SENT) & Q(sent_at__isnull=True)),
                name="outbox_message_sent_has_sent_at",
            ),
        ]
        indexes = [
            # What the delivery task asks for: due pending rows, oldest first.
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=Q(status=MessageStatus.PENDING),
                name="outbox_message_due_idx",
            ),
            # The console: one status, newest first.
            models.Index(fields=["status", "-created_at"], name="outbox_message_status_idx"),
            models.Index(fields=["merchant_id", "-created_at"], name="outbox_message_merchant_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.dedupe_key} ({self.status})"

    @property
    def summary(self) -> str:
        """A line for staff: the email's subject (other channels name their own)."""
        return str(self.payload.get("subject", ""))

    @property
    def recipients(self) -> list[str]:
        return list(self.payload.get("to", []))
