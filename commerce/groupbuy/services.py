"""Group-buy: campaigns, seats, the team outcome.

Invariant 5: a team never has more seats than its size (the team row is locked while a
seat is taken, and a database constraint says so too); a failed team refunds every paid
member exactly once (refund idempotency keys) and returns the stock.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from analytics.events import CampaignLaunched
from analytics.ledger import record_event
from commerce.cache import key as cache_key
from commerce.catalog.models import Variant
from commerce.checkout.services import shipping_cost
from commerce.groupbuy.models import (
    Campaign,
    GroupBuyNotice,
    NoticeKind,
    SeatStatus,
    Team,
    TeamMember,
    TeamStatus,
    share_token,
)
from commerce.money import check_price
from commerce.orders import services as orders
from commerce.orders.models import Channel, Order, PaymentStatus, ShippingMethod
from commerce.orders.services import HELD_TAG
from commerce.payments.services import refund_order
from commerce.plugins.selectors import is_enabled
from commerce.store.selectors import online_outlet_id, store_settings
from outbox import services as outbox
from tenants.hosts import shop_url

logger = logging.getLogger(__name__)

# How long a seat is held for its payment before it goes back to the team.
SEAT_PAYMENT_WINDOW = timedelta(minutes=15)


class SeatUnavailable(Exception):
    """The team is full, closed or expired, or the shopper is in it already."""


@dataclass(frozen=True)
class CampaignInput:
    name: str
    variant_id: int
    group_price: Decimal | str
    team_size: int
    team_window_hours: int
    starts_at: datetime
    ends_at: datetime
    leader_price: Decimal | str | None = None
    virtual_fill_max_missing: int = 0
    quota: int | None = None
    max_open_teams_per_customer: int = 1
    max_quantity_per_order: int = 1


def create_campaign(data: CampaignInput) -> Campaign:
    if not is_enabled("groupbuy"):
        raise ValidationError({"plugin": [_("Switch the group-buy plugin on first.")]})
    errors: dict[str, list[str]] = {}
    if not 2 <= data.team_size <= 100:
        errors["team_size"] = [_("A team has 2 to 100 members.")]
    if data.ends_at <= data.starts_at:
        errors["ends_at"] = [_("The campaign must end after it starts.")]
    elif timedelta(hours=data.team_window_hours) > data.ends_at - data.starts_at:
        errors["team_window_hours"] = [_("A team cannot stay open longer than the campaign.")]
    if data.team_window_hours < 1:
        errors["team_window_hours"] = [_("A team stays open at least one hour.")]
    if data.quota is not None and data.quota < 1:
        errors["quota"] = [_("A quota is at least one unit (leave it empty for no limit).")]
    if not 1 <= data.max_open_teams_per_customer <= 20:
        errors["max_open_teams_per_customer"] = [
            _("A shopper may lead 1 to 20 open teams at once.")
        ]
    if not 1 <= data.max_quantity_per_order <= orders.MAX_LINE_QUANTITY:
        errors["max_quantity_per_order"] = [
            _("A member may take 1 to %(max)s units.") % {"max": orders.MAX_LINE_QUANTITY}
        ]
    if not Variant.objects.filter(pk=data.variant_id, is_active=True).exists():
        errors["variant"] = [_("Choose an item of the catalog.")]
    group_price = leader_price = None
    try:
        group_price = check_price(data.group_price, "group_price")
        if data.leader_price not in (None, ""):
            leader_price = check_price(data.leader_price, "leader_price")
    except ValidationError as error:
        errors.update(error.message_dict)
    if group_price is not None and leader_price is not None and leader_price > group_price:
        errors["leader_price"] = [_("The leader's price cannot be above the group price.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        campaign = Campaign.objects.create(
            name=data.name.strip(),
            variant_id=data.variant_id,
            group_price=group_price,
            leader_price=leader_price,
            team_size=data.team_size,
            team_window_hours=data.team_window_hours,
            starts_at=data.starts_at,
            ends_at=data.ends_at,
            virtual_fill_max_missing=data.virtual_fill_max_missing,
            quota=data.quota,
            max_open_teams_per_customer=data.max_open_teams_per_customer,
            max_quantity_per_order=data.max_quantity_per_order,
        )
        record_event(
            merchant=connection.tenant,
            event=CampaignLaunched(plugin="groupbuy", campaign=campaign.pk),
            idempotency_key=f"{connection.schema_name}:campaign:{campaign.pk}:launched",
        )
    return campaign


@dataclass(frozen=True)
class SeatDetails:
    """How a seat's goods reach the member once the team fills."""

    shipping_method: str = ShippingMethod.PICKUP
    contact_name: str = ""
    phone: str = ""
    shipping_address: dict | None = None


