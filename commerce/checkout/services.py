"""Checkout: stock reservation, the one finalize function, expiry.

Invariants (design.md 2-4): stock rows are locked in primary-key order and re-checked under
the lock; no lock is held across a Stripe call (reserve and commit first); the checkout
reference is unique, so the return page and the webhook, both calling finalize_checkout,
create at most one order.

Deadlines: a reservation's end is a row (`reserved_until` of a reserved checkout), and the
shop is noted in the public `deadlines.DueShop` index in the reserving transaction. The
`settle_checkout` ETA task is the fast path; `sweep_due_checkouts` (beat) settles every
checkout whose task was lost, visiting only shops that have one due.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from commerce.checkout.models import CheckoutLine, CheckoutSession, CheckoutStatus
from commerce.orders import services as orders
from commerce.orders.models import Channel, Order, PaymentMethod, ShippingMethod
from commerce.payments.services import owe_checkout_refund
from commerce.plugins import hooks as plugin_hooks
from commerce.store.models import StoreSettings
from commerce.store.selectors import online_routing, store_settings
from deadlines.services import note_due
from tenants.money import round_money

RESERVATION_MINUTES = 15
# A checkout is settled this long after its reservation ends (a shopper paying at the last
# second still finalizes through the return page or the webhook first).
SETTLEMENT_GRACE = timedelta(seconds=30)
# The name of checkout settlements in the public index of due shops.
SETTLEMENT_DEADLINE = "checkout_settlement"
OFFLINE_METHODS = {PaymentMethod.CASH_ON_DELIVERY, PaymentMethod.PAY_IN_STORE}


@dataclass(frozen=True)
class CheckoutRequest:
    reference: str
    lines: list[orders.LineRequest]
    email: str
    contact_name: str
    payment_method: str
    shipping_method: str
    phone: str = ""
    shipping_address: dict = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    # Pickup: the outlet the shopper collects from (may be left out when there is one).
    pickup_outlet_id: int | None = None


@dataclass(frozen=True)
class StockPlan:
    """Where a checkout takes its stock from, in order, and the order's outlet (the pickup
    outlet; for delivery None: the first outlet the stock came from)."""

    outlet_ids: tuple[int, ...]
    order_outlet_id: int | None

    def order_outlet(self, taken: Sequence[orders.PricedLine]) -> int:
        """The order's outlet once its stock is taken: the pickup outlet, else the first
        outlet the units came from."""
        if self.order_outlet_id is not None:
            return self.order_outlet_id
        used = {line.outlet_id for line in taken}
        return next(
            (outlet_id for outlet_id in self.outlet_ids if outlet_id in used), self.outlet_ids[0]
        )


def stock_plan(shipping_method: str, pickup_outlet_id: int | None) -> StockPlan:
    """Online orders take stock from the shop's fulfilling outlets in its order; a pickup
    takes from the chosen outlet first when it fulfils online orders (the rest is brought
    there from the others). No query on a warm cache."""
    routing = online_routing()
    if shipping_method != ShippingMethod.PICKUP:
        return StockPlan(outlet_ids=routing.fulfilling, order_outlet_id=None)
    if pickup_outlet_id is None:
        # A caller that names none (the API, one outlet): the first pickup outlet that
        # fulfils online orders, else the first. The storefront asks the shopper.
        pickup_outlet_id = next(
            (outlet_id for outlet_id in routing.fulfilling if outlet_id in routing.pickup),
            routing.pickup[0] if routing.pickup else None,
        )
    if pickup_outlet_id not in routing.pickup:
        raise ValidationError({"pickup_outlet": [_("Choose where you collect your order.")]})
    first = (pickup_outlet_id,) if pickup_outlet_id in routing.fulfilling else ()
    rest = tuple(outlet_id for outlet_id in routing.fulfilling if outlet_id != pickup_outlet_id)
    return StockPlan(outlet_ids=first + rest, order_outlet_id=pickup_outlet_id)


@dataclass(frozen=True)
class ShippingQuote:
    """What a shipping method costs for a basket, and the order's total with it."""

    method: str
    label: str
    fee: Decimal
    total: Decimal


def shipping_quotes(subtotal: Decimal, settings: StoreSettings) -> list[ShippingQuote]:
    """Every shipping method the shop offers, priced for this subtotal (shown at checkout
    before the order is placed; the order itself is priced again under the stock lock)."""
    currency = connection.tenant.currency
    offered = []
    if settings.shipping_flat_rate is not None:
        offered.append(ShippingMethod.FLAT)
    if settings.local_pickup:
        offered.append(ShippingMethod.PICKUP)
    quotes = []
    for method in offered:
        fee = round_money(shipping_cost(method, subtotal, settings), currency)
        total = round_money(subtotal, currency) + fee
        quotes.append(ShippingQuote(method=method, label=method.label, fee=fee, total=total))
    return quotes


