"""Refunds: recorded once per idempotency key, through the original payment route.

A card refund is a fact before it is a Stripe call: the Refund row (pending) and its outbox
message (channel "stripe_refund") are written in the transaction that decides it, so a
Stripe outage, a crash or a 500 right after cannot lose it. The outbox carries it to Stripe
(tried at once, then retried with backoff) with one Idempotency-Key per refund, and only
Stripe's confirmation marks it succeeded; a definite refusal marks it failed.
"""

from __future__ import annotations

import logging
from decimal import Decimal, InvalidOperation

import stripe
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from analytics.events import OrderRefunded
from analytics.ledger import StatsDelta, local_date_for, record_event
from commerce.checkout.models import CheckoutSession
from commerce.developers import events as webhooks
from commerce.orders import notifications
from commerce.orders.models import Order, PaymentMethod, PaymentStatus
from commerce.orders.services import add_event
from commerce.payments import card
from commerce.payments.models import Refund, RefundStatus
from commerce.plugins import hooks as plugin_hooks
from outbox import services as outbox
from outbox.models import Channel
from tenants.models import Merchant
from tenants.money import has_valid_precision

logger = logging.getLogger(__name__)

# Stripe's definite answers: retrying the same request cannot succeed (no such payment, the
# charge is already refunded, a declined refund). Anything else (unreachable, 5xx, rate
# limited, bad credentials) is retried by the outbox: the money is still owed.
STRIPE_REFUSALS = (stripe.InvalidRequestError, stripe.CardError)


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

    The amount is claimed on the order (refunded_total) and, for a card payment, the refund
    is owed through the outbox in the same transaction; it is then tried at once (an open
    caller's transaction still holds its locks then, as it always did). Stripe's answer
    completes it (status, timeline, ledger); while Stripe is unreachable it stays pending and
    the outbox retries it. Offline payments are recorded as paid back in the transaction."""
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
            else:
                _owe_card_refund(refund, subject=f"order {order.reference}")
    except IntegrityError:
        # The same refund submitted twice at once: the other request recorded it.
        return Refund.objects.get(idempotency_key=idempotency_key)
    if refund.status == RefundStatus.PENDING:
        send_owed_refund_now(refund)
        refund.refresh_from_db()
    return refund


def owe_checkout_refund(session: CheckoutSession, *, payment_intent_id: str) -> Refund:
    """A card payment arrived for a checkout whose stock is gone: owe the shopper the whole
    payment, in the caller's transaction (the one that found the stock gone, holding the
    checkout's row lock). Once per checkout, however often the payment is reported."""
    key = f"checkout:{session.reference}:refund-unfulfillable"
    existing = Refund.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return existing
    if not session.payment_intent_id:
        session.payment_intent_id = payment_intent_id
        session.save(update_fields=["payment_intent_id"])
    refund = Refund.objects.create(
        checkout=session,
        amount=session.total,
        reason="the stock was gone when the payment arrived",
        idempotency_key=key,
        status=RefundStatus.PENDING,
        actor="checkout",
    )
    _owe_card_refund(refund, subject=f"checkout {session.reference}")
    return refund


def _outbox_key(refund: Refund) -> str:
    return f"{connection.schema_name}:stripe-refund:{refund.idempotency_key}"


def _owe_card_refund(refund: Refund, *, subject: str) -> None:
    merchant = connection.tenant
    outbox.enqueue(
        Channel.STRIPE_REFUND,
        [
            outbox.NewMessage(
                dedupe_key=_outbox_key(refund),
                merchant_id=merchant.pk,
                payload={
                    "schema": connection.schema_name,
                    "refund": refund.pk,
                    # What staff read in the outbox console.
                    "subject": f"Refund {refund.amount} {merchant.currency} of {subject}",
                },
            )
        ],
    )


def send_owed_refund_now(refund: Refund) -> bool:
    """Try an owed card refund at once instead of waiting for the outbox's next run. True
    when Stripe confirmed it now; otherwise it stays owed and the outbox retries it."""
    return outbox.deliver_message(_outbox_key(refund))


def send_stripe_refund(payload: dict) -> None:
    """The outbox's "stripe_refund" sender: carry one owed refund to Stripe in its shop.

    Returns once Stripe has answered for good (the refund completed, or refused and marked
    failed); raises while Stripe cannot be reached, so the outbox tries again later with the
    same Idempotency-Key (Stripe then answers with the refund it made, never a second one)."""
    merchant = Merchant.objects.get(schema_name=payload["schema"])
    with merchant:
        refund = Refund.objects.select_related("order", "checkout").get(pk=payload["refund"])
        if refund.status != RefundStatus.PENDING:
            return  # completed by an earlier delivery
        paid = refund.order if refund.order_id else refund.checkout
        try:
            stripe_refund_id = card.refund_payment_intent(
                account_id=merchant.stripe_account_id,
                intent_id=paid.payment_intent_id or "",
                amount=refund.amount,
                currency=paid.currency,
                idempotency_key=refund.stripe_idempotency_key,
            )
        except STRIPE_REFUSALS as error:
            logger.error("Stripe refused refund %s: %s", refund.idempotency_key, error)
            _refused(refund)
            return
        # Its own savepoint: a database error here rolls back only this, and the outbox
        # records the failure and retries (Stripe answers the retry with the same refund).
        with transaction.atomic():
            _confirmed(refund, stripe_refund_id)


def _confirmed(refund: Refund, stripe_refund_id: str) -> None:
    order = Order.objects.select_for_update().get(pk=refund.order_id) if refund.order_id else None
    locked = Refund.objects.select_for_update().get(pk=refund.pk)
    if locked.status != RefundStatus.PENDING:
        return
    locked.stripe_refund_id = stripe_refund_id
    locked.save(update_fields=["stripe_refund_id"])
    if order is None:
        locked.status = RefundStatus.SUCCEEDED
        locked.completed_at = timezone.now()
        locked.save(update_fields=["status", "completed_at"])
    else:
        _complete(locked, order)


def _refused(refund: Refund) -> None:
    with transaction.atomic():
        order = (
            Order.objects.select_for_update().get(pk=refund.order_id) if refund.order_id else None
        )
        locked = Refund.objects.select_for_update().get(pk=refund.pk)
        if locked.status != RefundStatus.PENDING:
            return
        locked.status = RefundStatus.FAILED
        locked.save(update_fields=["status"])
        if order is not None:
            # The claimed amount is refundable again: the merchant can try another way.
            order.refunded_total -= locked.amount
            order.save(update_fields=["refunded_total"])
            add_event(order, "refund_failed", _("Card refund failed"), actor=locked.actor)


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
    notifications.order_refunded(
        order, amount=refund.amount, refund_key=refund.idempotency_key, actor=refund.actor
    )
    webhooks.emit_order(webhooks.EventType.ORDER_REFUNDED, order)