def take_seat(
    *,
    campaign_id: int,
    email: str,
    team_id: int | None = None,
    payment_method: str,
    quantity: int = 1,
    details: SeatDetails | None = None,
) -> TeamMember:
    """Start a team (no team_id) or join one: the seat and the order's stock are reserved
    together, in one transaction, with the team row locked. The order awaits payment (by
    card: `start_seat_payment`, then the webhook or the return page confirm it).

    Joining is the hot path of a campaign (every member but the leader): it takes four
    fixed statements (team, stock, order with its customer, seat), see bench/groupbuy.py."""
    now = timezone.now()
    email = email.strip().lower()
    details = details or SeatDetails()
    try:
        with transaction.atomic():
            if team_id is None:
                seat = _open_team(campaign_id, email, quantity, now)
            else:
                seat = _lock_team_to_join(campaign_id, team_id, email, quantity, now)
            shipping_total = _seat_shipping(details, seat.unit_price * quantity)
            outlet_id = online_outlet_id()
            # Stock before the customer row (create_order), as in checkout: the same two
            # rows are never locked in opposite orders. Sold out raises; nothing is kept.
            [line] = orders.reserve_stock(
                outlet_id, {seat.variant_id: quantity}, published_only=False
            )
            order = orders.create_order(
                orders.NewOrder(
                    channel=Channel.ONLINE,
                    outlet_id=outlet_id,
                    payment_method=payment_method,
                    shipping_method=details.shipping_method,
                    shipping_total=shipping_total,
                    shipping_address=details.shipping_address or {},
                    contact_name=details.contact_name,
                    phone=details.phone,
                    currency=connection.tenant.currency,
                    lines=[
                        orders.PricedLine(
                            variant=line.variant, quantity=quantity, unit_price=seat.unit_price
                        )
                    ],
                    email=email,
                    tags=("groupbuy", HELD_TAG),
                )
            )
            member = _add_member(seat, order, email=email, quantity=quantity, now=now)
    except IntegrityError as error:
        # Two joins of one shopper raced past the check above: the database kept one.
        if "one_seat_per_shopper_per_team" in str(error):
            raise SeatUnavailable(_("You are in this team already.")) from error
        raise
    return member


@dataclass(frozen=True)
class _SeatTerms:
    """What a new seat costs and where it goes, read with its team locked."""

    campaign_id: int
    team_id: int
    variant_id: int
    unit_price: Decimal
    leader: bool
    # No seat-release task is pending for the team: this seat schedules one.
    schedules_release: bool
    # The campaign has a quota: the seat's units are counted on the campaign row.
    counts_units: bool


# The campaign's terms and how many open teams the shopper leads in it already.
_CAMPAIGN_TO_START_SQL = """
    SELECT c.starts_at, c.ends_at, c.ended_early_at, c.max_quantity_per_order,
           c.max_open_teams_per_customer, c.team_size, c.team_window_hours, c.variant_id,
           c.group_price, c.leader_price, c.quota IS NOT NULL,
           (SELECT count(*) FROM groupbuy_teammember m
            JOIN groupbuy_team t ON t.id = m.team_id
            WHERE t.campaign_id = c.id AND t.status = 'open' AND m.email = %(email)s
              AND m.is_leader)
    FROM groupbuy_campaign c WHERE c.id = %(campaign)s
"""
_INSERT_TEAM_SQL = """
    INSERT INTO groupbuy_team
        (campaign_id, status, size, seats_taken, seats_paid, share_token, expires_at,
         created_at)
    VALUES (%s, 'open', %s, 0, 0, %s, %s, %s)
    RETURNING id
"""


