import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from commerce.orders.models import Channel, FulfilmentStatus, PaymentStatus


class OrderFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    status = forms.ChoiceField(
        label=_("Fulfilment"), required=False, choices=[("", _("Any")), *FulfilmentStatus.choices]
    )
    payment_status = forms.ChoiceField(
        label=_("Payment"), required=False, choices=[("", _("Any")), *PaymentStatus.choices]
    )
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=[("", _("Any")), *Channel.choices]
    )
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class FulfilForm(forms.Form):
    carrier = forms.CharField(label=_("Carrier"), max_length=60)
    tracking_number = forms.CharField(label=_("Tracking number"), max_length=80)


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)


class RefundForm(forms.Form):
    amount = forms.CharField(label=_("Amount"), max_length=20)
    reason = forms.CharField(label=_("Reason"), max_length=300)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, initial=lambda: str(uuid.uuid4()))
