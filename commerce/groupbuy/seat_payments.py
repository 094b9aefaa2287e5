"""Paying a seat: its card PaymentIntent, and the payment's arrival (webhook or return
page), which counts the seat, may fill the team, or refunds a seat whose team closed; or,
in a shop paid offline (cash on delivery, pay in store), the member's commitment, which
counts the seat at once and may fill the team.
"""

from __future__ import annotations

import functools
from decimal import Decimal

from django.db import connection, transaction
from django.utils.translation import gettext as _

from commerce.groupbuy.models import NoticeKind, SeatStatus, Team, TeamMember, TeamStatus
from commerce.groupbuy.notices import notify_member
from commerce.groupbuy.scheduling import send_notices_soon
from commerce.groupbuy.seats import SeatDetails, take_seat
from commerce.groupbuy.teams import SeatUnavailable, refund_paid_seat, refund_seat, succeed_team
from commerce.orders import services as orders
from commerce.orders.models import Order, PaymentMethod, PaymentStatus

# Seats paid to the shop when the goods are handed over: held on the member's word.
OFFLINE_SEAT_METHODS = (PaymentMethod.CASH_ON_DELIVERY, PaymentMethod.PAY_IN_STORE)


def start_seat_payment(member: TeamMember):
    """The seat's PaymentIntent on the shop's connected account (created once per seat)."""
    from commerce.payments import card

    order = Order.objects.get(pk=member.order_id)
    intent = card.create_intent(
        account_id=connection.tenant.stripe_account_id,
        amount=order.total,
        currency=order.currency,
        metadata={"groupbuy_seat": str(member.pk), "schema": connection.schema_name},
        idempotency_key=f"seat:{member.pk}:intent",
    )
    Order.objects.filter(pk=order.pk, payment_intent_id="").update(payment_intent_id=intent.id)
    return intent


def confirm_card_seat(member_id: int, *, intent_id: str, amount_received: Decimal) -> str:
    """A card payment for a seat succeeded (webhook or return page); see confirm_seat_payment."""
    member = TeamMember.objects.select_related("order").filter(pk=member_id).first()
    if member is None or member.order.payment_intent_id != intent_id:
        return "ignored"
    if amount_received != member.order.total:
        return "ignored"
    return confirm_seat_payment(member_id, payment_data={"payment_intent": intent_id})


def confirm_seat_payment(member_id: int, *, payment_data: dict | None = None) -> str:
    """The member's payment arrived. Returns "paid", "team_succeeded", "refunded" (the team
    closed meanwhile: the money goes back) or "duplicate"."""
    with transaction.atomic():
        team, member, order = _lock_seat(member_id)
        if member.status == SeatStatus.RELEASED:
            # The seat was given up (the team closed) before the money arrived: take the
            # payment on the books and give it straight back.
            order.payment_status = PaymentStatus.PENDING
            orders.mark_paid(order, payment_data=payment_data or {})
            refund_paid_seat(member, order, reason="payment arrived after the team closed")
            return "refunded"
        if member.status != SeatStatus.RESERVED:
            return "duplicate"
        if team.status != TeamStatus.OPEN:
            orders.mark_paid(order, payment_data=payment_data or {})
            refund_seat(member, order, reason="team closed before the payment arrived")
            return "refunded"
        member.status = SeatStatus.PAID
        team.seats_paid += 1
        if team.seats_paid == team.size:
            orders.mark_paid(order, payment_data=payment_data or {})
            member.save(update_fields=["status"])
            team.save(update_fields=["seats_paid"])
            succeed_team(team)  # its email says so: no share link needed any more
            return "team_succeeded"
        if _count_paid_seat(team, member):
            send_notices_soon()
        # Last: the ledger's day row is shared by every order of the shop, so its lock is
        # held only for the commit.
        orders.mark_paid(order, payment_data=payment_data or {})
    return "paid"


def _lock_seat(member_id: int) -> tuple[Team, TeamMember, Order]:
    """The seat with its team and order, all three rows locked (the team's first, as every
    path that changes seats locks it first), in one statement."""
    with connection.cursor() as cursor:
        cursor.execute(_lock_seat_sql(), [member_id])
        row = cursor.fetchone()
    if row is None:
        raise TeamMember.DoesNotExist(f"seat {member_id}")
    instances = []
    for model, columns in _SEAT_ROWS:
        values, row = row[: len(columns)], row[len(columns) :]
        instances.append(model.from_db(connection.alias, columns, values))
    team, member, order = instances
    member.team = team
    member.order = order
    return team, member, order


