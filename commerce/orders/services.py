"""Orders: creation (shared by online checkout and POS), payment, fulfilment, cancellation."""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from analytics.events import FirstInStoreOrder, OrderCancelled, OrderPaid
from analytics.ledger import StatsDelta, record_event
from commerce.catalog.models import Product, Stock, Variant
from commerce.developers import events as webhooks
from commerce.orders import notifications
from commerce.orders.models import (
    Channel,
    FulfilmentStatus,
    Order,
    PaymentMethod,
    PaymentStatus,
    ShippingMethod,
    status_token,
)
from commerce.orders.selectors import SoldLine
from commerce.plugins import hooks as plugin_hooks
from commerce.store.models import Outlet
from tenants.money import round_money

MAX_LINE_QUANTITY = 999
# Orders a plugin holds back from fulfilment (a group-buy team that has not filled yet).
HELD_TAG = "groupbuy-held"


@dataclass(frozen=True)
class LineRequest:
    variant_id: int
    quantity: int


@dataclass(frozen=True)
class PricedLine:
    variant: Variant
    quantity: int
    unit_price: Decimal
    # The outlet the units were taken from; None: the order's outlet.
    outlet_id: int | None = None

    @property
    def line_total(self) -> Decimal:
        return self.unit_price * self.quantity


class OutOfStock(Exception):
    """Not enough units at the outlet; `sku` and `available` say which and how many."""

    def __init__(self, sku: str, available: int):
        super().__init__(f"{sku}: only {available} left")
        self.sku = sku
        self.available = available


def merge_lines(lines: list[LineRequest]) -> dict[int, int]:
    """Quantities per variant, validated: positive, bounded, whole numbers."""
    wanted: dict[int, int] = defaultdict(int)
    for line in lines:
        if not isinstance(line.quantity, int) or line.quantity < 1:
            raise ValidationError(
                {"quantity": [_("Quantities must be whole numbers of 1 or more.")]}
            )
        wanted[line.variant_id] += line.quantity
        if wanted[line.variant_id] > MAX_LINE_QUANTITY:
            raise ValidationError(
                {
                    "quantity": [
                        _("At most %(max)s of one item per order.") % {"max": MAX_LINE_QUANTITY}
                    ]
                }
            )
    if not wanted:
        raise ValidationError({"lines": [_("Add at least one item.")]})
    return dict(wanted)


def reserve_stock(
    outlet_id: int, wanted: dict[int, int], *, published_only: bool
) -> list[PricedLine]:
    """Take the units from one outlet's stock (the till, group-buy seats) and price them,
    or raise and change nothing. See reserve_from_outlets."""
    return reserve_from_outlets((outlet_id,), wanted, published_only=published_only)


