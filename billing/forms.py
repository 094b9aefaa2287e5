from django import forms
from django.utils.translation import gettext_lazy as _

from billing.models import BillingAccount, InvoiceStatus, Plan


class InvoiceFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *InvoiceStatus.choices]
    )
    period = forms.DateField(
        label=_("Period"),
        required=False,
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )
    plan = forms.ModelChoiceField(
        label=_("Plan"), required=False, queryset=Plan.objects.all(), empty_label=_("Any plan")
    )
    # The precision of Invoice.total (max_digits 18, 4 places).
    min_total = forms.DecimalField(
        label=_("Total from"), required=False, max_digits=18, decimal_places=4
    )
    max_total = forms.DecimalField(
        label=_("Total up to"), required=False, max_digits=18, decimal_places=4
    )
    q = forms.CharField(label=_("Merchant or number"), required=False, max_length=100)


class AdjustmentForm(forms.Form):
    amount = forms.CharField(
        label=_("Amount"), max_length=30, help_text=_("Negative to reduce the invoice.")
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class VoidForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    reissue = forms.BooleanField(
        label=_("Re-issue a corrected draft"), required=False, initial=True
    )


class CreditNoteForm(forms.Form):
    amount = forms.CharField(label=_("Amount to credit"), max_length=30)
    reason = forms.CharField(
        label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class PaymentForm(forms.Form):
    reference = forms.CharField(label=_("Bank reference"), max_length=200, required=False)


class ChangePlanForm(forms.Form):
    plan = forms.ModelChoiceField(
        label=_("Plan"), queryset=Plan.objects.filter(is_active=True), empty_label=None
    )


class BillingDetailsForm(forms.ModelForm):
    """Who the invoices are addressed to; the merchant's owner and finance edit it."""

    class Meta:
        model = BillingAccount
        fields = ["legal_name", "address", "tax_id", "billing_email"]
        widgets = {"address": forms.Textarea(attrs={"rows": 3})}

    def clean(self):
        data = super().clean()
        for name in ("legal_name", "address", "tax_id"):
            if name in data:
                data[name] = data[name].strip()
        return data


class FinanceBillingAccountForm(BillingDetailsForm):
    """Finance also sets how the merchant pays and the tax region that decides the rate."""

    class Meta(BillingDetailsForm.Meta):
        fields = [*BillingDetailsForm.Meta.fields, "region", "collection_method"]

    def clean_region(self):
        region = self.cleaned_data["region"].strip().upper()
        if region and not (region.isascii() and region.replace("-", "").isalnum()):
            raise forms.ValidationError(_("Use a country or region code such as CN or HK."))
        return region


class RegionTaxRateForm(forms.Form):
    region = forms.CharField(
        label=_("Region"), max_length=8, help_text=_("Country or region code, e.g. CN or HK.")
    )
    name = forms.CharField(label=_("Tax name"), max_length=60, help_text=_("e.g. VAT, GST, 增值税"))
    rate_percent = forms.DecimalField(
        label=_("Rate (%)"), min_value=0, max_value=100, max_digits=7, decimal_places=4
    )

    def clean_region(self):
        region = self.cleaned_data["region"].strip().upper()
        if not (region.isascii() and region.replace("-", "").isalnum()):
            raise forms.ValidationError(_("Use a country or region code such as CN or HK."))
        return region


class PlanTaxRateForm(forms.Form):
    plan = forms.ModelChoiceField(label=_("Plan"), queryset=Plan.objects.all(), empty_label=None)
    rate_percent = forms.DecimalField(
        label=_("Rate (%)"), min_value=0, max_value=100, max_digits=7, decimal_places=4
    )