_SEAT_ROWS = [
    (model, [field.attname for field in model._meta.concrete_fields])
    for model in (Team, TeamMember, Order)
]


@functools.cache
def _lock_seat_sql() -> str:
    selected = ", ".join(
        f"{alias}.{model._meta.get_field(name).column}"
        for (model, names), alias in zip(_SEAT_ROWS, "tmo", strict=True)
        for name in names
    )
    return f"""
        SELECT {selected}
        FROM groupbuy_team t
        JOIN groupbuy_teammember m ON m.team_id = t.id
        JOIN orders_order o ON o.id = m.order_id
        WHERE m.id = %s
        FOR UPDATE
    """


# A paid seat that leaves the team short: the seat, the team's count and the member's
# notice (the share link to send on) in one statement. Returns the notice's id, or None
# when the member gets no email or had this one already.
_COUNT_PAID_SEAT_SQL = """
    WITH seat AS (
        UPDATE groupbuy_teammember SET status = 'paid' WHERE id = %(member)s
    ), counted AS (
        UPDATE groupbuy_team SET seats_paid = seats_paid + 1 WHERE id = %(team)s
    )
    INSERT INTO groupbuy_groupbuynotice (member_id, kind, seats_missing, created_at)
    SELECT %(member)s, 'seat_paid', %(missing)s, now() WHERE %(notify)s
    ON CONFLICT (member_id, kind) DO NOTHING
    RETURNING id
"""


def _count_paid_seat(team: Team, member: TeamMember) -> bool:
    """Whether a notice was recorded."""
    with connection.cursor() as cursor:
        cursor.execute(
            _COUNT_PAID_SEAT_SQL,
            {
                "member": member.pk,
                "team": team.pk,
                "notify": bool(member.email) and not member.is_virtual,
                "missing": team.size - team.seats_paid,
            },
        )
        return cursor.fetchone() is not None


def take_offline_seat(
    *,
    campaign_id: int,
    email: str,
    payment_method: str,
    team_id: int | None = None,
    quantity: int = 1,
    details: SeatDetails | None = None,
) -> TeamMember:
    """Start or join a team paying the shop offline (cash on delivery, pay in store): the
    seat is taken and committed in one transaction, so it counts towards the team at once
    and is never left awaiting a payment that cannot come online."""
    if payment_method not in OFFLINE_SEAT_METHODS:
        raise ValueError(f"not an offline payment method: {payment_method}")
    with transaction.atomic():
        member = take_seat(
            campaign_id=campaign_id,
            email=email,
            team_id=team_id,
            payment_method=payment_method,
            quantity=quantity,
            details=details,
        )
        commit_offline_seat(member.pk)
        member.refresh_from_db()
    return member


def commit_offline_seat(member_id: int) -> str:
    """The member commits to pay offline: the seat counts towards the team (invariant 5:
    the team row is locked and seats_paid never passes its size). The order stays
    awaiting payment until the shop records the cash; the team's success releases it for
    fulfilment. Returns "held", "team_succeeded" or "duplicate"."""
    with transaction.atomic():
        team, member, order = _lock_seat(member_id)
        if member.status != SeatStatus.RESERVED:
            return "duplicate"
        if order.payment_method not in OFFLINE_SEAT_METHODS:
            raise ValueError(f"seat {member_id} is paid by card, not offline")
        if team.status != TeamStatus.OPEN:
            raise SeatUnavailable(_("This team is closed."))
        member.status = SeatStatus.COMMITTED
        member.reserved_until = None
        member.save(update_fields=["status", "reserved_until"])
        team.seats_paid += 1
        team.save(update_fields=["seats_paid"])
        orders.add_event(
            order,
            "seat_held",
            _("Seat held in the group-buy team (%(method)s)")
            % {"method": order.get_payment_method_display()},
            actor="group-buy",
            data={"team": team.pk},
        )
        if team.seats_paid == team.size:
            succeed_team(team)
            return "team_succeeded"
        notify_member(member, NoticeKind.SEAT_HELD, seats_missing=team.size - team.seats_paid)
    return "held"
