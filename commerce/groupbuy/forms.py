from django import forms
from django.utils.translation import gettext_lazy as _

from commerce.catalog.models import Variant


class CampaignForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    variant = forms.ModelChoiceField(
        label=_("Item"), queryset=Variant.objects.filter(is_active=True).select_related("product")
    )
    group_price = forms.CharField(label=_("Group price"), max_length=20)
    leader_price = forms.CharField(
        label=_("Leader price (optional)"), max_length=20, required=False
    )
    team_size = forms.IntegerField(label=_("Team size"))
    team_window_hours = forms.IntegerField(label=_("Hours a team stays open"))
    starts_at = forms.DateTimeField(label=_("Starts"))
    ends_at = forms.DateTimeField(label=_("Ends"))
    virtual_fill_max_missing = forms.IntegerField(
        label=_("Fill with virtual members when at most this many seats are missing"),
        initial=0,
        min_value=0,
        max_value=99,
    )
    quota = forms.IntegerField(
        label=_("Quota (optional)"),
        help_text=_("Units the campaign may sell, separate from stock. Empty: no limit."),
        required=False,
        min_value=1,
    )
    max_open_teams_per_customer = forms.IntegerField(
        label=_("Open teams one shopper may lead"), initial=1
    )
    max_quantity_per_order = forms.IntegerField(label=_("Units per member"), initial=1)
