from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from commerce.groupbuy.models import (
    SEAT_COUNTED,
    SEAT_HOLDING,
    Campaign,
    SeatStatus,
    Team,
    TeamMember,
    TeamStatus,
)
from commerce.orders.models import (
    FulfilmentStatus,
    Order,
    OrderEvent,
    PaymentMethod,
    PaymentStatus,
    ShippingMethod,
)
from commerce.store.models import StoreSettings
from commerce.store.selectors import store_settings


def seat_payment_methods(store: StoreSettings | None = None) -> list[PaymentMethod]:
    """How shoppers can pay for a seat in this shop, card first: by card once the shop's
    Stripe account takes charges, and offline (cash on delivery, pay in store) as the shop
    accepts them at checkout. Empty: the shop can take no payment, so no seat either."""
    store = store or store_settings()
    methods = []
    if connection.tenant.stripe_charges_enabled:
        methods.append(PaymentMethod.STRIPE)
    if store.accepts_cash_on_delivery:
        methods.append(PaymentMethod.CASH_ON_DELIVERY)
    if store.accepts_pay_in_store:
        methods.append(PaymentMethod.PAY_IN_STORE)
    return methods


def seat_payment_summary(methods: list[PaymentMethod]) -> str:
    """One plain sentence for the console: which methods seats use, or why none can."""
    if not methods:
        return str(
            _(
                "Shoppers cannot take seats: this shop takes no payment yet. Connect Stripe "
                "for card payments, or accept cash on delivery or pay in store."
            )
        )
    names = ", ".join(str(method.label) for method in methods)
    if PaymentMethod.STRIPE not in methods:
        return str(
            _(
                "Seats are held without card payment (the shop has no Stripe account yet): "
                "shoppers pay once their team is complete, by: %(methods)s. A team that "
                "does not fill cancels its orders: nothing to refund."
            )
            % {"methods": names}
        )
    return str(_("Shoppers pay for seats by: %(methods)s.") % {"methods": names})


def seat_delivery_methods(store: StoreSettings | None = None) -> list[ShippingMethod]:
    """How a seat's goods can reach the member in this shop, as at checkout: collected
    where the shop offers local pickup, delivered where it has a delivery rate. Empty: the
    shop offers neither, so every seat is refused. The one rule for the seat service's
    check (`seats.take_seat`), the seat form's choices and the console's warning."""
    store = store or store_settings()
    methods = []
    if store.local_pickup:
        methods.append(ShippingMethod.PICKUP)
    if store.shipping_flat_rate is not None:
        methods.append(ShippingMethod.FLAT)
    return methods


def seat_delivery_warning(methods: list[ShippingMethod]) -> str:
    """The console's warning when seats cannot be taken for want of pickup or delivery
    ("": nothing to warn about)."""
    if methods:
        return ""
    return str(
        _(
            "Seats cannot be taken: this shop offers neither delivery nor pickup — turn one "
            "on in Store › Shipping."
        )
    )


@dataclass(frozen=True)
class EndPreview:
    """What ending a campaign now would do to its open teams (the confirmation step)."""

    open_teams: int
    # Teams short of few enough seats that the campaign fills them with virtual members.
    teams_filled_virtually: int
    teams_failing: int
    # Members of the failing teams: paid by card (refunded), held to pay offline (order
    # cancelled, nothing to refund), awaiting payment (seat released).
    members_refunded: int
    members_cancelled: int
    seats_released: int


def end_preview(campaign: Campaign) -> EndPreview:
    """The outcome `campaigns.end_campaign_early` would have now (two queries). A team
    with at least one counted seat and at most `virtual_fill_max_missing` missing is
    filled virtually, as `teams.expire_team` does; the others fail."""
    teams = list(campaign.teams.filter(status=TeamStatus.OPEN).values("pk", "size", "seats_paid"))
    filled = {
        team["pk"]
        for team in teams
        if team["seats_paid"] > 0
        and 0 < team["size"] - team["seats_paid"] <= campaign.virtual_fill_max_missing
    }
    failing = [team["pk"] for team in teams if team["pk"] not in filled]
    # A seat held offline whose cash the shop has recorded already is refunded, not cancelled.
    seats: dict[tuple[str, str], int] = {
        (row["status"], row["order__payment_status"]): row["count"]
        for row in TeamMember.objects.filter(team_id__in=failing, is_virtual=False)
        .values("status", "order__payment_status")
        .annotate(count=Count("id"))
    }

    def count(status: str, paid: bool | None = None) -> int:
        return sum(
            number
            for (seat_status, payment), number in seats.items()
            if seat_status == status and (paid is None or (payment == PaymentStatus.PAID) == paid)
        )

    unpaid_in_filled = (
        TeamMember.objects.filter(team_id__in=filled, status=SeatStatus.RESERVED).count()
        if filled
        else 0
    )
    return EndPreview(
        open_teams=len(teams),
        teams_filled_virtually=len(filled),
        teams_failing=len(failing),
        members_refunded=count(SeatStatus.PAID) + count(SeatStatus.COMMITTED, paid=True),
        members_cancelled=count(SeatStatus.COMMITTED, paid=False),
        seats_released=count(SeatStatus.RESERVED) + unpaid_in_filled,
    )


