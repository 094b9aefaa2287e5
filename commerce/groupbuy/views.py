from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from commerce.groupbuy import selectors
from commerce.groupbuy.campaigns import CampaignInput, create_campaign, end_campaign_early
from commerce.groupbuy.forms import CampaignForm
from commerce.groupbuy.models import Campaign, Team
from commerce.groupbuy.selectors import campaigns_with_figures, teams_of, units_taken
from commerce.plugins.access import plugin_required
from core.forms import add_service_errors
from tenants.access import shop_member_required


@shop_member_required
@plugin_required("groupbuy")
def campaigns(request):
    form = CampaignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            create_campaign(
                CampaignInput(
                    name=data["name"],
                    variant_id=data["variant"].pk,
                    group_price=data["group_price"],
                    leader_price=data["leader_price"] or None,
                    team_size=data["team_size"],
                    team_window_hours=data["team_window_hours"],
                    starts_at=data["starts_at"],
                    ends_at=data["ends_at"],
                    virtual_fill_max_missing=data["virtual_fill_max_missing"],
                    quota=data["quota"],
                    max_open_teams_per_customer=data["max_open_teams_per_customer"],
                    max_quantity_per_order=data["max_quantity_per_order"],
                )
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Campaign launched."))
            return redirect("manage_groupbuy")
    return render(
        request,
        "manage/groupbuy/campaigns.html",
        {"form": form, "rows": campaigns_with_figures()},
        status=400 if form.errors else 200,
    )


@shop_member_required
@plugin_required("groupbuy")
def campaign_detail(request, campaign_id: int):
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    return render(
        request,
        "manage/groupbuy/campaign.html",
        {"campaign": campaign, "teams": teams_of(campaign), "units_taken": units_taken(campaign)},
    )


@shop_member_required
@plugin_required("groupbuy")
@require_POST
def campaign_end(request, campaign_id: int):
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    outcome = end_campaign_early(campaign.pk)
    messages.success(
        request,
        _("Campaign ended; %(failed)s open teams were refunded.")
        % {"failed": outcome.get("failed", 0)},
    )
    return redirect("manage_groupbuy_campaign", campaign_id=campaign.pk)


@shop_member_required
@plugin_required("groupbuy")
def team_detail(request, team_id: int):
    try:
        detail = selectors.team_detail(team_id)
    except Team.DoesNotExist as missing:
        raise Http404 from missing
    return render(request, "manage/groupbuy/team.html", {"detail": detail})
