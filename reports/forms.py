from django import forms
from django.utils.translation import gettext_lazy as _

from reports.models import MetricSettings
from tenants.signup import SignupChannel


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


class SpendForm(forms.Form):
    """A month's spend; entering a month again corrects it (the view updates the row)."""

    month = forms.DateField(
        label=_("Month"),
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )
    currency = forms.CharField(label=_("Currency"), max_length=3, initial="CNY")
    amount = forms.DecimalField(label=_("Amount"), max_digits=18, decimal_places=2)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def clean_currency(self):
        return self.cleaned_data["currency"].strip().upper()

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


class ChannelSpendForm(forms.Form):
    """A month's spend on one signup channel; entering it again corrects it."""

    month = forms.DateField(
        label=_("Month"),
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=SignupChannel.choices)
    currency = forms.CharField(label=_("Currency"), max_length=3, initial="CNY")
    amount = forms.DecimalField(label=_("Amount"), max_digits=18, decimal_places=2, min_value=0)

    def clean_currency(self):
        return self.cleaned_data["currency"].strip().upper()
