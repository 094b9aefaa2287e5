"""Refunds: recorded once per idempotency key, through the original payment route."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from analytics.events import OrderRefunded
from analytics.ledger import StatsDelta, local_date_for, record_event
from commerce.orders.models import Order, PaymentMethod, PaymentStatus
from commerce.orders.services import add_event
from commerce.payments import card
from commerce.payments.models import Refund, RefundStatus
from commerce.plugins import hooks as plugin_hooks
from tenants.money import has_valid_precision


def parse_refund_amount(raw, order: Order) -> Decimal:
    try:
        amount = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({"amount": [_("Enter an amount.")]}) from None
    if not amount.is_finite() or amount <= 0:
        raise ValidationError({"amount": [_("The amount must be more than zero.")]})
    if not has_valid_precision(amount, order.currency):
        raise ValidationError(
            {"amount": [_("Too many decimals for %(currency)s.") % {"currency": order.currency}]}
        )
    if amount > order.refundable:
        raise ValidationError(
            {"amount": [_("At most %(left)s can still be refunded.") % {"left": order.refundable}]}
        )
    return amount


def refund_order(order_id: int, *, amount, reason: str, actor: str, idempotency_key: str) -> Refund:
    """Refund (part of) a paid order. A second call with the same key returns the first
    refund and changes nothing.

    The amount is claimed on the order (refunded_total) and committed first; a card refund
    then goes to Stripe on the connected account with the same key, outside any lock; the
    refund is completed (status, timeline, ledger) afterwards. Offline payments are recorded
    as paid back in the first transaction."""
    existing = Refund.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": [_("Give a reason for the refund.")]})
    try:
        with transaction.atomic():
            order = Order.objects.select_for_update().get(pk=order_id)
            if order.payment_status not in (PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED):
                raise ValidationError({"amount": [_("Only paid orders can be refunded.")]})
            value = parse_refund_amount(amount, order)
            refund = Refund.objects.create(
                order=order,
                amount=value,
                reason=reason,
                idempotency_key=idempotency_key,
                status=RefundStatus.PENDING,
                actor=actor,
            )
            order.refunded_total += value
            order.save(update_fields=["refunded_total"])
            if order.payment_method != PaymentMethod.STRIPE:
                _complete(refund, order)
    except IntegrityError:
        # The same refund submitted twice at once: the other request recorded it.
        return Refund.objects.get(idempotency_key=idempotency_key)
    if refund.status == RefundStatus.PENDING:
        refund = _send_card_refund(refund)
    return refund


def _send_card_refund(refund: Refund) -> Refund:
    order = refund.order
    try:
        stripe_refund_id = card.refund_payment_intent(
            account_id=connection.tenant.stripe_account_id,
            intent_id=order.payment_intent_id,
            amount=refund.amount,
            currency=order.currency,
            idempotency_key=f"refund:{refund.idempotency_key}",
        )
    except Exception:
        with transaction.atomic():
            locked = Order.objects.select_for_update().get(pk=order.pk)
            locked.refunded_total -= refund.amount
            locked.save(update_fields=["refunded_total"])
            Refund.objects.filter(pk=refund.pk).update(status=RefundStatus.FAILED)
            add_event(locked, "refund_failed", _("Card refund failed"), actor=refund.actor)
        raise
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        refund.stripe_refund_id = stripe_refund_id
        refund.save(update_fields=["stripe_refund_id"])
        _complete(refund, locked)
    return refund


def _complete(refund: Refund, order: Order) -> None:
    """Mark a claimed refund done: status, order payment status, timeline and ledger.

    `completed_at` is the same moment as the ledger event, so the ledger can be rebuilt
    from the tenant's own tables (commerce.orders.ledger_truth)."""
    refunded_at = timezone.now()
    refund.status = RefundStatus.SUCCEEDED
    refund.completed_at = refunded_at
    refund.save(update_fields=["status", "completed_at"])
    order.payment_status = (
        PaymentStatus.REFUNDED
        if order.refunded_total == order.total
        else PaymentStatus.PARTIALLY_REFUNDED
    )
    order.save(update_fields=["payment_status"])
    add_event(
        order,
        "refunded",
        _("Refunded %(amount)s") % {"amount": refund.amount},
        actor=refund.actor,
        data={"amount": str(refund.amount), "reason": refund.reason, "refund": refund.pk},
    )
    merchant = connection.tenant
    paid_on = local_date_for(merchant, order.paid_at or refunded_at)
    refunded_on = local_date_for(merchant, refunded_at)
    # Billing periods are local months: a refund of an order paid in an earlier month is
    # credited against that month's invoice instead of reducing this month's GMV.
    from_earlier_month = (paid_on.year, paid_on.month) != (refunded_on.year, refunded_on.month)
    record_event(
        merchant=merchant,
        event=OrderRefunded(order=order.pk, amount=refund.amount, paid_on=paid_on),
        idempotency_key=f"{connection.schema_name}:refund:{refund.idempotency_key}",
        occurred_at=refunded_at,
        delta=StatsDelta(
            refunds=refund.amount,
            refund_count=1,
            prior_period_refunds=refund.amount if from_earlier_month else Decimal("0"),
        ),
    )
    plugin_hooks.order_refunded(order, refund.amount)
