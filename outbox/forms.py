from django import forms
from django.utils.translation import gettext_lazy as _

from outbox.models import Channel, MessageStatus


class OutboxFilterForm(forms.Form):
    """The console's filters; every one optional."""

    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), *MessageStatus.choices],
    )
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=[("", _("Any channel")), *Channel.choices]
    )
    merchant = forms.IntegerField(label=_("Merchant id"), required=False, min_value=1)
    q = forms.CharField(label=_("Search"), required=False, max_length=200, strip=True)