def reserve_from_outlets(
    outlet_ids: Sequence[int], wanted: dict[int, int], *, published_only: bool
) -> list[PricedLine]:
    """Take the units from the outlets' stock, the first outlet first, and price them, or
    raise and change nothing. Call inside a transaction.

    An item one outlet cannot fill alone is split: the first outlet gives what it has, the
    next the rest, and so on; each priced line says which outlet its units came from (one
    line per item and outlet, in the outlets' order).

    One query locks the stock rows of every outlet in primary-key order (so concurrent
    multi-item checkouts cannot deadlock) and reads today's prices with them (never the
    client's); availability (the sum over the outlets) is checked under the lock.

    A single item (most orders, every group-buy seat) first tries one conditional UPDATE
    at the first outlet; when that takes nothing (it locks nothing either), the general
    path below splits the item or finds out why it cannot be sold.
    """
    if not outlet_ids:
        raise ValidationError({"outlet": [_("This shop has no outlet for online orders.")]})
    first = outlet_ids[0]
    if len(wanted) == 1:
        [(variant_id, quantity)] = wanted.items()
        taken = _take_one(first, variant_id, quantity, published_only=published_only)
        if taken is not None:
            return [
                PricedLine(
                    variant=taken, quantity=quantity, unit_price=taken.price, outlet_id=first
                )
            ]
    stocks = _lock_stock_rows(list(outlet_ids), list(wanted))
    found: dict[int, Variant] = {}
    available: dict[int, int] = defaultdict(int)
    for stock in stocks:
        found[stock.variant_id] = stock.variant
        available[stock.variant_id] += stock.quantity
    unavailable = sorted(
        variant_id
        for variant_id, variant in found.items()
        if not variant.is_active or (published_only and not variant.product.is_published)
    )
    missing = sorted(set(wanted) - set(found))
    if missing:
        # No stock row here: an unknown item, or a known one that is sold out at these outlets.
        known = Variant.objects.filter(pk__in=missing, is_active=True)
        if published_only:
            known = known.filter(product__is_published=True)
        known_skus = dict(known.values_list("pk", "sku"))
        unavailable = sorted([*unavailable, *(vid for vid in missing if vid not in known_skus)])
        if not unavailable:
            raise OutOfStock(known_skus[missing[0]], 0)
    if unavailable:
        raise ValidationError(
            {"variant": [_("Unknown or unavailable item: %(ids)s.") % {"ids": unavailable}]}
        )
    for variant_id, quantity in sorted(wanted.items()):
        if available[variant_id] < quantity:
            raise OutOfStock(found[variant_id].sku, available[variant_id])
    rank = {outlet_id: position for position, outlet_id in enumerate(outlet_ids)}
    by_outlet_order = sorted(stocks, key=lambda stock: (rank[stock.outlet_id], stock.pk))
    still_wanted = dict(wanted)
    changes: list[tuple[int, int]] = []
    taken_at: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for stock in by_outlet_order:
        take = min(still_wanted[stock.variant_id], stock.quantity)
        if take > 0:
            still_wanted[stock.variant_id] -= take
            changes.append((stock.pk, -take))
            taken_at[stock.variant_id].append((stock.outlet_id, take))
    _shift_stock(sorted(changes))
    return [
        PricedLine(
            variant=found[variant_id],
            quantity=quantity,
            unit_price=found[variant_id].price,
            outlet_id=outlet_id,
        )
        for variant_id in sorted(wanted)
        for outlet_id, quantity in taken_at[variant_id]
    ]


@dataclass(frozen=True)
class LockedStock:
    pk: int
    outlet_id: int
    variant_id: int
    quantity: int
    variant: Variant


# Fixed SQL: on the checkout path, compiling the equivalent ORM query cost more than the
# database's work (bench/checkout.py).
_LOCK_STOCK_SQL = """
    SELECT s.id, s.outlet_id, s.variant_id, s.quantity, v.sku, v.name, v.price, v.is_active,
           p.id, p.title, p.slug, p.is_published
    FROM catalog_stock s
    JOIN catalog_variant v ON v.id = s.variant_id
    JOIN catalog_product p ON p.id = v.product_id
    WHERE s.outlet_id = ANY(%s) AND s.variant_id = ANY(%s)
    ORDER BY s.id
    FOR UPDATE OF s
"""


_TAKE_ONE_SQL = """
    UPDATE catalog_stock AS s SET quantity = s.quantity - %(quantity)s
    FROM catalog_variant v JOIN catalog_product p ON p.id = v.product_id
    WHERE s.outlet_id = %(outlet)s AND s.variant_id = %(variant)s AND v.id = s.variant_id
      AND s.quantity >= %(quantity)s AND v.is_active
      AND (p.is_published OR NOT %(published_only)s)
    RETURNING v.id, v.sku, v.name, v.price, p.id, p.title, p.slug, p.is_published
"""