def _open_team(campaign_id: int, email: str, quantity: int, now: datetime) -> _SeatTerms:
    with connection.cursor() as cursor:
        cursor.execute(_CAMPAIGN_TO_START_SQL, {"campaign": campaign_id, "email": email})
        row = cursor.fetchone()
        if row is None:
            raise Campaign.DoesNotExist(f"campaign {campaign_id}")
        (starts_at, ends_at, ended_early_at, max_quantity, max_open_teams, team_size,
         window_hours, variant_id, group_price, leader_price, has_quota, led) = row  # fmt: skip
        _check_running(starts_at, ends_at, ended_early_at, now)
        _check_quantity(quantity, max_quantity)
        if led >= max_open_teams:
            raise SeatUnavailable(_("You already lead an open team in this campaign."))
        team = Team(
            campaign_id=campaign_id,
            size=team_size,
            share_token=share_token(),
            expires_at=min(now + timedelta(hours=window_hours), ends_at),
        )
        cursor.execute(
            _INSERT_TEAM_SQL, [campaign_id, team.size, team.share_token, team.expires_at, now]
        )
        (team.pk,) = cursor.fetchone()
    transaction.on_commit(lambda: _schedule_expiry(team.pk, team.expires_at))
    return _SeatTerms(
        campaign_id=campaign_id,
        team_id=team.pk,
        variant_id=variant_id,
        unit_price=group_price if leader_price is None else leader_price,
        leader=True,
        schedules_release=True,
        counts_units=has_quota,
    )


# The team row locked, with its campaign's terms and two facts about its seats. The facts
# come from the statement's snapshot, which may predate a seat committed while this waited
# for the lock: a lapsed seat missed is released by the next join or the team's release
# task, and a second seat of one shopper is refused by the unique constraint on insert.
_LOCK_TEAM_SQL = """
    SELECT t.status, t.size, t.seats_taken, t.expires_at, t.release_check_at,
           c.starts_at, c.ends_at, c.ended_early_at, c.max_quantity_per_order,
           c.variant_id, c.group_price, c.quota IS NOT NULL,
           EXISTS (
               SELECT 1 FROM groupbuy_teammember m
               WHERE m.team_id = t.id AND m.status = 'reserved' AND m.reserved_until <= %(now)s
           ),
           EXISTS (
               SELECT 1 FROM groupbuy_teammember m
               WHERE m.team_id = t.id AND m.email = %(email)s AND NOT m.is_virtual
                 AND (m.status = 'paid' OR (m.status = 'reserved' AND m.reserved_until > %(now)s))
           )
    FROM groupbuy_team t JOIN groupbuy_campaign c ON c.id = t.campaign_id
    WHERE t.id = %(team)s AND t.campaign_id = %(campaign)s
    FOR UPDATE OF t
"""


def _lock_team_to_join(
    campaign_id: int, team_id: int, email: str, quantity: int, now: datetime
) -> _SeatTerms:
    with connection.cursor() as cursor:
        cursor.execute(
            _LOCK_TEAM_SQL, {"team": team_id, "campaign": campaign_id, "email": email, "now": now}
        )
        row = cursor.fetchone()
    if row is None:
        raise Team.DoesNotExist(f"team {team_id} of campaign {campaign_id}")
    (status, size, seats_taken, expires_at, release_check_at, starts_at, ends_at,
     ended_early_at, max_quantity, variant_id, group_price, has_quota, has_lapsed,
     is_member) = row  # fmt: skip
    _check_running(starts_at, ends_at, ended_early_at, now)
    _check_quantity(quantity, max_quantity)
    if status != TeamStatus.OPEN or expires_at <= now:
        raise SeatUnavailable(_("This team is closed."))
    if has_lapsed:
        team = Team.objects.get(pk=team_id)  # locked above
        _release_lapsed_seats(team, now)
        seats_taken = team.seats_taken
    if seats_taken >= size:
        raise SeatUnavailable(_("This team is full."))
    if is_member:
        raise SeatUnavailable(_("You are in this team already."))
    return _SeatTerms(
        campaign_id=campaign_id,
        team_id=team_id,
        variant_id=variant_id,
        unit_price=group_price,
        leader=False,
        schedules_release=release_check_at is None,
        counts_units=has_quota,
    )


def _check_running(
    starts_at: datetime, ends_at: datetime, ended_early_at: datetime | None, now: datetime
) -> None:
    if ended_early_at or not starts_at <= now < ends_at:
        raise SeatUnavailable(_("This campaign is not running."))


