"""Group-buy campaigns: launched (checked, then written with its ledger event) and ended
early (its open teams fail).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from analytics.events import CampaignLaunched
from analytics.ledger import record_event
from commerce.catalog.models import Variant
from commerce.groupbuy.models import Campaign, Team, TeamStatus
from commerce.groupbuy.scheduling import note_groupbuy_due
from commerce.groupbuy.teams import expire_teams
from commerce.money import check_price
from commerce.orders import services as orders
from commerce.plugins.selectors import is_enabled


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
    with transaction.atomic():
        Team.objects.filter(campaign=campaign, status=TeamStatus.OPEN).update(expires_at=now)
        # Teams not expired below (a refund failing) are due now for the sweep.
        note_groupbuy_due(now)
    return expire_teams(
        Team.objects.filter(campaign=campaign, status=TeamStatus.OPEN).values_list("pk", flat=True),
        now=now,
    )
