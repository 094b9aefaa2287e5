"""A team's lifecycle once seats are in it: lapsed seats released, members leaving (the lead
handed over), the team closed as succeeded, or failed at its expiry.

Invariant 5: a failed team refunds every paid member exactly once (the refund key is the
seat's), cancels every offline member's order exactly once (nothing was paid: nothing to
refund) and returns the stock. Every path locks the team row first, then its seats, then
their orders.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from commerce.developers import events as webhooks
from commerce.groupbuy.models import (
    SEAT_COUNTED,
    SEAT_HOLDING,
    Campaign,
    NoticeKind,
    SeatStatus,
    Team,
    TeamMember,
    TeamStatus,
)
from commerce.groupbuy.notices import notify_member
from commerce.groupbuy.scheduling import schedule_seat_release, send_notices_soon
from commerce.orders import services as orders
from commerce.orders.models import FulfilmentStatus, Order, PaymentStatus
from commerce.orders.services import HELD_TAG
from commerce.payments.services import refund_order


class SeatUnavailable(Exception):
    """The team is full, closed or expired, or the shopper is in it already."""


def _return_units(campaign_id: int, quantity: int) -> None:
    """Seats released or refunded give their units back to the campaign's quota."""
    if quantity:
        Campaign.objects.filter(pk=campaign_id, quota__isnull=False).update(
            units_sold=F("units_sold") - quantity
        )


def _cancel_seat_order(order_id: int, *, reason: str) -> None:
    """Cancel the seat's order (its stock returned), unless staff cancelled it already: the
    stock came back then, and must not come back twice."""
    status = Order.objects.filter(pk=order_id).values_list("status", flat=True).first()
    if status != FulfilmentStatus.CANCELLED:
        orders.cancel_order(order_id, reason=reason, actor="group-buy")


def release_unpaid_seat(member: TeamMember, campaign_id: int, *, reason: str) -> None:
    """An unpaid seat goes back: the seat first (so cancelling its order finds no seat left
    to give back, see `give_up_seat_of_cancelled_order`), then its order is cancelled
    (stock returned), then its units."""
    member.status = SeatStatus.RELEASED
    member.save(update_fields=["status"])
    _cancel_seat_order(member.order_id, reason=reason)
    _return_units(campaign_id, member.quantity)


def cancel_committed_seat(member: TeamMember, order: Order, *, reason: str) -> str:
    """Give back a seat held for offline payment (the team failed, the campaign ended, or
    the member left). Nothing was paid, so the order is cancelled (stock and units back)
    and the member told there is nothing to pay, once. If the shop took the cash early
    (recorded the payment), the seat is refunded like a card seat instead. The team row
    and the order are locked by the caller. Returns "cancelled" or "refunded"."""
    if order.payment_status == PaymentStatus.PAID:
        refund_seat(member, order, reason=reason)
        return "refunded"
    member.status = SeatStatus.RELEASED  # before its order: see release_unpaid_seat
    member.save(update_fields=["status"])
    _cancel_seat_order(order.pk, reason=reason)
    _return_units(member.team.campaign_id, member.quantity)
    notify_member(member, NoticeKind.SEAT_CANCELLED)
    return "cancelled"


def _ensure_leader(team: Team, *, why: str) -> TeamMember | None:
    """Hand the lead to the earliest real member still holding a seat when the leader has
    given theirs up (left, let it lapse, or staff cancelled or refunded their order). The
    team row is locked. `why`: the new leader's timeline entry, saying what happened to
    the lead (see `_HANDOVER`). Returns the new leader."""
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
        why,
        actor="group-buy",
        data={"team": team.pk},
    )
    return successor


def _handover(what: str) -> str:
    """The new leader's timeline entry: why the lead came to them."""
    return {
        "left": _("Now leads the group-buy team (the leader left)"),
        "lapsed": _("Now leads the group-buy team (the leader's seat was not paid in time)"),
        "cancelled": _("Now leads the group-buy team (the leader's order was cancelled)"),
        "refunded": _("Now leads the group-buy team (the leader's order was refunded in full)"),
    }[what]


def release_lapsed_seats_of_locked_team(team: Team, now: datetime) -> int:
    """Give back seats whose payment did not arrive in time (the team row is locked)."""
    lapsed = list(
        team.members.select_for_update().filter(status=SeatStatus.RESERVED, reserved_until__lte=now)
    )
    for member in lapsed:
        release_unpaid_seat(member, team.campaign_id, reason="seat not paid in time")
        if member.is_leader:
            member.is_leader = False  # the lead goes on to whoever still holds a seat
            member.save(update_fields=["is_leader"])
    if lapsed:
        team.seats_taken -= len(lapsed)
        team.save(update_fields=["seats_taken"])
        _ensure_leader(team, why=_handover("lapsed"))
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
        released = release_lapsed_seats_of_locked_team(team, now)
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
            transaction.on_commit(lambda: schedule_seat_release(team_id, next_check))
    return released


