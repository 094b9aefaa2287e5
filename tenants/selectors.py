from __future__ import annotations

import hashlib
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import (
    Case,
    Count,
    DateTimeField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)

from accounts.models import User
from tenants.models import FormerSeat, Membership, Merchant, StaffAction, StaffInvitation


def is_member(*, user: User, merchant: Merchant) -> bool:
    if not user.is_authenticated or merchant.is_public:
        return False
    return Membership.objects.filter(user=user, merchant_id=merchant.pk).exists()


def memberships_for_user(user: User) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(user=user).select_related("merchant").order_by("merchant__name")
    )


def search_merchants(*, query: str = "", status: str = "") -> QuerySet[Merchant]:
    merchants = Merchant.objects.exclude(schema_name="public").annotate(
        member_count=Count("memberships")
    )
    if query:
        merchants = merchants.filter(
            Q(name__icontains=query)
            | Q(slug__icontains=query)
            | Q(domains__domain__icontains=query)
            | Q(memberships__user__email__icontains=query)
        ).distinct()
    if status:
        merchants = merchants.filter(status=status)
    return merchants.order_by("-created_at")


def membership_of(*, user: User, merchant: Merchant) -> Membership | None:
    """The user's membership of the merchant (one query), or None."""
    if not user.is_authenticated or merchant.is_public:
        return None
    return (
        Membership.objects.filter(user=user, merchant_id=merchant.pk)
        .only("id", "role", "user_id", "merchant_id", "created_at")
        .first()
    )


def staff_members(merchant: Merchant) -> QuerySet[Membership]:
    """The shop's members, the owner first, then by role and email (one query). Each carries
    `last_active_at`: when they last changed something in this shop (their latest entry in
    the staff activity log), None if never."""
    latest_action = StaffAction.objects.filter(
        merchant_id=merchant.pk, actor_id=OuterRef("user_id")
    ).order_by("-occurred_at", "-id")
    return (
        Membership.objects.filter(merchant_id=merchant.pk)
        .select_related("user")
        .annotate(
            is_owner=Case(When(role="owner", then=0), default=1),
            last_active_at=Subquery(latest_action.values("occurred_at")[:1]),
        )
        .order_by("is_owner", "role", "user__email")
    )


def open_invitations(merchant: Merchant) -> QuerySet[StaffInvitation]:
    """Invitations not yet accepted or revoked, expired ones included (they can be resent)."""
    return StaffInvitation.objects.filter(
        merchant_id=merchant.pk, accepted_at__isnull=True, revoked_at__isnull=True
    ).select_related("invited_by")


def invitation_for_token(*, token: str, merchant: Merchant) -> StaffInvitation | None:
    """The merchant's invitation whose link carries `token` (any state), or None."""
    if not token or len(token) > 200:
        return None
    digest = hashlib.sha256(token.encode()).hexdigest()
    return (
        StaffInvitation.objects.filter(token_hash=digest, merchant_id=merchant.pk)
        .select_related("merchant")
        .first()
    )


def staff_actions(merchant: Merchant, *, actor_email: str = "", section: str = ""):
    """The shop's staff activity log, newest first."""
    actions = StaffAction.objects.filter(merchant_id=merchant.pk)
    if actor_email:
        actions = actions.filter(actor_email=actor_email)
    if section:
        actions = actions.filter(section=section)
    return actions.order_by("-occurred_at", "-id")


def staff_action_filters(merchant: Merchant) -> tuple[list[str], list[str]]:
    """The people and sections that appear in the shop's log (for the filter menus)."""
    rows = StaffAction.objects.filter(merchant_id=merchant.pk)
    people = sorted(set(rows.values_list("actor_email", flat=True).distinct()) - {""})
    sections = sorted(set(rows.values_list("section", flat=True).distinct()) - {""})
    return people, sections


def _local_day(moment: datetime, zone: zoneinfo.ZoneInfo) -> date:
    return moment.astimezone(zone).date()


@dataclass(frozen=True)
class SeatsHeld:
    current: int  # memberships now
    by_day: list[int]  # seats held on each local day of the period


def seats_held(
    merchants: Iterable[Merchant], period_start: date, period_end: date
) -> dict[int, SeatsHeld]:
    """Seats now and on each local day of the period, per merchant (one query in all).

    A membership is a seat from the local day it was created; a removed member's seat
    (`FormerSeat`) counts up to the day before it ended, like a plugin switched off: the day
    of removal is not charged. Days are the merchant's local dates (its timezone).
    """
    zones = {merchant.pk: zoneinfo.ZoneInfo(merchant.timezone) for merchant in merchants}
    days = (period_end - period_start).days + 1
    by_day = {merchant_id: [0] * days for merchant_id in zones}
    current = dict.fromkeys(zones, 0)
    # A day's margin either side: local dates differ from UTC by less than a day.
    after = datetime.combine(period_start - timedelta(days=2), time.min, tzinfo=UTC)
    members = (
        Membership.objects.filter(merchant_id__in=zones)
        .annotate(ended=Value(None, output_field=DateTimeField()))
        .values_list("merchant_id", "created_at", "ended")
    )
    former = FormerSeat.objects.filter(merchant_id__in=zones, ended_at__gte=after).values_list(
        "merchant_id", "started_at", "ended_at"
    )
    for merchant_id, started_at, ended_at in members.union(former, all=True):
        zone = zones[merchant_id]
        first = max(_local_day(started_at, zone), period_start)
        if ended_at is None:
            current[merchant_id] += 1
            last = period_end
        else:
            last = min(_local_day(ended_at, zone) - timedelta(days=1), period_end)
        for offset in range((first - period_start).days, (last - period_start).days + 1):
            by_day[merchant_id][offset] += 1
    return {
        merchant_id: SeatsHeld(current=current[merchant_id], by_day=by_day[merchant_id])
        for merchant_id in zones
    }
