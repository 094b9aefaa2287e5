"""Group-buy (拼团): campaigns, teams and their seats."""

import secrets

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from commerce.orders.models import MONEY


class Campaign(models.Model):
    name = models.CharField(_("name"), max_length=120)
    variant = models.ForeignKey("catalog.Variant", on_delete=models.PROTECT, related_name="+")
    group_price = models.DecimalField(_("group price"), **MONEY)
    leader_price = models.DecimalField(_("leader price"), null=True, blank=True, **MONEY)
    team_size = models.PositiveSmallIntegerField(_("team size"))
    team_window_hours = models.PositiveSmallIntegerField(_("hours a team stays open"))
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    max_open_teams_per_customer = models.PositiveSmallIntegerField(default=1)
    max_quantity_per_order = models.PositiveSmallIntegerField(default=1)
    # Fill a team short of at most this many seats with virtual members at expiry (0: never).
    virtual_fill_max_missing = models.PositiveSmallIntegerField(default=0)
    quota = models.PositiveIntegerField(
        _("quota"),
        null=True,
        blank=True,
        help_text=_("Units the campaign may sell, separate from stock (empty: no limit)."),
    )
    # With a quota: units held by seats awaiting payment or paid, given back when a seat is
    # released or refunded; changed only by conditional UPDATEs (see seats.take_seat).
    # Without one it stays 0 (selectors.units_taken counts from the seats).
    units_sold = models.PositiveIntegerField(default=0)
    ended_early_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(team_size__gte=2) & Q(team_size__lte=100), name="campaign_team_size"
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="campaign_dates"
            ),
            models.CheckConstraint(
                condition=Q(quota__isnull=True) | Q(units_sold__lte=models.F("quota")),
                name="campaign_within_quota",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def units_left(self) -> int | None:
        """Units the quota still allows (None: no quota)."""
        if self.quota is None:
            return None
        return max(self.quota - self.units_sold, 0)


class TeamStatus(models.TextChoices):
    OPEN = "open", _("Open")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


def share_token() -> str:
    return secrets.token_urlsafe(12)


class Team(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="teams")
    status = models.CharField(max_length=10, choices=TeamStatus.choices, default=TeamStatus.OPEN)
    size = models.PositiveSmallIntegerField()
    # Seats held by members (paid, committed or awaiting payment); never more than `size`.
    seats_taken = models.PositiveSmallIntegerField(default=0)
    # Seats that count towards filling the team: paid by card, or committed to pay offline
    # (cash on delivery, pay in store). The team succeeds when this reaches `size`.
    seats_paid = models.PositiveSmallIntegerField(default=0)
    share_token = models.CharField(max_length=32, unique=True, default=share_token)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # When the pending seat-release task runs (NULL: none pending). One task per team, not
    # one per seat: it reschedules itself for the next seat still awaiting payment.
    release_check_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "expires_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(seats_taken__lte=models.F("size"))
                & Q(seats_paid__lte=models.F("seats_taken")),
                name="team_never_over_size",
            )
        ]

    def __str__(self) -> str:
        return f"team {self.pk} of {self.campaign_id}"

    @property
    def seats_left(self) -> int:
        return self.size - self.seats_taken


class SeatStatus(models.TextChoices):
    RESERVED = "reserved", _("Awaiting payment")
    PAID = "paid", _("Paid")
    # Held for a member who pays the shop offline (cash on delivery, pay in store): counts
    # towards the team at once; the order is paid when the goods are handed over.
    COMMITTED = "committed", _("Held, pays on delivery or in store")
    REFUNDED = "refunded", _("Refunded")
    RELEASED = "released", _("Released")


# The statuses of a seat still in its team (awaiting payment, paid, or committed offline).
SEAT_HOLDING = (SeatStatus.RESERVED, SeatStatus.PAID, SeatStatus.COMMITTED)
# The statuses of a seat that counts towards filling its team (Team.seats_paid).
SEAT_COUNTED = (SeatStatus.PAID, SeatStatus.COMMITTED)


def seat_token() -> str:
    """The seat's secret: its pay, return and leave links carry it, never its id."""
    return secrets.token_urlsafe(24)


class TeamMember(models.Model):
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="members")
    # Unguessable, and honoured only from the browser session that took the seat.
    seat_token = models.CharField(max_length=32, unique=True, default=seat_token)
    email = models.EmailField(blank=True)
    is_leader = models.BooleanField(default=False)
    is_virtual = models.BooleanField(default=False)
    quantity = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(
        max_length=10, choices=SeatStatus.choices, default=SeatStatus.RESERVED
    )
    order = models.OneToOneField(
        "orders.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="team_seat"
    )
    joined_at = models.DateTimeField(auto_now_add=True)
    # An unpaid seat is given back after this (its order cancelled, its stock returned).
    reserved_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["joined_at", "id"]
        constraints = [
            # Nobody holds two seats in one team (virtual members have no email).
            models.UniqueConstraint(
                fields=["team", "email"],
                # Equalities rather than IN (...): the clone of the tenant template recreates
                # this predicate from its text, and must print back the same.
                condition=Q(is_virtual=False)
                & (Q(status="reserved") | Q(status="paid") | Q(status="committed")),
                name="one_seat_per_shopper_per_team",
            )
        ]

    def __str__(self) -> str:
        return f"{self.email or 'virtual'} in team {self.team_id}"


class NoticeKind(models.TextChoices):
    SEAT_PAID = "seat_paid", _("Seat paid: the share link")
    TEAM_SUCCEEDED = "team_succeeded", _("Team succeeded")
    REFUNDED = "refunded", _("Refunded")
    # Offline seats: held (the share link, nothing to pay yet), and cancelled when the team
    # did not fill (nothing was paid, so nothing to refund).
    SEAT_HELD = "seat_held", _("Seat held: the share link")
    SEAT_CANCELLED = "seat_cancelled", _("Seat cancelled: nothing to pay")


class GroupBuyNotice(models.Model):
    """One email to a member per kind, and the shop's outbox of them: the row is written in
    the transaction that changes the seat or the team (a second run finds it and sends
    nothing); a task claims unsent rows after the commit and emails them."""

    member = models.ForeignKey(TeamMember, on_delete=models.PROTECT, related_name="notices")
    kind = models.CharField(max_length=20, choices=NoticeKind.choices)
    # Paid seats the team still lacked when the notice was written (the share-link email).
    seats_missing = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Claimed for sending (set before the email goes: never sent twice).
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member", "kind"], name="one_notice_per_member_kind")
        ]
        indexes = [
            models.Index(fields=["id"], condition=Q(sent_at__isnull=True), name="notice_unsent")
        ]

    def __str__(self) -> str:
        return f"{self.kind} to member {self.member_id}"