def refund_paid_seat(member: TeamMember, order: Order, *, reason: str) -> None:
    """Refund a member's whole payment, once (the key is the seat's). Staff may have
    refunded part or all of it by hand already: only what is left goes back (nothing, when
    nothing is left), so a team still fails and the member never gets more than they paid.
    The order is locked by the caller."""
    if order.refundable > 0:
        refund_order(
            order.pk,
            amount=order.refundable,
            reason=reason,
            actor="group-buy",
            idempotency_key=f"groupbuy:seat:{member.pk}",
        )
    member.status = SeatStatus.REFUNDED
    member.save(update_fields=["status"])
    notify_member(member, NoticeKind.REFUNDED)


def refund_seat(member: TeamMember, order: Order, *, reason: str) -> None:
    """Refund a paid (or still reserved) member's seat and put the stock and units back."""
    refund_paid_seat(member, order, reason=reason)
    _cancel_seat_order(order.pk, reason=reason)
    _return_units(member.team.campaign_id, member.quantity)


def leave_team(member_id: int, *, now: datetime | None = None) -> str:
    """A member gives their seat up while the team is open: an unpaid seat's order is
    cancelled, a paid one is refunded (once: the refund key is the seat's), the stock comes
    back; a seat held for offline payment is cancelled (nothing to pay). A leaving leader
    hands the lead to the earliest member still in the team; the last member leaving closes
    the team. Returns "released", "refunded", "cancelled" or "duplicate" (the seat was given
    up already); raises SeatUnavailable once the team has closed."""
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
        counted = member.status in SEAT_COUNTED
        if member.status == SeatStatus.PAID:
            refund_seat(member, order, reason=reason)
            result = "refunded"
        elif member.status == SeatStatus.COMMITTED:
            member.team = team
            result = cancel_committed_seat(member, order, reason=reason)
        else:
            release_unpaid_seat(member, team.campaign_id, reason=reason)
            result = "released"
        _seat_out_of_locked_team(
            team,
            member,
            order,
            counted=counted,
            now=now,
            event=("left_team", _("Left the group-buy team")),
            handover="left",
        )
    return result


def _seat_out_of_locked_team(
    team: Team,
    member: TeamMember,
    order: Order,
    *,
    counted: bool,
    now: datetime,
    event: tuple[str, str],
    handover: str,
) -> None:
    """A seat given up while its team is open (its status changed, its order cancelled or
    refunded): noted on the order's timeline, the team's counts drop (`counted`: the seat
    counted towards filling it), a team left empty closes as failed, and a leaving
    leader's lead goes on to the earliest member still in the team. The team row is
    locked. `event`: the order's timeline entry (kind, message); `handover`: what happened
    to the seat, for the new leader's entry ("left", "cancelled", "refunded")."""
    was_leader = member.is_leader
    member.is_leader = False
    member.save(update_fields=["status", "is_leader"])
    kind, message = event
    orders.add_event(
        order,
        kind,
        message,
        actor="group-buy",
        data={"team": team.pk, "was_leader": was_leader},
    )
    team.seats_taken -= 1
    if counted:
        team.seats_paid -= 1
    if team.seats_taken == 0:
        team.status = TeamStatus.FAILED
        team.closed_at = now
    team.save(update_fields=["seats_taken", "seats_paid", "status", "closed_at"])
    if was_leader and team.status == TeamStatus.OPEN:
        _ensure_leader(team, why=_handover(handover))


def give_up_seat_of_cancelled_order(order_id: int, *, now: datetime | None = None) -> bool:
    """Staff cancel a seat's order by hand (the console, the API: `orders.cancel_order`,
    through the `order_cancelling` hook, in its transaction before the order is locked)
    while its team is open: the seat goes back to the team, once. The team's counts drop
    (so another shopper can take the seat and the team cannot fill on it), the units go
    back to the quota; the order's cancellation returns the stock to its outlets. The seat
    is released, or refunded when its payment was refunded by hand before the
    cancellation; either way a later failure of the team leaves it alone. The shop's own
    cancellation email tells the member. Returns whether a seat was given up.

    Group-buy's own paths give a seat up before they cancel its order, so their
    cancellations find no seat holding here and change nothing.

    A seat of a team that has succeeded leaves no team (its outcome is history: the counts,
    the lead and the other members' orders stay), but its units go back to the campaign's
    quota, once: the seat is marked released (refunded, when its payment was refunded by
    hand first), so a second cancellation or a later refund finds nothing to give back."""
    return _give_up_seat(order_id, cause="cancelled", now=now) is not None