def _take_one(
    outlet_id: int, variant_id: int, quantity: int, *, published_only: bool
) -> Variant | None:
    """Take `quantity` of one variant if the outlet has them and it may be sold: the row
    lock comes with the UPDATE, and PostgreSQL re-checks the condition against a row a
    concurrent checkout just changed, so it never takes more than there is."""
    with connection.cursor() as cursor:
        cursor.execute(
            _TAKE_ONE_SQL,
            {
                "quantity": quantity,
                "outlet": outlet_id,
                "variant": variant_id,
                "published_only": published_only,
            },
        )
        row = cursor.fetchone()
    if row is None:
        return None
    variant_pk, sku, name, price, product_id, title, slug, is_published = row
    variant = Variant(id=variant_pk, sku=sku, name=name, price=price, is_active=True)
    variant.product = Product(id=product_id, title=title, slug=slug, is_published=is_published)
    return variant


def _lock_stock_rows(outlet_ids: list[int], variant_ids: list[int]) -> list[LockedStock]:
    """The outlets' stock rows of these variants, locked in primary-key order, each with
    its variant and product as they are now."""
    with connection.cursor() as cursor:
        cursor.execute(_LOCK_STOCK_SQL, [outlet_ids, variant_ids])
        rows = cursor.fetchall()
    locked = []
    variants: dict[int, Variant] = {}
    for (stock_id, outlet_id, variant_id, quantity, sku, name, price, is_active,
         product_id, title, slug, is_published) in rows:  # fmt: skip
        variant = variants.get(variant_id)
        if variant is None:
            variant = Variant(id=variant_id, sku=sku, name=name, price=price, is_active=is_active)
            variant.product = Product(
                id=product_id, title=title, slug=slug, is_published=is_published
            )
            variants[variant_id] = variant
        locked.append(LockedStock(stock_id, outlet_id, variant_id, quantity, variant))
    return locked


def take_stock(outlet_ids: Sequence[int], wanted: dict[int, int]) -> list[PricedLine]:
    """Take units without pricing them (the prices were fixed earlier, e.g. at reservation):
    the returned lines say where each came from; their prices are today's, to be ignored."""
    return reserve_from_outlets(outlet_ids, wanted, published_only=False)


def return_stock(outlet_id: int, wanted: dict[int, int]) -> None:
    """Put units back at one outlet (cancellations, expired reservations, failed teams)."""
    return_taken_stock({(outlet_id, variant_id): units for variant_id, units in wanted.items()})


def return_taken_stock(taken: dict[tuple[int, int], int]) -> None:
    """Put units back where they were taken from: {(outlet id, variant id): units}. The
    rows are locked in primary-key order across every outlet, as checkout locks them."""
    if not taken:
        return
    stocks = _lock_taken_stock_rows(taken)
    _shift_stock([(pk, taken[place]) for pk, place in stocks])
    missing = set(taken) - {place for _pk, place in stocks}
    Stock.objects.bulk_create(
        [
            Stock(variant_id=variant_id, outlet_id=outlet_id, quantity=taken[outlet_id, variant_id])
            for outlet_id, variant_id in sorted(missing)
        ]
    )


def lock_taken_stock(order: Order) -> None:
    """Lock the stock rows the order's units go back to when it is cancelled (primary-key
    order, as checkout locks them), for a caller that must hold them before a row that comes
    after stock in its lock order (a group-buy campaign's quota, see cancel_order)."""
    taken = order_taken_stock(order)
    if taken:
        _lock_taken_stock_rows(taken)


def _lock_taken_stock_rows(
    taken: dict[tuple[int, int], int],
) -> list[tuple[int, tuple[int, int]]]:
    """[(stock id, (outlet id, variant id))] of the places in `taken` that have a row, locked
    in primary-key order across every outlet."""
    outlet_ids = sorted({outlet_id for outlet_id, _variant_id in taken})
    variant_ids = sorted({variant_id for _outlet_id, variant_id in taken})
    return [
        (pk, (outlet_id, variant_id))
        for pk, outlet_id, variant_id in Stock.objects.select_for_update()
        .filter(outlet_id__in=outlet_ids, variant_id__in=variant_ids)
        .order_by("pk")
        .values_list("pk", "outlet_id", "variant_id")
        if (outlet_id, variant_id) in taken
    ]


