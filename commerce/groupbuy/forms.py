from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from commerce.catalog.models import Variant


class ShopDateTimeInput(forms.DateTimeInput):
    """A browser date-time picker (no seconds). The value is typed and shown in the current
    timezone, which the tenant middleware sets to the shop's own."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


def shop_datetime_field(label) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        widget=ShopDateTimeInput(),
        # What the picker sends, and what a person types where the browser has no picker.
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
    )


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
    starts_at = shop_datetime_field(_("Starts"))
    ends_at = shop_datetime_field(_("Ends"))
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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        zone = timezone.get_current_timezone_name()
        for name in ("starts_at", "ends_at"):
            self.fields[name].help_text = _("In the shop's timezone (%(zone)s).") % {"zone": zone}
        if not self.is_bound:
            now = timezone.localtime().replace(second=0, microsecond=0)
            self.fields["starts_at"].initial = now
            self.fields["ends_at"].initial = now + timedelta(days=7)