@dataclass(frozen=True)
class CampaignFigures:
    campaign: Campaign
    open_teams: int
    succeeded_teams: int
    failed_teams: int
    # Seats counted towards their teams: paid by card, or held to pay offline.
    paid_seats: int
    gmv: Decimal
    new_customers: int
    # Units held by real members' seats (awaiting payment or paid).
    units_taken: int


def campaigns_with_figures() -> list[CampaignFigures]:
    """Every campaign with its live figures (four queries whatever the number)."""
    campaigns = list(Campaign.objects.select_related("variant__product").order_by("-created_at"))
    teams = {
        row["campaign_id"]: row
        for row in Team.objects.values("campaign_id").annotate(
            open=Count("id", filter=Q(status=TeamStatus.OPEN)),
            succeeded=Count("id", filter=Q(status=TeamStatus.SUCCEEDED)),
            failed=Count("id", filter=Q(status=TeamStatus.FAILED)),
        )
    }
    sales = {
        row["team_seat__team__campaign_id"]: row
        for row in Order.objects.filter(
            team_seat__status__in=SEAT_COUNTED, team_seat__is_virtual=False
        )
        .values("team_seat__team__campaign_id")
        .annotate(
            seats=Count("id"),
            # Money taken: an offline seat's order counts once the shop records the cash.
            gmv=Sum("total", filter=Q(paid_at__isnull=False)),
            new=Count("id", filter=Q(is_new_customer=True)),
        )
    }
    units = dict(
        _holding_seats()
        .values("team__campaign_id")
        .annotate(units=Sum("quantity"))
        .values_list("team__campaign_id", "units")
    )
    return [
        CampaignFigures(
            campaign=campaign,
            open_teams=teams.get(campaign.pk, {}).get("open", 0),
            succeeded_teams=teams.get(campaign.pk, {}).get("succeeded", 0),
            failed_teams=teams.get(campaign.pk, {}).get("failed", 0),
            paid_seats=sales.get(campaign.pk, {}).get("seats", 0),
            gmv=sales.get(campaign.pk, {}).get("gmv") or Decimal("0"),
            new_customers=sales.get(campaign.pk, {}).get("new", 0),
            units_taken=units.get(campaign.pk, 0),
        )
        for campaign in campaigns
    ]


def _holding_seats() -> QuerySet[TeamMember]:
    return TeamMember.objects.filter(is_virtual=False, status__in=SEAT_HOLDING)


def units_taken(campaign: Campaign) -> int:
    """Units held by the campaign's real seats (awaiting payment or paid)."""
    return (
        _holding_seats().filter(team__campaign=campaign).aggregate(units=Sum("quantity"))["units"]
        or 0
    )


def teams_of(campaign: Campaign) -> QuerySet[Team]:
    return campaign.teams.prefetch_related("members").order_by("-created_at")


def running_campaign_for(variant_ids: list[int]) -> Campaign | None:
    """The campaign running now on one of these variants (the newest), if any."""
    from django.utils import timezone

    now = timezone.now()
    return (
        Campaign.objects.filter(
            variant_id__in=variant_ids,
            starts_at__lte=now,
            ends_at__gt=now,
            ended_early_at__isnull=True,
        )
        .order_by("-created_at")
        .first()
    )


def open_teams(campaign: Campaign, *, limit: int = 10) -> list[Team]:
    from django.utils import timezone

    return list(
        campaign.teams.filter(
            status=TeamStatus.OPEN, expires_at__gt=timezone.now(), seats_taken__gt=0
        ).order_by("expires_at")[:limit]
    )


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    who: str  # a member's email, or "" for the team itself
    what: str


@dataclass(frozen=True)
class TeamDetail:
    team: Team
    members: list[TeamMember]
    virtual_members: int
    timeline: list[TimelineEntry]