def _shift_stock(changes: list[tuple[int, int]]) -> None:
    if not changes:
        return
    values = ", ".join(["(%s, %s)"] * len(changes))
    params = [part for change in changes for part in change]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE catalog_stock AS s SET quantity = s.quantity + v.delta
            FROM (VALUES {values}) AS v(id, delta) WHERE s.id = v.id
            """,
            params,
        )


# The shopper's customer row (one per email): `is_new` when this is their first order here.
_UPSERT_CUSTOMER_SQL = """
    INSERT INTO orders_customer (email, name, phone, orders_count, first_order_at, created_at)
    VALUES (%s, %s, %s, 1, %s, %s)
    ON CONFLICT (email) DO UPDATE SET orders_count = orders_customer.orders_count + 1,
        name = CASE WHEN EXCLUDED.name <> '' THEN EXCLUDED.name ELSE orders_customer.name END
    RETURNING id, orders_count = 1 AS is_new
"""
_NO_CUSTOMER_SQL = "SELECT NULL::integer AS id, false AS is_new"


@dataclass(frozen=True)
class NewOrder:
    channel: str
    outlet_id: int
    payment_method: str
    shipping_method: str
    currency: str
    lines: list[PricedLine]
    shipping_total: Decimal = Decimal("0")
    email: str = ""
    contact_name: str = ""
    phone: str = ""
    shipping_address: dict | None = None
    tags: tuple[str, ...] = ()
    reference: str | None = None
    cash_tendered: Decimal | None = None
    change_due: Decimal | None = None


def create_order(data: NewOrder, *, actor: str = "") -> Order:
    """Write the order, its lines and first event. Stock must already be taken.

    One fixed statement writes all three, and the customer row of the order's email
    (every checkout and group-buy seat comes through here, and compiling four ORM writes
    cost more than the database's work)."""
    subtotal = round_money(
        sum((line.line_total for line in data.lines), Decimal("0")), data.currency
    )
    shipping_total = round_money(data.shipping_total, data.currency)
    total = subtotal + shipping_total
    order = Order(
        reference=data.reference or uuid.uuid4(),
        status_token=status_token(),
        channel=data.channel,
        outlet_id=data.outlet_id,
        status=FulfilmentStatus.UNFULFILLED,
        payment_status=PaymentStatus.PENDING,
        payment_method=data.payment_method,
        currency=data.currency,
        subtotal=subtotal,
        shipping_total=shipping_total,
        total=total,
        refunded_total=Decimal("0"),
        email=data.email.strip().lower(),
        contact_name=data.contact_name,
        phone=data.phone,
        shipping_method=data.shipping_method,
        shipping_address=data.shipping_address or {},
        tags=list(data.tags),
        created_at=timezone.now(),
        cash_tendered=data.cash_tendered,
        change_due=data.change_due,
    )
    params = (
        [order.email, order.contact_name, order.phone, order.created_at, order.created_at]
        if order.email
        else []
    )
    params += [
        order.reference, order.status_token, order.channel, order.outlet_id, order.status,
        order.payment_status, order.payment_method, order.currency, order.subtotal,
        order.shipping_total, order.total, order.refunded_total, order.email,
        order.contact_name, order.phone, order.shipping_method,
        json.dumps(order.shipping_address), order.tags, order.created_at,
        data.cash_tendered, data.change_due,
    ]  # fmt: skip
    for line in data.lines:
        params += [
            line.variant.pk, line.variant.product.title, line.variant.name, line.variant.sku,
            line.unit_price, line.quantity, line.line_total, line.outlet_id or data.outlet_id,
        ]  # fmt: skip
    params += [
        _("Order placed"), json.dumps({"total": str(total)}), actor, order.created_at
    ]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(_insert_order_sql(len(data.lines), with_customer=bool(order.email)), params)
        order.pk, order.customer_id, order.is_new_customer = cursor.fetchone()
    order._state.adding = False
    order._state.db = connection.alias
    notifications.order_placed(
        order,
        lines=[
            SoldLine(line.variant.product.title, line.variant.name, line.quantity, line.line_total)
            for line in data.lines
        ],
    )
    webhooks.emit_order(webhooks.EventType.ORDER_CREATED, order)
    return order


def _insert_order_sql(line_count: int, *, with_customer: bool) -> str:
    line_values = ", ".join(
        ["(%s::integer, %s, %s, %s, %s::numeric, %s::integer, %s::numeric, %s::integer)"]
        * line_count
    )
    return f"""
        WITH customer AS (
            {_UPSERT_CUSTOMER_SQL if with_customer else _NO_CUSTOMER_SQL}
        ), new_order AS (
            INSERT INTO orders_order (
                reference, status_token, channel, outlet_id, status, payment_status,
                payment_method, currency, subtotal, shipping_total, total, refunded_total,
                email, contact_name, phone, shipping_method, shipping_address, tags,
                created_at, customer_id, is_new_customer,
                carrier, tracking_number, payment_intent_id, cash_tendered, change_due
            )
            VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,
                    %s::jsonb, %s::varchar(30)[], %s,
                    (SELECT id FROM customer), (SELECT is_new FROM customer), '', '', '',
                    %s::numeric, %s::numeric)
            RETURNING id, customer_id, is_new_customer
        ), new_lines AS (
            INSERT INTO orders_orderline (
                order_id, variant_id, product_title, variant_name, sku, unit_price, quantity,
                line_total, outlet_id
            )
            SELECT new_order.id, line.* FROM new_order, (VALUES {line_values}) AS line
        ), placed AS (
            INSERT INTO orders_orderevent (order_id, kind, message, data, actor, created_at)
            SELECT id, 'placed', %s, %s::jsonb, %s, %s FROM new_order
        )
        SELECT id, customer_id, is_new_customer FROM new_order
    """


_ADD_EVENT_SQL = """
    INSERT INTO orders_orderevent (order_id, kind, message, data, actor, created_at)
    VALUES (%s, %s, %s, %s::jsonb, %s, %s)
"""


def add_event(order: Order, kind: str, message: str, *, actor: str = "", data=None) -> None:
    """Append to the order's timeline."""
    with connection.cursor() as cursor:
        cursor.execute(
            _ADD_EVENT_SQL,
            [
                order.pk,
                kind,
                str(message),
                json.dumps(data or {}, cls=DjangoJSONEncoder),
                actor,
                timezone.now(),
            ],
        )


def _ledger_key(order: Order, what: str) -> str:
    return f"{connection.schema_name}:order:{order.reference}:{what}"


# The payment and its timeline entry in one statement (every paid order comes through here).
_MARK_PAID_SQL = """
    WITH paid AS (
        UPDATE orders_order SET payment_status = 'paid', paid_at = %s WHERE id = %s
        RETURNING id, paid_at
    )
    INSERT INTO orders_orderevent (order_id, kind, message, data, actor, created_at)
    SELECT id, 'paid', %s, %s::jsonb, %s, paid_at FROM paid
"""


def mark_paid(order: Order, *, actor: str = "", payment_data: dict | None = None) -> Order:
    """Record the payment and write the ledger's order_paid event (once per order)."""
    if order.payment_status != PaymentStatus.PENDING:
        return order
    order.payment_status = PaymentStatus.PAID
    order.paid_at = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            _MARK_PAID_SQL,
            [
                order.paid_at,
                order.pk,
                _("Payment received"),
                json.dumps(payment_data or {}, cls=DjangoJSONEncoder),
                actor,
            ],
        )
    in_store = order.channel == Channel.IN_STORE
    groupbuy = "groupbuy" in order.tags
    new_customer = bool(order.customer_id and order.is_new_customer)
    record_event(
        merchant=connection.tenant,
        event=OrderPaid(order=order.pk, channel=order.channel, total=order.total),
        idempotency_key=_ledger_key(order, "paid"),
        occurred_at=order.paid_at,
        delta=StatsDelta(
            gmv=order.total,
            orders=1,
            online_orders=0 if in_store else 1,
            online_gmv=Decimal("0") if in_store else order.total,
            in_store_orders=1 if in_store else 0,
            in_store_gmv=order.total if in_store else Decimal("0"),
            groupbuy_orders=1 if groupbuy else 0,
            groupbuy_gmv=order.total if groupbuy else Decimal("0"),
            groupbuy_new_customers=1 if groupbuy and new_customer else 0,
            new_customers=1 if new_customer else 0,
            returning_customers=1 if order.customer_id and not order.is_new_customer else 0,
        ),
    )
    notifications.payment_received(order)
    webhooks.emit_order(webhooks.EventType.ORDER_PAID, order)
    return order