def _check_quantity(quantity: int, max_quantity: int) -> None:
    if not 1 <= quantity <= max_quantity:
        raise ValidationError({"quantity": [_("Too many for one member.")]})


# The seat, the team's count (and the time its release task runs, if none is pending) and
# the campaign's units, in one statement. Units are counted only against a quota: the
# campaign row is shared by every team, and each seat updating it would queue all of them
# behind one row lock. When counted, it is counted last and held only until the commit
# (lock order: team, stock, campaign); a spent quota or a campaign ended meanwhile takes
# no units, and the caller rolls back.
_ADD_MEMBER_SQL = """
    WITH seat AS (
        INSERT INTO groupbuy_teammember
            (team_id, seat_token, email, is_leader, is_virtual, quantity, status, order_id,
             joined_at, reserved_until)
        VALUES (%(team)s, %(token)s, %(email)s, %(leader)s, false, %(quantity)s, 'reserved',
                %(order)s, %(now)s, %(until)s)
        RETURNING id
    ), counted AS (
        UPDATE groupbuy_team
        SET seats_taken = seats_taken + 1,
            release_check_at = COALESCE(release_check_at, %(until)s)
        WHERE id = %(team)s
    ), units AS (
        UPDATE groupbuy_campaign SET units_sold = units_sold + %(quantity)s
        WHERE %(count_units)s AND id = %(campaign)s AND ended_early_at IS NULL
          AND units_sold + %(quantity)s <= quota
        RETURNING id
    )
    SELECT (SELECT id FROM seat), NOT %(count_units)s OR EXISTS (SELECT 1 FROM units)
"""


def _add_member(
    seat: _SeatTerms, order: Order, *, email: str, quantity: int, now: datetime
) -> TeamMember:
    member = TeamMember(
        team_id=seat.team_id,
        email=email,
        is_leader=seat.leader,
        is_virtual=False,
        quantity=quantity,
        status=SeatStatus.RESERVED,
        order=order,
        joined_at=now,
        reserved_until=now + SEAT_PAYMENT_WINDOW,
    )
    with connection.cursor() as cursor:
        cursor.execute(
            _ADD_MEMBER_SQL,
            {
                "team": seat.team_id,
                "token": member.seat_token,
                "email": email,
                "leader": seat.leader,
                "quantity": quantity,
                "order": order.pk,
                "now": now,
                "until": member.reserved_until,
                "campaign": seat.campaign_id,
                "count_units": seat.counts_units,
            },
        )
        member.pk, units_taken = cursor.fetchone()
    if not units_taken:
        _refuse_units(seat.campaign_id)
    member._state.adding = False
    member._state.db = connection.alias
    if seat.schedules_release:
        transaction.on_commit(lambda: _schedule_seat_release(member.team_id, member.reserved_until))
    return member


SEAT_HOLDING = (SeatStatus.RESERVED, SeatStatus.PAID)


def _seat_shipping(details: SeatDetails, subtotal: Decimal) -> Decimal:
    """The seat's delivery charge. A seat can always be collected at the shop (free), as
    group-buy orders always could; delivery follows the shop's own rules (flat rate, free
    over a threshold) and needs an address."""
    if details.shipping_method == ShippingMethod.PICKUP:
        return Decimal("0")
    if details.shipping_method == ShippingMethod.FLAT:
        address = details.shipping_address or {}
        missing = {
            f"address_{part}": [_("Needed for delivery.")]
            for part in ("line1", "city")
            if not str(address.get(part, "")).strip()
        }
        if missing:
            raise ValidationError(missing)
    return shipping_cost(details.shipping_method, subtotal, store_settings())


def _refuse_units(campaign_id: int) -> None:
    """Why the campaign took no units for a seat (see _ADD_MEMBER_SQL): ended, or its quota
    is spent."""
    campaign = Campaign.objects.get(pk=campaign_id)
    if campaign.ended_early_at is not None:
        raise SeatUnavailable(_("This campaign is not running."))
    left = max(campaign.quota - campaign.units_sold, 0)
    raise ValidationError(
        {
            "quantity": [
                _("Only %(left)s units of this campaign are left.") % {"left": left}
                if left
                else _("This campaign has sold all its units.")
            ]
        }
    )