# Order events of a seat that belong on the team's timeline, and how they read there.
# ("placed" is the seat's join; "team_succeeded" is the team's own entry.)
_SEAT_EVENTS = {
    "paid": _("Paid"),
    "seat_held": _("Seat held, pays on delivery or in store"),
    "left_team": _("Left the team"),
    "team_leader": _("Took over as leader"),
    "refunded": _("Refunded"),
    "refund_failed": _("Card refund failed"),
    "cancelled": _("Seat given back (order cancelled)"),
    # A succeeded team's seat whose order staff cancelled or refunded in full.
    "units_given_back": _("Units given back to the campaign"),
    "fulfilled": _("Order shipped"),
}


def team_detail(team_id: int) -> TeamDetail:
    """A team with its real members (and their orders) and what happened to it, oldest
    first: opened, each seat taken, paid, left, refunded, the lead passed on, closed.
    Three queries whatever the team's size."""
    team = Team.objects.select_related("campaign__variant__product").get(pk=team_id)
    members = list(team.members.select_related("order").order_by("joined_at", "id"))
    real = [member for member in members if not member.is_virtual]
    email_of_order = {member.order_id: member.email for member in real if member.order_id}
    timeline = [TimelineEntry(team.created_at, "", _("Team opened"))]
    for member in real:
        timeline.append(
            TimelineEntry(
                member.joined_at,
                member.email,
                _("Started the team") if member is real[0] else _("Took a seat"),
            )
        )
    events = OrderEvent.objects.filter(
        order_id__in=list(email_of_order), kind__in=list(_SEAT_EVENTS)
    ).order_by("created_at", "id")
    for event in events:
        timeline.append(
            TimelineEntry(
                event.created_at, email_of_order[event.order_id], _SEAT_EVENTS[event.kind]
            )
        )
    virtual = len(members) - len(real)
    if team.closed_at is not None:
        if virtual:
            timeline.append(
                TimelineEntry(
                    team.closed_at,
                    "",
                    ngettext(
                        "%(count)s virtual member filled the last seat",
                        "%(count)s virtual members filled the last seats",
                        virtual,
                    )
                    % {"count": virtual},
                )
            )
        timeline.append(
            TimelineEntry(
                team.closed_at,
                "",
                _("Team succeeded: its orders ship")
                if team.status == TeamStatus.SUCCEEDED
                else _("Team failed: paid members refunded, held orders cancelled"),
            )
        )
    timeline.sort(key=lambda entry: entry.at)
    return TeamDetail(team=team, members=real, virtual_members=virtual, timeline=timeline)


@dataclass(frozen=True)
class StrandedSeat:
    """A seat still holding although staff cancelled its order, or refunded it in full,
    before group-buy heard of it: in an open team, still counted there (before the
    `order_cancelling` and `order_refunded` hooks, or a refund whose after-commit step never
    ran); in a team that succeeded, its units still taken from the campaign's quota (before
    such seats gave their units back)."""

    member_id: int
    campaign_id: int
    team_id: int
    order_id: int
    number: str  # the order's number, as staff see it
    email: str
    # "cancelled" (the order was cancelled, refunded or not) or "refunded" (in full only).
    cause: str
    quantity: int  # the seat's units
    team_succeeded: bool  # only its units go back (else the seat leaves its open team)


def stranded_seats() -> list[StrandedSeat]:
    """Every stranded seat of the current shop, by campaign, team then seat, in one query.
    A failed team's seats are none: its failure gave each back."""
    rows = (
        TeamMember.objects.filter(
            is_virtual=False,
            status__in=SEAT_HOLDING,
            team__status__in=(TeamStatus.OPEN, TeamStatus.SUCCEEDED),
        )
        .filter(
            Q(order__status=FulfilmentStatus.CANCELLED)
            | Q(order__payment_status=PaymentStatus.REFUNDED)
        )
        .order_by("team__campaign_id", "team_id", "id")
        .values_list(
            "pk",
            "team__campaign_id",
            "team_id",
            "order_id",
            "email",
            "order__status",
            "quantity",
            "team__status",
        )
    )
    return [
        StrandedSeat(
            member_id=member_id,
            campaign_id=campaign_id,
            team_id=team_id,
            order_id=order_id,
            number=Order(pk=order_id).number,
            email=email,
            cause="cancelled" if status == FulfilmentStatus.CANCELLED else "refunded",
            quantity=quantity,
            team_succeeded=team_status == TeamStatus.SUCCEEDED,
        )
        for (
            member_id,
            campaign_id,
            team_id,
            order_id,
            email,
            status,
            quantity,
            team_status,
        ) in rows
    ]