def order_taken_stock(order: Order) -> dict[tuple[int, int], int]:
    """{(outlet, variant): units} the order's lines took (lines from before outlets were
    recorded per line took theirs from the order's outlet)."""
    taken: dict[tuple[int, int], int] = defaultdict(int)
    for variant_id, outlet_id, quantity in order.lines.values_list(
        "variant_id", "outlet_id", "quantity"
    ):
        if variant_id is not None:
            taken[outlet_id or order.outlet_id, variant_id] += quantity
    return dict(taken)


@transaction.atomic
def fulfil_order(order_id: int, *, carrier: str, tracking_number: str, actor: str) -> Order:
    order = Order.objects.select_for_update().get(pk=order_id)
    if order.status != FulfilmentStatus.UNFULFILLED:
        raise ValidationError({"status": [_("Only unfulfilled orders can be fulfilled.")]})
    if order.payment_status == PaymentStatus.REFUNDED:
        raise ValidationError({"status": [_("A refunded order cannot be fulfilled.")]})
    if HELD_TAG in order.tags:
        raise ValidationError({"status": [_("This order ships when its group-buy team fills.")]})
    order.status = FulfilmentStatus.FULFILLED
    order.carrier = carrier.strip()
    order.tracking_number = tracking_number.strip()
    order.fulfilled_at = timezone.now()
    order.save(update_fields=["status", "carrier", "tracking_number", "fulfilled_at"])
    add_event(
        order,
        "fulfilled",
        _("Fulfilled"),
        actor=actor,
        data={"carrier": order.carrier, "tracking_number": order.tracking_number},
    )
    notifications.order_fulfilled(order)
    webhooks.emit_order(webhooks.EventType.ORDER_FULFILLED, order)
    return order