def _return_units(campaign_id: int, quantity: int) -> None:
    """Seats released or refunded give their units back to the campaign's quota."""
    if quantity:
        Campaign.objects.filter(pk=campaign_id, quota__isnull=False).update(
            units_sold=F("units_sold") - quantity
        )


def _release_unpaid(member: TeamMember, campaign_id: int, *, reason: str) -> None:
    """An unpaid seat goes back: its order is cancelled (stock returned), then its units."""
    orders.cancel_order(member.order_id, reason=reason, actor="group-buy")
    member.status = SeatStatus.RELEASED
    member.save(update_fields=["status"])
    _return_units(campaign_id, member.quantity)


def _ensure_leader(team: Team) -> TeamMember | None:
    """Hand the lead to the earliest real member still holding a seat when the leader has
    given theirs up (left, or let it lapse). The team row is locked. Returns the new leader."""
    holders = team.members.select_for_update().filter(is_virtual=False, status__in=SEAT_HOLDING)
    if holders.filter(is_leader=True).exists():
        return None
    successor = holders.order_by("joined_at", "id").first()
    if successor is None:
        return None
    successor.is_leader = True
    successor.save(update_fields=["is_leader"])
    orders.add_event(
        Order.objects.get(pk=successor.order_id),
        "team_leader",
        _("Now leads the group-buy team (the leader left)"),
        actor="group-buy",
        data={"team": team.pk},
    )
    return successor


def _release_lapsed_seats(team: Team, now: datetime) -> int:
    """Give back seats whose payment did not arrive in time (the team row is locked)."""
    lapsed = list(
        team.members.select_for_update().filter(status=SeatStatus.RESERVED, reserved_until__lte=now)
    )
    for member in lapsed:
        _release_unpaid(member, team.campaign_id, reason="seat not paid in time")
        if member.is_leader:
            member.is_leader = False  # the lead goes on to whoever still holds a seat
            member.save(update_fields=["is_leader"])
    if lapsed:
        team.seats_taken -= len(lapsed)
        team.save(update_fields=["seats_taken"])
        _ensure_leader(team)
    return len(lapsed)


def release_lapsed_seats(
    team_id: int, *, now: datetime | None = None, scheduled_for: datetime | None = None
) -> int:
    """The seat-timeout task: safe to run twice; a paid seat is never released.

    One task is pending per team at most (`Team.release_check_at`, set by the seat that
    found none pending): it releases what has lapsed, then schedules itself for the next
    seat still awaiting payment. A run before its time (`scheduled_for`: clock skew, or
    tasks run eagerly) schedules nothing; the next seat taken schedules again, and joins
    and the team's expiry release lapsed seats too."""
    now = now or timezone.now()
    with transaction.atomic():
        team = Team.objects.select_for_update().get(pk=team_id)
        if team.status != TeamStatus.OPEN:
            return 0
        released = _release_lapsed_seats(team, now)
        next_check = (
            team.members.filter(status=SeatStatus.RESERVED)
            .order_by("reserved_until")
            .values_list("reserved_until", flat=True)
            .first()
        )
        if next_check is not None and next_check <= (scheduled_for or now):
            next_check = None
        team.release_check_at = next_check
        team.save(update_fields=["release_check_at"])
        if next_check is not None:
            transaction.on_commit(lambda: _schedule_seat_release(team_id, next_check))
    return released


def _schedule_seat_release(team_id: int, at: datetime) -> None:
    from commerce.groupbuy.tasks import release_lapsed_seats_task

    release_lapsed_seats_task.apply_async(args=[team_id, at.isoformat()], eta=at)


def _schedule_expiry(team_id: int, at: datetime) -> None:
    from commerce.groupbuy.tasks import expire_team_task

    expire_team_task.apply_async(args=[team_id], eta=at)


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
            _refund_paid(member, order, reason="payment arrived after the team closed")
            return "refunded"
        if member.status != SeatStatus.RESERVED:
            return "duplicate"
        if team.status != TeamStatus.OPEN:
            orders.mark_paid(order, payment_data=payment_data or {})
            _refund_member(member, order, reason="team closed before the payment arrived")
            return "refunded"
        member.status = SeatStatus.PAID
        team.seats_paid += 1
        if team.seats_paid == team.size:
            orders.mark_paid(order, payment_data=payment_data or {})
            member.save(update_fields=["status"])
            team.save(update_fields=["seats_paid"])
            _succeed(team)  # its email says so: no share link needed any more
            return "team_succeeded"
        if _count_paid_seat(team, member):
            _send_notices_soon()
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