def shipping_cost(method: str, subtotal: Decimal, settings: StoreSettings) -> Decimal:
    if method == ShippingMethod.PICKUP:
        if not settings.local_pickup:
            raise ValidationError({"shipping_method": [_("This shop does not offer pickup.")]})
        return Decimal("0")
    if method != ShippingMethod.FLAT or settings.shipping_flat_rate is None:
        raise ValidationError({"shipping_method": [_("Choose a shipping method.")]})
    if settings.free_shipping_over is not None and subtotal >= settings.free_shipping_over:
        return Decimal("0")
    return settings.shipping_flat_rate


def _validate(request: CheckoutRequest, settings: StoreSettings) -> None:
    errors = {}
    if not request.email or "@" not in request.email:
        errors["email"] = [_("Enter a valid email address.")]
    if not request.contact_name.strip():
        errors["contact_name"] = [_("Enter your name.")]
    if request.shipping_method == ShippingMethod.FLAT:
        for part in ("line1", "city"):
            if not str(request.shipping_address.get(part, "")).strip():
                errors[f"address_{part}"] = [_("This field is required.")]
    allowed = {
        PaymentMethod.CASH_ON_DELIVERY: settings.accepts_cash_on_delivery,
        PaymentMethod.PAY_IN_STORE: settings.accepts_pay_in_store,
        PaymentMethod.STRIPE: connection.tenant.stripe_charges_enabled,
    }
    if not allowed.get(request.payment_method, False):
        errors["payment_method"] = [_("Choose a payment method this shop accepts.")]
    if errors:
        raise ValidationError(errors)


def place_order(request: CheckoutRequest) -> Order:
    """Offline payment (cash on delivery, pay in store): reserve stock and create the order
    in one transaction. A repeated submit of the same checkout returns the same order."""
    if request.payment_method not in OFFLINE_METHODS:
        raise ValidationError({"payment_method": [_("Choose a payment method this shop accepts.")]})
    settings = store_settings()
    _validate(request, settings)
    wanted = orders.merge_lines(request.lines)
    plugin_hooks.veto_order(wanted)
    plan = stock_plan(request.shipping_method, request.pickup_outlet_id)
    try:
        with transaction.atomic():
            priced = plugin_hooks.price_lines(
                orders.reserve_from_outlets(plan.outlet_ids, wanted, published_only=True)
            )
            subtotal = sum((line.line_total for line in priced), Decimal("0"))
            return orders.create_order(
                orders.NewOrder(
                    reference=request.reference,
                    channel=Channel.ONLINE,
                    outlet_id=plan.order_outlet(priced),
                    payment_method=request.payment_method,
                    shipping_method=request.shipping_method,
                    shipping_total=shipping_cost(request.shipping_method, subtotal, settings),
                    currency=connection.tenant.currency,
                    lines=priced,
                    email=request.email,
                    contact_name=request.contact_name,
                    phone=request.phone,
                    shipping_address=request.shipping_address,
                    tags=request.tags,
                )
            )
    except (IntegrityError, orders.OutOfStock):
        # Submitted twice: the first submit made the order (and may have taken the last unit).
        existing = Order.objects.filter(reference=request.reference).first()
        if existing is None:
            raise
        return existing


def reserve_checkout(request: CheckoutRequest) -> CheckoutSession:
    """Card payment, step 1: hold the stock for RESERVATION_MINUTES and commit.

    The PaymentIntent is created afterwards, outside this transaction.
    """
    existing = CheckoutSession.objects.filter(reference=request.reference).first()
    if existing is not None:
        return existing
    if request.payment_method != PaymentMethod.STRIPE:
        raise ValidationError({"payment_method": [_("Choose a payment method this shop accepts.")]})
    settings = store_settings()
    _validate(request, settings)
    wanted = orders.merge_lines(request.lines)
    plugin_hooks.veto_order(wanted)
    plan = stock_plan(request.shipping_method, request.pickup_outlet_id)
    with transaction.atomic():
        priced = plugin_hooks.price_lines(
            orders.reserve_from_outlets(plan.outlet_ids, wanted, published_only=True)
        )
        subtotal = sum((line.line_total for line in priced), Decimal("0"))
        shipping = shipping_cost(request.shipping_method, subtotal, settings)
        session = CheckoutSession.objects.create(
            reference=request.reference,
            outlet_id=plan.order_outlet(priced),
            email=request.email.strip().lower(),
            contact_name=request.contact_name,
            phone=request.phone,
            shipping_method=request.shipping_method,
            shipping_address=request.shipping_address,
            payment_method=request.payment_method,
            currency=connection.tenant.currency,
            subtotal=subtotal,
            shipping_total=shipping,
            total=subtotal + shipping,
            tags=list(request.tags),
            reserved_until=timezone.now() + timedelta(minutes=RESERVATION_MINUTES),
        )
        CheckoutLine.objects.bulk_create(
            [
                CheckoutLine(
                    session=session,
                    variant=line.variant,
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                    outlet_id=line.outlet_id,
                )
                for line in priced
            ]
        )
        note_due(
            kind=SETTLEMENT_DEADLINE,
            merchant_id=connection.tenant.pk,
            due_at=session.reserved_until + SETTLEMENT_GRACE,
        )
        # robust: the reservation has committed and the deadline is a row; a broker that is
        # down only costs the fast path (the sweep settles it).
        transaction.on_commit(lambda: _schedule_settlement(str(session.reference)), robust=True)
    return session


