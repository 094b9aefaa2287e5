from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from commerce.groupbuy import selectors
from commerce.groupbuy.campaigns import CampaignInput, create_campaign, end_campaign_early
from commerce.groupbuy.forms import CampaignForm
from commerce.groupbuy.models import Campaign, Team
from commerce.groupbuy.selectors import (
    campaigns_with_figures,
    end_preview,
    seat_delivery_methods,
    seat_delivery_warning,
    seat_payment_methods,
    seat_payment_summary,
    teams_of,
    units_taken,
)
from commerce.plugins.access import plugin_required
from commerce.store.selectors import store_settings
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
        {"form": form, "rows": campaigns_with_figures(), **_seat_payments()},
        status=400 if form.errors else 200,
    )


def _seat_payments() -> dict:
    """How seats will be paid in this shop, said on every campaign page of the console,
    and a warning when seats cannot be taken for want of pickup or delivery (the rule the
    seat service refuses them by: `selectors.seat_delivery_methods`)."""
    store = store_settings()
    methods = seat_payment_methods(store)
    return {
        "seat_payment_summary": seat_payment_summary(methods),
        "takes_no_payment": not methods,
        "seat_delivery_warning": seat_delivery_warning(seat_delivery_methods(store)),
    }


@shop_member_required
@plugin_required("groupbuy")
def campaign_detail(request, campaign_id: int):
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    return render(
        request,
        "manage/groupbuy/campaign.html",
        {
            "campaign": campaign,
            "teams": teams_of(campaign),
            "units_taken": units_taken(campaign),
            **_seat_payments(),
        },
    )


@shop_member_required
@plugin_required("groupbuy")
@require_http_methods(["GET", "HEAD", "POST"])
def campaign_end(request, campaign_id: int):
    """End a campaign now, in two steps that work without JavaScript: this page says what
    will happen to its open teams (GET), and its form ends it (POST with `confirm`)."""
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    if campaign.ended_early_at is not None:
        messages.info(request, _("This campaign has ended already."))
        return redirect("manage_groupbuy_campaign", campaign_id=campaign.pk)
    if request.method != "POST" or request.POST.get("confirm") != "yes":
        return render(
            request,
            "manage/groupbuy/campaign_end.html",
            {"campaign": campaign, "preview": end_preview(campaign)},
        )
    preview = end_preview(campaign)
    outcome = end_campaign_early(campaign.pk)
    # "Label: count" sentences: no plural forms to get wrong in either language.
    said = [
        _("Campaign ended."),
        _("Open teams failed: %(count)s.") % {"count": outcome.get("failed", 0)},
        _("Paid members refunded: %(count)s.") % {"count": preview.members_refunded},
        _("Orders to pay on delivery or in store cancelled: %(count)s.")
        % {"count": preview.members_cancelled},
        _("Unpaid seats released: %(count)s.") % {"count": preview.seats_released},
    ]
    if outcome.get("virtually_filled"):
        said.append(
            _("Teams filled with virtual members (they ship): %(count)s.")
            % {"count": outcome["virtually_filled"]}
        )
    messages.success(request, " ".join(said))
    return redirect("manage_groupbuy_campaign", campaign_id=campaign.pk)


@shop_member_required
@plugin_required("groupbuy")
def team_detail(request, team_id: int):
    try:
        detail = selectors.team_detail(team_id)
    except Team.DoesNotExist as missing:
        raise Http404 from missing
    return render(request, "manage/groupbuy/team.html", {"detail": detail})