# A full team: closed as succeeded, its paid orders released for fulfilment with a timeline
# entry each, and each real paid member's success notice, in one statement (the team row
# is locked; the orders come after it, as on every path). Returns the new notices' ids.
_SUCCEED_SQL = """
    WITH closed AS (
        UPDATE groupbuy_team SET status = 'succeeded', closed_at = %(now)s WHERE id = %(team)s
    ), paid_seats AS (
        SELECT id, order_id, email, is_virtual FROM groupbuy_teammember
        WHERE team_id = %(team)s AND status = 'paid'
    ), released AS (
        UPDATE orders_order o SET tags = array_remove(o.tags, %(held)s)
        FROM paid_seats WHERE o.id = paid_seats.order_id
        RETURNING o.id
    ), timeline AS (
        INSERT INTO orders_orderevent (order_id, kind, message, data, actor, created_at)
        SELECT id, 'team_succeeded', %(message)s, '{}', '', %(now)s FROM released
    )
    INSERT INTO groupbuy_groupbuynotice (member_id, kind, created_at)
    SELECT id, 'team_succeeded', %(now)s FROM paid_seats
    WHERE NOT is_virtual AND email <> ''
    ON CONFLICT (member_id, kind) DO NOTHING
    RETURNING id
"""


def _succeed(team: Team) -> None:
    team.status = TeamStatus.SUCCEEDED
    team.closed_at = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            _SUCCEED_SQL,
            {
                "team": team.pk,
                "now": team.closed_at,
                "held": HELD_TAG,
                "message": _("Team complete: ready to ship"),
            },
        )
        if cursor.fetchall():
            _send_notices_soon()


def _notify(member: TeamMember, kind: str) -> None:
    """Email the member once for `kind`: the notice row (unique on member and kind) is
    written in the caller's transaction; after the commit a task sends the email, off the
    request and out of the team's lock. Virtual members and members without an email get
    none."""
    if member.is_virtual or not member.email:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO groupbuy_groupbuynotice (member_id, kind, created_at)
            VALUES (%s, %s, now())
            ON CONFLICT (member_id, kind) DO NOTHING
            RETURNING id
            """,
            [member.pk, kind],
        )
        if cursor.fetchone() is not None:
            _send_notices_soon()


# After a notice is recorded, the shop's outbox is sent this soon by one task: the seats
# paid meanwhile add their notices to the same run instead of each sending a task.
NOTICE_BATCH_SECONDS = 1
# A run that never came (its message lost) stops holding the next one back after this.
NOTICE_RUN_FLAG_SECONDS = 60


def _send_notices_soon() -> None:
    transaction.on_commit(_queue_notice_run)


def _queue_notice_run() -> None:
    from commerce.groupbuy.tasks import send_notices_task

    if cache.add(_notice_run_flag(), 1, NOTICE_RUN_FLAG_SECONDS):
        send_notices_task.apply_async(countdown=NOTICE_BATCH_SECONDS)


def _notice_run_flag() -> str:
    return cache_key("groupbuy-notice-run")


# Unsent notices claimed by one statement (SKIP LOCKED: two runs never claim the same row).
_CLAIM_NOTICES_SQL = """
    UPDATE groupbuy_groupbuynotice SET sent_at = now()
    WHERE id IN (
        SELECT id FROM groupbuy_groupbuynotice WHERE sent_at IS NULL
        ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED
    )
    RETURNING id