@transaction.atomic
def cancel_order(order_id: int, *, reason: str, actor: str) -> Order:
    """Cancel an unfulfilled order and return its stock. Paid orders are refunded first
    (their refunds recorded; a card refund may still be on its way). A plugin holding
    something for the order (a group-buy seat) lets go of it first, in this transaction
    (`plugins.hooks.order_cancelling`): a refusal below undoes that too."""
    plugin_hooks.order_cancelling(order_id)
    order = Order.objects.select_for_update().get(pk=order_id)
    if order.status != FulfilmentStatus.UNFULFILLED:
        raise ValidationError({"status": [_("Only unfulfilled orders can be cancelled.")]})
    # A payment whose whole amount is claimed by refunds may be cancelled even while a card
    # refund is still owed (pending at Stripe): the outbox pays it back.
    if (
        order.payment_status in (PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED)
        and order.refundable > 0
    ):
        raise ValidationError({"status": [_("Refund the payment before cancelling.")]})
    return_taken_stock(order_taken_stock(order))
    order.status = FulfilmentStatus.CANCELLED
    order.cancelled_at = timezone.now()
    if order.payment_status == PaymentStatus.PENDING:
        order.payment_status = PaymentStatus.VOIDED
    order.save(update_fields=["status", "cancelled_at", "payment_status"])
    add_event(order, "cancelled", _("Cancelled"), actor=actor, data={"reason": reason})
    record_event(
        merchant=connection.tenant,
        event=OrderCancelled(order=order.pk),
        idempotency_key=_ledger_key(order, "cancelled"),
        occurred_at=order.cancelled_at,
        delta=StatsDelta(cancelled_orders=1),
    )
    notifications.order_cancelled(order, actor=actor)
    webhooks.emit_order(webhooks.EventType.ORDER_CANCELLED, order)
    return order


