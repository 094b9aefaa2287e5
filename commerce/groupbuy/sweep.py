"""The platform's group-buy safety net: a beat task that visits the shops with work due.

Each team's expiry and its unpaid-seat release are Celery tasks with an ETA
(`scheduling.schedule_team_expiry`, `scheduling.schedule_seat_release`). A lost message (Redis
flushed, a worker killed mid-task) would leave a team open forever: paid members never
refunded, reserved stock never back. The sweep finds that work from the tables themselves,
so correctness does not depend on a message being delivered; the per-team tasks stay the
fast path and the sweep only catches what they missed (both are idempotent, so a sweep
racing a late ETA task changes nothing twice).

The shops to visit come from the public index of due shops (`deadlines.DueShop`, kind
`GROUPBUY_DEADLINE`): a team's opening and the seat starting its release chain note the
shop's earliest deadline there, and after its sweep a shop's row moves to its next
deadline read from its tables. A daily full pass over every shop that ever ran group-buy
(from the public ledger) catches what the index never saw (rows older than it) and puts
it in. The work itself runs in each shop's schema through the same services the per-team
tasks call.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Exists, Min, OuterRef
from django.db.models.fields.json import KT
from django.utils import timezone
from django_tenants.utils import get_public_schema_name

from analytics.events import EventKind
from analytics.models import MerchantEvent
from commerce.groupbuy.models import GroupBuyNotice, SeatStatus, Team, TeamMember, TeamStatus
from commerce.groupbuy.notices import send_notices
from commerce.groupbuy.scheduling import GROUPBUY_DEADLINE, note_groupbuy_due
from commerce.groupbuy.teams import expire_due_teams, release_lapsed_seats
from deadlines.services import due_merchant_ids, reschedule
from tenants.models import Merchant

logger = logging.getLogger(__name__)

# Teams past their time handled per shop and run (`expire_due_teams`); the rest wait five
# minutes for the next run, so one shop with a backlog cannot hold up the fleet.
EXPIRE_BATCH = 100
# Open teams with a lapsed unpaid seat handled per shop and run, for the same reason.
RELEASE_BATCH = 200
# Due shops visited per run, the longest overdue first; the rest are next run's.
SHOP_BATCH = 500


@dataclass(frozen=True)
class ShopSweep:
    """What one shop's sweep did."""

    # expire_team's outcome -> teams: "failed", "virtually_filled", "nothing to do" (a
    # concurrent ETA task or sweep closed it first).
    teams_expired: dict[str, int] = field(default_factory=dict)
    seats_released: int = 0
    notices_sent: int = 0


@dataclass(frozen=True)
class SweepOutcome:
    """Totals of one run over every group-buy shop."""

    shops_swept: int = 0
    shops_failed: int = 0
    teams_expired: dict[str, int] = field(default_factory=dict)
    seats_released: int = 0
    notices_sent: int = 0
    # Slugs of the shops that raised (the traceback is in the log), for the task result.
    failed_shops: tuple[str, ...] = ()


def shops_with_groupbuy() -> list[Merchant]:
    """Merchants that have ever switched group-buy on, in one query on public tables.

    "Ever", not "now": a shop that switched the plugin off keeps its open teams, and those
    must still expire and refund; so do suspended and closed shops (their schemas and their
    shoppers' money stay; a closed shop's pages answer 410, so nobody joins). The ledger is the only record of that readable from the
    public schema (PluginState lives in each tenant schema)."""
    enabled_groupbuy = (
        MerchantEvent.objects.filter(merchant=OuterRef("pk"), kind=EventKind.PLUGIN_ENABLED)
        .annotate(plugin=KT("payload__plugin"))  # payload->>'plugin'
        .filter(plugin="groupbuy")
    )
    return list(
        Merchant.objects.exclude(schema_name=get_public_schema_name())
        .filter(Exists(enabled_groupbuy))
        .order_by("pk")
    )


def sweep_shop(
    now: datetime, *, expire_batch: int = EXPIRE_BATCH, release_batch: int = RELEASE_BATCH
) -> ShopSweep:
    """Catch up the current tenant schema's group-buy work that an ETA task should have done.

    First every open team past its time (`expire_due_teams`: one transaction per team, a
    rerun finds nothing). Then every team still open before its time that holds a seat
    whose payment window has lapsed: `release_lapsed_seats` gives those seats back and
    schedules the team's next release check, restarting a chain a lost message broke. A
    team past its time is left to `expire_team`, which releases unpaid seats itself."""
    teams_expired = expire_due_teams(now=now, batch_size=expire_batch)
    lapsed_seat = TeamMember.objects.filter(
        team=OuterRef("pk"), status=SeatStatus.RESERVED, reserved_until__lte=now
    )
    team_ids = list(
        Team.objects.filter(status=TeamStatus.OPEN, expires_at__gt=now)
        .filter(Exists(lapsed_seat))
        .order_by("pk")
        .values_list("pk", flat=True)[:release_batch]
    )
    seats_released = sum(release_lapsed_seats(team_id, now=now) for team_id in team_ids)
    # Notices whose run was lost (the outbox's rows are claimed once: a run racing this
    # one sends each email once).
    notices_sent = send_notices()
    return ShopSweep(
        teams_expired=teams_expired, seats_released=seats_released, notices_sent=notices_sent
    )


