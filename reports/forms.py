from django import forms
from django.utils.translation import gettext_lazy as _

from reports.models import MarketingSpend, MetricSettings


class MetricsFilterForm(forms.Form):
    currency = forms.ChoiceField(label=_("Currency"), required=False)
    month = forms.DateField(
        label=_("Month"),
        required=False,
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )

    def __init__(self, *args, currencies: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["currency"].choices = [(code, code) for code in currencies]


class SpendForm(forms.ModelForm):
    month = forms.DateField(
        label=_("Month"),
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )

    class Meta:
        model = MarketingSpend
        fields = ["month", "currency", "amount", "note"]

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount < 0:
            raise forms.ValidationError(_("Spend cannot be negative."))
        return amount


class MarginForm(forms.ModelForm):
    class Meta:
        model = MetricSettings
        fields = ["gross_margin_percent"]

    def clean_gross_margin_percent(self):
        margin = self.cleaned_data["gross_margin_percent"]
        if not 0 <= margin <= 100:
            raise forms.ValidationError(_("Enter a percentage from 0 to 100."))
        return margin
