"""Taking a seat: start a team or join one, the seat and its order's stock reserved in one
transaction with the team row locked, by fixed SQL (see bench/groupbuy.py).

Invariant 5: a team never has more seats than its size (the team row is locked while a
seat is taken, and a database constraint says so too).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from commerce.checkout.services import shipping_cost, stock_plan
from commerce.groupbuy.models import Campaign, SeatStatus, Team, TeamMember, TeamStatus, share_token
from commerce.groupbuy.scheduling import (
    note_groupbuy_due,
    schedule_seat_release,
    schedule_team_expiry,
)
from commerce.groupbuy.selectors import seat_delivery_methods
from commerce.groupbuy.teams import SeatUnavailable, release_lapsed_seats_of_locked_team
from commerce.orders import services as orders
from commerce.orders.models import Channel, Order, ShippingMethod
from commerce.orders.services import HELD_TAG
from commerce.store.selectors import store_settings

# How long a seat is held for its payment before it goes back to the team.
SEAT_PAYMENT_WINDOW = timedelta(minutes=15)


@dataclass(frozen=True)
class SeatDetails:
    """How a seat's goods reach the member once the team fills."""

    shipping_method: str = ShippingMethod.PICKUP
    contact_name: str = ""
    phone: str = ""
    shipping_address: dict | None = None
    # Where a pickup seat is collected (one of `store.selectors.pickup_outlets`); None: the
    # checkout's default (the first pickup outlet that fulfils online orders).
    pickup_outlet_id: int | None = None


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
            # Stock comes from the shop's online outlets in the merchant's order, split
            # across them when the first cannot fill the seat alone, as checkout takes it;
            # each line records its outlet, so a seat given back returns each unit there.
            # Stock before the customer row (create_order), as in checkout: the same two
            # rows are never locked in opposite orders. Sold out raises; nothing is kept.
            plan = stock_plan(
                details.shipping_method,
                details.pickup_outlet_id
                if details.shipping_method == ShippingMethod.PICKUP
                else None,
            )
            taken = orders.reserve_from_outlets(
                plan.outlet_ids, {seat.variant_id: quantity}, published_only=False
            )
            order = orders.create_order(
                orders.NewOrder(
                    channel=Channel.ONLINE,
                    outlet_id=plan.order_outlet(taken),
                    payment_method=payment_method,
                    shipping_method=details.shipping_method,
                    shipping_total=shipping_total,
                    shipping_address=details.shipping_address or {},
                    contact_name=details.contact_name,
                    phone=details.phone,
                    currency=connection.tenant.currency,
                    lines=[replace(line, unit_price=seat.unit_price) for line in taken],
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
    # The team's expiry (a seat that notes the shop's due time may not note a later one).
    expires_at: datetime


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
    transaction.on_commit(lambda: schedule_team_expiry(team.pk, team.expires_at))
    return _SeatTerms(
        campaign_id=campaign_id,
        team_id=team.pk,
        variant_id=variant_id,
        unit_price=group_price if leader_price is None else leader_price,
        leader=True,
        schedules_release=True,
        counts_units=has_quota,
        expires_at=team.expires_at,
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
                 AND (m.status = 'paid' OR m.status = 'committed'
                      OR (m.status = 'reserved' AND m.reserved_until > %(now)s))
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
        release_lapsed_seats_of_locked_team(team, now)
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
        expires_at=expires_at,
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
        # The first of the team's release checks (or a team's opening, whose expiry is
        # later but for a campaign about to end): the one seat that may move the shop's
        # due time earlier. The sweep reads the team's expiry from the table after this.
        note_groupbuy_due(min(member.reserved_until, seat.expires_at))
        # The values now: the caller may change the member before the commit (an offline
        # seat is committed at once and no longer has a payment window).
        team_id, release_at = member.team_id, member.reserved_until
        transaction.on_commit(lambda: schedule_seat_release(team_id, release_at))
    return member


def _seat_shipping(details: SeatDetails, subtotal: Decimal) -> Decimal:
    """The seat's delivery charge, by the shop's own rules, as at checkout: pickup (free)
    only where the shop offers local pickup; delivery at its flat rate (free over a
    threshold), with an address. Anything else is refused naming `shipping_method`: what
    the shop offers is `selectors.seat_delivery_methods`, the rule the seat form and the
    console's warning read too, so a seat the console does not warn about is never refused
    here for want of pickup or delivery."""
    store = store_settings()
    offered = seat_delivery_methods(store)
    if details.shipping_method not in offered:
        if not offered:
            why = _("This shop offers neither pickup nor delivery at the moment.")
        elif details.shipping_method == ShippingMethod.PICKUP:
            why = _("This shop does not offer pickup.")
        else:
            why = _("Choose a shipping method.")
        raise ValidationError({"shipping_method": [why]})
    if details.shipping_method == ShippingMethod.FLAT:
        address = details.shipping_address or {}
        missing = {
            f"address_{part}": [_("Needed for delivery.")]
            for part in ("line1", "city")
            if not str(address.get(part, "")).strip()
        }
        if missing:
            raise ValidationError(missing)
    return shipping_cost(details.shipping_method, subtotal, store)


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