def next_groupbuy_due() -> datetime | None:
    """The current shop's earliest group-buy work (None: nothing left to do): an open team's
    expiry, an unpaid seat's window in an open team, an unsent notice. The work `sweep_shop`
    does, not `Team.release_check_at`: that is the ETA task's time, and stays set on a team
    whose seats were all paid, which would keep the shop due at every run."""
    expiry = Team.objects.filter(status=TeamStatus.OPEN).aggregate(at=Min("expires_at"))["at"]
    unpaid_seat = TeamMember.objects.filter(
        team__status=TeamStatus.OPEN, status=SeatStatus.RESERVED
    ).aggregate(at=Min("reserved_until"))["at"]
    unsent_notice = GroupBuyNotice.objects.filter(sent_at__isnull=True).aggregate(
        at=Min("created_at")
    )["at"]
    return min((at for at in (expiry, unpaid_seat, unsent_notice) if at is not None), default=None)


def sweep_groupbuy_shops(
    now: datetime | None = None, *, shop_batch: int = SHOP_BATCH
) -> SweepOutcome:
    """Every five minutes: sweep the shops the index names as due, each in its own schema,
    and record each one's next deadline. Shops with nothing due are not visited."""
    now = now or timezone.now()
    due_ids = due_merchant_ids(kind=GROUPBUY_DEADLINE, now=now, limit=shop_batch)
    merchants = Merchant.objects.in_bulk(due_ids)
    for merchant_id in set(due_ids) - set(merchants):  # the shop is gone: so is its work
        reschedule(kind=GROUPBUY_DEADLINE, merchant_id=merchant_id, next_due=lambda: None)
    return _sweep_shops([merchants[pk] for pk in due_ids if pk in merchants], now)


def sweep_all_groupbuy_shops(now: datetime | None = None) -> SweepOutcome:
    """Once a day: sweep every shop from `shops_with_groupbuy`, and note each one's next
    deadline in the index (which may never have heard of it)."""
    return _sweep_shops(shops_with_groupbuy(), now or timezone.now(), note_next=True)


def _sweep_shops(
    merchants: list[Merchant], now: datetime, *, note_next: bool = False
) -> SweepOutcome:
    """Sweep each shop in its schema, then move its due time to its next deadline.

    One shop's failure (a dropped schema, Stripe refusing a refund) is logged and counted
    and does not stop the others: the safety net must not have a single point of failure.
    Each shop's work commits team by team, so a shop that fails half-way keeps what it did;
    its due time is left as it was, so the next run comes back and finishes it."""
    swept = 0
    failed: list[str] = []
    teams_expired: dict[str, int] = {}
    seats_released = notices_sent = 0
    for merchant in merchants:
        try:
            with merchant:
                shop = sweep_shop(now)
                _move_due_time(note_next=note_next)
        except Exception:
            logger.exception(
                "Group-buy sweep failed for shop %s (schema %s)",
                merchant.slug,
                merchant.schema_name,
            )
            failed.append(merchant.slug)
            continue
        swept += 1
        for outcome, count in shop.teams_expired.items():
            teams_expired[outcome] = teams_expired.get(outcome, 0) + count
        seats_released += shop.seats_released
        notices_sent += shop.notices_sent
    return SweepOutcome(
        shops_swept=swept,
        shops_failed=len(failed),
        teams_expired=teams_expired,
        seats_released=seats_released,
        notices_sent=notices_sent,
        failed_shops=tuple(failed),
    )


def _move_due_time(*, note_next: bool) -> None:
    """The current shop's due time becomes its next deadline (see `deadlines.services`).
    `note_next`: the shop may have no index row yet; give it one first."""
    if note_next:
        with transaction.atomic():
            next_due = next_groupbuy_due()
            if next_due is not None:
                note_groupbuy_due(next_due)
    reschedule(kind=GROUPBUY_DEADLINE, merchant_id=connection.tenant.pk, next_due=next_groupbuy_due)