def give_up_seat_of_refunded_order(order_id: int, *, now: datetime | None = None) -> bool:
    """Staff refunded a seat's order in full by hand (the console, the API) without
    cancelling it, while its team is open: the seat leaves the team as a cancelled one
    does, once. The seat is marked refunded (a later failure of the team refunds and
    cancels nothing more), the team's counts drop, the units go back to the quota, a
    leader's lead passes on, an emptied team closes as failed, and the order is cancelled
    (its stock back to its outlets; its own `order_cancelling` hook then finds no seat).
    A partial refund keeps the seat. Returns whether a seat was given up.

    Called after the refund's transaction commits (`hooks.order_refunded`): the refund
    holds the order's row lock, and every group-buy path locks the team before the order.

    A seat of a team that has succeeded gives its units back to the campaign's quota, once
    (marked refunded), and nothing else: the team stays as it was, and the order is left
    to staff, as any refunded order is (shipped already, or cancelled by hand for its
    stock: that cancellation finds the seat given back and returns no units twice)."""
    with transaction.atomic():
        given_up = _give_up_seat(order_id, cause="refunded", now=now)
        if given_up is None:
            return False
        order, team_open = given_up
        if team_open and order.status == FulfilmentStatus.UNFULFILLED:
            orders.cancel_order(order_id, reason="refunded in full by hand", actor="group-buy")
    return True


def _give_up_seat(order_id: int, *, cause: str, now: datetime | None) -> tuple[Order, bool] | None:
    """The seat of `order_id` lets go because staff cancelled the order (`cause`
    "cancelled") or refunded it in full ("refunded"): from an open team it leaves the team;
    from a team that has succeeded, only its units go back to the campaign's quota. The
    order, locked, and whether its team was open; None when no seat holds there any more,
    its team failed, or (refunded) the refund was partial."""
    seat = (
        TeamMember.objects.filter(order_id=order_id, is_virtual=False, status__in=SEAT_HOLDING)
        .values_list("pk", "team_id")
        .first()
    )
    if seat is None:
        return None
    member_id, team_id = seat
    now = now or timezone.now()
    with transaction.atomic():
        # Team, seat, order, stock, then campaign: the lock order of every group-buy path.
        # A cancellation returns the stock after this, so its rows are locked here,
        # before the quota's campaign row (a seat being taken holds stock, then waits for
        # the campaign: taking them the other way round would deadlock with it).
        team = Team.objects.select_for_update().get(pk=team_id)
        member = TeamMember.objects.select_for_update().get(pk=member_id)
        # Checked again under the locks: of two at once (a cancellation and a refund's
        # after-commit step), the second finds the seat given back and changes nothing.
        if member.status not in SEAT_HOLDING or team.status == TeamStatus.FAILED:
            return None
        order = Order.objects.select_for_update().get(pk=order_id)
        if cause == "refunded" and order.payment_status != PaymentStatus.REFUNDED:
            return None  # partly refunded: the member keeps the seat
        if cause == "cancelled" or team.status == TeamStatus.OPEN:
            # The stock comes back after this: by this cancellation, or (refunded, from an
            # open team) by the one that follows. A succeeded team's refunded order keeps it.
            orders.lock_taken_stock(order)
        counted = member.status in SEAT_COUNTED
        # A paid seat's order is cancelled only once its payment went back (cancel_order
        # refuses it otherwise, undoing this).
        member.status = (
            SeatStatus.REFUNDED
            if cause == "refunded" or order.refunded_total
            else SeatStatus.RELEASED
        )
        _return_units(team.campaign_id, member.quantity)
        if team.status == TeamStatus.SUCCEEDED:
            _units_out_of_succeeded_team(team, member, order, cause=cause)
            return order, False
        _seat_out_of_locked_team(
            team,
            member,
            order,
            counted=counted,
            now=now,
            # Its own kind: the member did not leave (the team's page shows the order's
            # cancellation or refund as the seat given back).
            event=(
                "seat_given_back",
                _("Seat given back to the group-buy team: the order was refunded in full")
                if cause == "refunded"
                else _("Seat given back to the group-buy team: the order was cancelled"),
            ),
            handover=cause,
        )
    return order, True


def _units_out_of_succeeded_team(
    team: Team, member: TeamMember, order: Order, *, cause: str
) -> None:
    """A seat of a succeeded team whose order staff cancelled or refunded in full (its new
    status set and its units returned by the caller) is saved and the order's timeline
    says so. It no longer holds, so its units go back only once. The team's counts, its
    lead and its other members stay: the team did fill. The team row is locked."""
    member.save(update_fields=["status"])
    orders.add_event(
        order,
        "units_given_back",
        _("Units given back to the group-buy campaign: the order was refunded in full")
        if cause == "refunded"
        else _("Units given back to the group-buy campaign: the order was cancelled"),
        actor="group-buy",
        data={"team": team.pk, "units": member.quantity},
    )


