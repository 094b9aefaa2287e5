from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum

from commerce.groupbuy.models import Campaign, SeatStatus, Team, TeamMember, TeamStatus
from commerce.orders.models import Order


@dataclass(frozen=True)
class CampaignFigures:
    campaign: Campaign
    open_teams: int
    succeeded_teams: int
    failed_teams: int
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
            team_seat__status=SeatStatus.PAID, team_seat__is_virtual=False
        )
        .values("team_seat__team__campaign_id")
        .annotate(
            seats=Count("id"),
            gmv=Sum("total"),
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
    return TeamMember.objects.filter(
        is_virtual=False, status__in=(SeatStatus.RESERVED, SeatStatus.PAID)
    )


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