"""


def send_notices(*, batch_size: int = 500) -> int:
    """Write the shop's unsent notices' emails into the outbox (the task's work): each
    notice is claimed and its email enqueued in one transaction (dedupe key per notice), so
    two runs or a rerun never write it twice; the outbox sends it after the commit and
    retries while the mail server is down. Returns the number of emails enqueued."""
    # Cleared first: a notice committed from now on queues a run of its own.
    cache.delete(_notice_run_flag())
    enqueued = 0
    while True:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(_CLAIM_NOTICES_SQL, [batch_size])
                claimed = [notice_id for (notice_id,) in cursor.fetchall()]
            if not claimed:
                return enqueued
            notices = GroupBuyNotice.objects.select_related(
                "member__order", "member__team__campaign__variant__product"
            ).filter(pk__in=claimed)
            emails = []
            for notice in sorted(notices, key=lambda notice: notice.pk):
                member = notice.member
                subject, body = _notice_text(
                    notice.kind, member.team, member.order, seats_missing=notice.seats_missing
                )
                emails.append(
                    outbox.email(
                        to=[member.email],
                        subject=subject,
                        body=body,
                        dedupe_key=f"{connection.schema_name}:groupbuy:notice:{notice.pk}",
                        merchant_id=connection.tenant.pk,
                    )
                )
            enqueued += outbox.enqueue_emails(emails)
        if len(claimed) < batch_size:
            return enqueued


def _notice_text(
    kind: str, team: Team, order: Order, *, seats_missing: int | None = None
) -> tuple[str, str]:
    product = team.campaign.variant.product.title
    shop = store_settings().display_name
    values = {"product": product, "shop": shop, "reference": order.number}
    if kind == NoticeKind.SEAT_PAID:
        values.update(
            link=shop_url(
                None, connection.tenant, reverse("groupbuy_team", args=[team.share_token])
            ),
            # As it was when the seat was paid (the email is written after the commit).
            missing=team.size - team.seats_paid if seats_missing is None else seats_missing,
            closes=timezone.localtime(team.expires_at).strftime("%Y-%m-%d %H:%M %Z"),
        )
        return (
            _("Your group-buy seat for %(product)s is paid") % values,
            _(
                "Thank you: your seat in the %(product)s team at %(shop)s is paid "
                "(order %(reference)s).\n\n"
                "The team needs %(missing)s more paid members before %(closes)s. Send this "
                "link to friends:\n%(link)s\n\n"
                "If the team does not fill in time, your payment is refunded."
            )
            % values,
        )
    if kind == NoticeKind.TEAM_SUCCEEDED:
        return (
            _("Your group-buy team for %(product)s is complete") % values,
            _(
                "Good news: your %(product)s team at %(shop)s is complete. Your order "
                "%(reference)s is now being prepared and will ship (or be ready for pickup) "
                "soon."
            )
            % values,
        )
    values["amount"] = f"{order.total} {order.currency}"
    return (
        _("Your group-buy payment for %(product)s is refunded") % values,
        _(
            "Your seat in the %(product)s team at %(shop)s was given up (the team did not "
            "fill, the campaign ended, or you left it). Your payment of %(amount)s for order "
            "%(reference)s is refunded."
        )
        % values,
    )


def _refund_paid(member: TeamMember, order: Order, *, reason: str) -> None:
    """Refund a member's whole payment, once (the key is the seat's)."""
    refund_order(
        order.pk,
        amount=order.total,
        reason=reason,
        actor="group-buy",
        idempotency_key=f"groupbuy:seat:{member.pk}",
    )
    member.status = SeatStatus.REFUNDED
    member.save(update_fields=["status"])
    _notify(member, NoticeKind.REFUNDED)


def _refund_member(member: TeamMember, order: Order, *, reason: str) -> None:
    """Refund a paid (or still reserved) member's seat and put the stock and units back."""
    _refund_paid(member, order, reason=reason)
    orders.cancel_order(order.pk, reason=reason, actor="group-buy")
    _return_units(member.team.campaign_id, member.quantity)