def give_up_seat_after_refund_commits(order: Order) -> None:
    """`give_up_seat_of_refunded_order` once the refund's transaction has committed, in
    the order's shop (an outbox worker may have left it by then)."""
    tenant = connection.tenant
    order_id = order.pk

    def give_up() -> None:
        with tenant:
            give_up_seat_of_refunded_order(order_id)

    transaction.on_commit(give_up)


def give_up_stranded_seat(order_id: int, *, cause: str) -> bool:
    """The data repair (`manage.py repair_groupbuy_seats`): a seat whose order staff
    cancelled ("cancelled") or refunded in full ("refunded") before group-buy heard of it
    goes as it would now, by the same path: from an open team it leaves the team; from a
    team that succeeded (cancelled or refunded before such seats gave their units back),
    only its units go back to the campaign's quota, with the same timeline entry. Each
    check runs again under the locks, so a second run, or a seat given back meanwhile,
    changes nothing. Returns whether it did."""
    if cause == "cancelled":
        # The cancellation returned the stock then; this gives back the seat (or, after
        # success, only its units) and the lead (marked refunded when the payment went
        # back).
        return give_up_seat_of_cancelled_order(order_id)
    # From an open team the order is cancelled now (its stock back); after success it is
    # left to staff, as the live refund leaves it.
    return give_up_seat_of_refunded_order(order_id)


def expire_team(team_id: int, *, now: datetime | None = None) -> str:
    """Close a team whose time ran out: fill it with virtual members when the campaign
    allows and few seats are missing, else fail it, refunding each paid member once,
    cancelling each offline member's order once, and returning the stock. Safe to run
    twice, concurrently, or again after a crash."""
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
                release_unpaid_seat(member, team.campaign_id, reason="team closed")
            TeamMember.objects.bulk_create(
                [
                    TeamMember(team=team, is_virtual=True, status=SeatStatus.PAID)
                    for _ in range(missing)
                ]
            )
            team.seats_taken = team.seats_paid = team.size
            team.save(update_fields=["seats_taken", "seats_paid"])
            succeed_team(team)
            return "virtually_filled"
        for member in members:
            if member.status == SeatStatus.PAID:
                order = Order.objects.select_for_update().get(pk=member.order_id)
                refund_seat(member, order, reason="team did not fill in time")
            elif member.status == SeatStatus.COMMITTED:
                order = Order.objects.select_for_update().get(pk=member.order_id)
                member.team = team
                cancel_committed_seat(member, order, reason="team did not fill in time")
            elif member.status == SeatStatus.RESERVED:
                release_unpaid_seat(member, team.campaign_id, reason="team did not fill")
        team.status = TeamStatus.FAILED
        team.closed_at = now
        team.save(update_fields=["status", "closed_at"])
        webhooks.emit_team(webhooks.EventType.TEAM_FAILED, team)
        return "failed"


def expire_due_teams(*, now: datetime | None = None, batch_size: int = 100) -> dict[str, int]:
    """Every open team past its time, each in its own transaction (the beat/sweeper task)."""
    now = now or timezone.now()
    due = Team.objects.filter(status=TeamStatus.OPEN, expires_at__lte=now).values_list(
        "pk", flat=True
    )
    return expire_teams(list(due[:batch_size]), now=now)


def expire_teams(team_ids: Iterable[int], *, now: datetime) -> dict[str, int]:
    """`expire_team` for each team, one transaction each: how many teams had each outcome."""
    outcome: dict[str, int] = {}
    for team_id in team_ids:
        result = expire_team(team_id, now=now)
        outcome[result] = outcome.get(result, 0) + 1
    return outcome


# A full team: closed as succeeded, its paid (and offline-committed) orders released for
# fulfilment with a timeline entry each, and each real member's success notice, in one
# statement (the team row is locked; the orders come after it, as on every path). Returns
# the new notices' ids.
_SUCCEED_SQL = """
    WITH closed AS (
        UPDATE groupbuy_team SET status = 'succeeded', closed_at = %(now)s WHERE id = %(team)s
    ), paid_seats AS (
        SELECT id, order_id, email, is_virtual FROM groupbuy_teammember
        WHERE team_id = %(team)s AND (status = 'paid' OR status = 'committed')
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


def succeed_team(team: Team) -> None:
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
            send_notices_soon()
    webhooks.emit_team(webhooks.EventType.TEAM_COMPLETED, team)