POS_PAYMENT_METHODS = {PaymentMethod.CASH, PaymentMethod.CARD_OFFLINE}


def pos_sale(
    *,
    outlet_id: int,
    lines: list[LineRequest],
    payment_method: str,
    actor: str,
    email: str = "",
    cash_tendered: Decimal | None = None,
) -> Order:
    """An in-store sale: the outlet's stock drops, the order is paid and handed over at once.

    For cash, `cash_tendered` (optional) is what the shopper handed over: it must cover the
    total (checked against the total priced under the stock lock, so a refusal changes
    nothing) and the change due is recorded with the order for the receipt.

    The shop's first in-store order is an onboarding signal (go-live stage).
    """
    if payment_method not in POS_PAYMENT_METHODS:
        raise ValidationError({"payment_method": [_("Choose cash or card terminal.")]})
    if cash_tendered is not None and payment_method != PaymentMethod.CASH:
        raise ValidationError({"cash_tendered": [_("Cash tendered is for cash payments only.")]})
    if not Outlet.objects.filter(pk=outlet_id, is_active=True).exists():
        raise ValidationError({"outlet": [_("Choose an active outlet.")]})
    wanted = merge_lines(lines)
    currency = connection.tenant.currency
    with transaction.atomic():
        priced = reserve_stock(outlet_id, wanted, published_only=False)
        change_due = None
        if cash_tendered is not None:
            total = round_money(sum((line.line_total for line in priced), Decimal("0")), currency)
            if cash_tendered < total:
                raise ValidationError(
                    {
                        "cash_tendered": [
                            _("Cash tendered (%(tendered)s) is less than the total (%(total)s).")
                            % {"tendered": cash_tendered, "total": total}
                        ]
                    }
                )
            change_due = cash_tendered - total
        order = create_order(
            NewOrder(
                channel=Channel.IN_STORE,
                outlet_id=outlet_id,
                payment_method=payment_method,
                shipping_method=ShippingMethod.NONE,
                currency=currency,
                lines=priced,
                email=email,
                cash_tendered=cash_tendered,
                change_due=change_due,
            ),
            actor=actor,
        )
        mark_paid(order, actor=actor)
        order.status = FulfilmentStatus.FULFILLED
        order.fulfilled_at = order.paid_at
        order.save(update_fields=["status", "fulfilled_at"])
        add_event(order, "fulfilled", _("Handed over in store"), actor=actor)
        record_event(
            merchant=connection.tenant,
            event=FirstInStoreOrder(order=order.pk, outlet=outlet_id),
            idempotency_key=f"{connection.schema_name}:first_in_store_order",
            occurred_at=order.paid_at,
        )
    return order


@transaction.atomic
def record_offline_payment(order_id: int, *, actor: str) -> Order:
    """The merchant received the cash (delivery or in store): the order counts as GMV now."""
    order = Order.objects.select_for_update().get(pk=order_id)
    if order.payment_method not in (PaymentMethod.CASH_ON_DELIVERY, PaymentMethod.PAY_IN_STORE):
        raise ValidationError({"payment": [_("Card payments are recorded by the card provider.")]})
    if order.payment_status != PaymentStatus.PENDING or order.status == FulfilmentStatus.CANCELLED:
        raise ValidationError({"payment": [_("This order is not awaiting payment.")]})
    return mark_paid(order, actor=actor)