def leave_team(member_id: int, *, now: datetime | None = None) -> str:
    """A member gives their seat up while the team is open: an unpaid seat's order is
    cancelled, a paid one is refunded (once: the refund key is the seat's), the stock comes
    back. A leaving leader hands the lead to the earliest member still in the team; the last
    member leaving closes the team. Returns "released", "refunded" or "duplicate" (the seat
    was given up already); raises SeatUnavailable once the team has closed."""
    now = now or timezone.now()
    with transaction.atomic():
        member = TeamMember.objects.get(pk=member_id, is_virtual=False)
        team = Team.objects.select_for_update().get(pk=member.team_id)
        member = TeamMember.objects.select_for_update().get(pk=member_id)
        if member.status not in SEAT_HOLDING:
            return "duplicate"
        if team.status == TeamStatus.SUCCEEDED:
            raise SeatUnavailable(
                _("This team has succeeded: your order is on its way and cannot be left.")
            )
        if team.status != TeamStatus.OPEN or team.expires_at <= now:
            raise SeatUnavailable(_("This team is closed."))
        order = Order.objects.select_for_update().get(pk=member.order_id)
        reason = "member left the team"
        if member.status == SeatStatus.PAID:
            _refund_member(member, order, reason=reason)
            team.seats_paid -= 1
            result = "refunded"
        else:
            _release_unpaid(member, team.campaign_id, reason=reason)
            result = "released"
        was_leader = member.is_leader
        member.is_leader = False
        member.save(update_fields=["status", "is_leader"])
        orders.add_event(
            order,
            "left_team",
            _("Left the group-buy team"),
            actor="group-buy",
            data={"team": team.pk, "was_leader": was_leader},
        )
        team.seats_taken -= 1
        if team.seats_taken == 0:
            team.status = TeamStatus.FAILED
            team.closed_at = now
        team.save(update_fields=["seats_taken", "seats_paid", "status", "closed_at"])
        if was_leader and team.status == TeamStatus.OPEN:
            _ensure_leader(team)
    return result


def expire_team(team_id: int, *, now: datetime | None = None) -> str:
    """Close a team whose time ran out: fill it with virtual members when the campaign
    allows and few seats are missing, else fail it, refunding each paid member once and
    returning the stock. Safe to run twice, concurrently, or again after a crash."""
    now = now or timezone.now()
    with transaction.atomic():
        team = Team.objects.select_for_update().select_related("campaign").get(pk=team_id)
        if team.status != TeamStatus.OPEN or team.expires_at > now:
            return "nothing to do"
        members = list(team.members.select_for_update().order_by("id"))
        missing = team.size - team.seats_paid
        unpaid = [m for m in members if m.status == SeatStatus.RESERVED]
        if 0 < missing <= team.campaign.virtual_fill_max_missing and team.seats_paid > 0:
            for member in unpaid:
                _release_unpaid(member, team.campaign_id, reason="team closed")
            TeamMember.objects.bulk_create(
                [
                    TeamMember(team=team, is_virtual=True, status=SeatStatus.PAID)
                    for _ in range(missing)
                ]
            )
            team.seats_taken = team.seats_paid = team.size
            team.save(update_fields=["seats_taken", "seats_paid"])
            _succeed(team)
            return "virtually_filled"
        for member in members:
            if member.status == SeatStatus.PAID:
                order = Order.objects.select_for_update().get(pk=member.order_id)
                _refund_member(member, order, reason="team did not fill in time")
            elif member.status == SeatStatus.RESERVED:
                _release_unpaid(member, team.campaign_id, reason="team did not fill")
        team.status = TeamStatus.FAILED
        team.closed_at = now
        team.save(update_fields=["status", "closed_at"])
        return "failed"


def expire_due_teams(*, now: datetime | None = None, batch_size: int = 100) -> dict[str, int]:
    """Every open team past its time, each in its own transaction (the beat/sweeper task)."""
    now = now or timezone.now()
    outcome: dict[str, int] = {}
    due = Team.objects.filter(status=TeamStatus.OPEN, expires_at__lte=now).values_list(
        "pk", flat=True
    )
    for team_id in list(due[:batch_size]):
        result = expire_team(team_id, now=now)
        outcome[result] = outcome.get(result, 0) + 1
    return outcome


def end_campaign_early(campaign_id: int, *, now: datetime | None = None) -> dict[str, int]:
    """Stop a campaign now: its open teams fail (paid members refunded, stock returned)."""
    now = now or timezone.now()
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
        if campaign.ended_early_at is None:
            campaign.ended_early_at = now
            campaign.save(update_fields=["ended_early_at"])
    # Committed first: seats lock their team before the campaign row, so the teams are
    # touched only once the campaign row is free again (and no new seat counts from now).
    Team.objects.filter(campaign=campaign, status=TeamStatus.OPEN).update(expires_at=now)
    outcome: dict[str, int] = {}
    for team_id in Team.objects.filter(campaign=campaign, status=TeamStatus.OPEN).values_list(
        "pk", flat=True
    ):
        result = expire_team(team_id, now=now)
        outcome[result] = outcome.get(result, 0) + 1
    return outcome


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