def _schedule_settlement(reference: str) -> None:
    from commerce.checkout.tasks import settle_checkout

    settle_checkout.apply_async(
        args=[reference],
        countdown=RESERVATION_MINUTES * 60 + SETTLEMENT_GRACE.total_seconds(),
    )


@dataclass(frozen=True)
class FinalizeResult:
    order: Order | None
    # True when the payment arrived for a checkout whose stock was gone: refund it.
    needs_refund: bool = False


def finalize_checkout(
    reference: str, *, payment_intent_id: str, amount_received: Decimal
) -> FinalizeResult:
    """The one way a paid checkout becomes an order (return page, webhook, sweeper).

    Idempotent: a second call returns the same order. A payment for a checkout whose
    reservation expired takes the stock again if it is still there, else asks for a refund.
    """
    with transaction.atomic():
        session = CheckoutSession.objects.select_for_update().get(reference=reference)
        if session.order_id is not None:
            return FinalizeResult(order=session.order)
        if amount_received != session.total:
            raise ValidationError({"amount": [_("The amount paid does not match the order.")]})
        if session.refunds.exists():
            # Its payment is being refunded already: stock that came back since must not
            # also make it an order.
            return FinalizeResult(order=None, needs_refund=True)
        reserved = list(session.lines.select_related("variant__product"))
        priced = [
            orders.PricedLine(
                variant=line.variant,
                quantity=line.quantity,
                unit_price=line.unit_price,
                outlet_id=line.outlet_id or session.outlet_id,
            )
            for line in reserved
        ]
        if session.status == CheckoutStatus.EXPIRED:
            # The reserved units went back: take them again, wherever they are now, at the
            # prices the shopper paid.
            wanted: dict[int, int] = {}
            for line in reserved:
                wanted[line.variant_id] = wanted.get(line.variant_id, 0) + line.quantity
            paid_price = {line.variant_id: line.unit_price for line in reserved}
            variants = {line.variant_id: line.variant for line in reserved}
            plan = stock_plan(
                session.shipping_method,
                session.outlet_id if session.shipping_method == ShippingMethod.PICKUP else None,
            )
            try:
                with transaction.atomic():
                    taken = orders.take_stock(plan.outlet_ids, wanted)
            except (orders.OutOfStock, ValidationError):
                # Owed in this transaction: a Stripe outage after it cannot lose the refund.
                owe_checkout_refund(session, payment_intent_id=payment_intent_id)
                return FinalizeResult(order=None, needs_refund=True)
            priced = [
                orders.PricedLine(
                    variant=variants[line.variant.pk],
                    quantity=line.quantity,
                    unit_price=paid_price[line.variant.pk],
                    outlet_id=line.outlet_id,
                )
                for line in taken
            ]
        order = orders.create_order(
            orders.NewOrder(
                reference=str(session.reference),
                channel=Channel.ONLINE,
                outlet_id=session.outlet_id,
                payment_method=session.payment_method,
                shipping_method=session.shipping_method,
                shipping_total=session.shipping_total,
                currency=session.currency,
                lines=priced,
                email=session.email,
                contact_name=session.contact_name,
                phone=session.phone,
                shipping_address=session.shipping_address,
                tags=tuple(session.tags),
            )
        )
        order.payment_intent_id = payment_intent_id
        order.save(update_fields=["payment_intent_id"])
        orders.mark_paid(order, payment_data={"payment_intent": payment_intent_id})
        session.status = CheckoutStatus.COMPLETED
        session.order = order
        session.payment_intent_id = payment_intent_id
        session.save(update_fields=["status", "order", "payment_intent_id"])
    return FinalizeResult(order=order)


def release_expired_reservations(*, now=None, batch_size: int = 200) -> int:
    """Give back the stock of checkouts whose reservation ran out (each in its own
    transaction; rows another worker holds are skipped). Returns how many expired."""
    now = now or timezone.now()
    candidates = list(
        CheckoutSession.objects.filter(
            status=CheckoutStatus.RESERVED, reserved_until__lt=now
        ).values_list("pk", flat=True)[:batch_size]
    )
    return sum(release_reservation(pk, now=now) for pk in candidates)


def release_reservation(session_id: int, *, now) -> bool:
    """Give back one checkout's stock if its reservation ran out by `now` and it is still
    reserved (a row another worker holds is skipped). True when it was released."""
    with transaction.atomic():
        session = (
            CheckoutSession.objects.select_for_update(skip_locked=True)
            .filter(pk=session_id, status=CheckoutStatus.RESERVED, reserved_until__lt=now)
            .first()
        )
        if session is None:
            return False
        taken: dict[tuple[int, int], int] = {}
        for variant_id, outlet_id, quantity in session.lines.values_list(
            "variant_id", "outlet_id", "quantity"
        ):
            place = (outlet_id or session.outlet_id, variant_id)
            taken[place] = taken.get(place, 0) + quantity
        orders.return_taken_stock(taken)
        session.status = CheckoutStatus.EXPIRED
        session.save(update_fields=["status"])
        return True
