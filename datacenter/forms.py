from datetime import date, timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

from datacenter.selectors import DataRange

PRESETS = ("7", "30", "90")
LONGEST_RANGE_DAYS = 366


class RangeForm(forms.Form):
    """The data center's period: the last 7/30/90 days up to today, or custom dates."""

    range = forms.ChoiceField(
        label=_("Range"),
        choices=[
            ("7", _("Last 7 days")),
            ("30", _("Last 30 days")),
            ("90", _("Last 90 days")),
            ("custom", _("Custom")),
        ],
        required=False,
    )
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    def clean(self):
        cleaned = super().clean()
        choice = cleaned.get("range") or "30"
        cleaned["range"] = choice
        if choice != "custom" or self.errors:
            return cleaned
        start, end = cleaned.get("start"), cleaned.get("end")
        if start is None:
            self.add_error("start", _("Choose the first day of a custom range."))
        if end is None:
            self.add_error("end", _("Choose the last day of a custom range."))
        if start is None or end is None:
            return cleaned
        if end > self.today:
            self.add_error("end", _("The range cannot end after today."))
        elif start > end:
            self.add_error("start", _("The first day must not be after the last day."))
        elif (end - start).days + 1 > LONGEST_RANGE_DAYS:
            self.add_error(
                "start", _("A range covers at most %(days)s days.") % {"days": LONGEST_RANGE_DAYS}
            )
        return cleaned

    def data_range(self) -> DataRange:
        choice = self.cleaned_data["range"]
        if choice == "custom":
            return DataRange(self.cleaned_data["start"], self.cleaned_data["end"], "custom")
        return DataRange(self.today - timedelta(days=int(choice) - 1), self.today, choice)
