from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django import forms
from django.utils.translation import gettext_lazy as _

from commerce.developers.models import Access, Resource
from commerce.developers.services import SUBSCRIBABLE


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=100, help_text=_("e.g. the app that uses it")
    )
    expires_on = forms.DateField(
        label=_("Expires on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Optional: the key stops working at the end of this day."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for resource in Resource:
            self.fields[f"scope_{resource.value}"] = forms.ChoiceField(
                label=resource.label, choices=Access.choices, required=False
            )

    def scopes(self) -> dict[str, str]:
        return {
            resource.value: self.cleaned_data.get(f"scope_{resource.value}") or ""
            for resource in Resource
        }

    def expires_at(self, timezone_name: str) -> datetime | None:
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        # The end of that day in the shop's timezone.
        return datetime.combine(day + timedelta(days=1), time(), tzinfo=ZoneInfo(timezone_name))


class EndpointForm(forms.Form):
    url = forms.CharField(
        label=_("URL"),
        max_length=500,
        widget=forms.URLInput(attrs={"placeholder": "https://example.com/webhooks"}),
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    event_types = forms.MultipleChoiceField(
        label=_("Events"),
        choices=[(kind, kind) for kind in SUBSCRIBABLE],
        widget=forms.CheckboxSelectMultiple,
    )


class EndpointEditForm(EndpointForm):
    is_enabled = forms.BooleanField(label=_("Enabled"), required=False)
