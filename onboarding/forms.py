from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from onboarding.models import ContactChannel, Playbook, Stage, StageStatus, Tier
from onboarding.selectors import csm_choices
from tenants.models import Industry


class DateInput(forms.DateInput):
    input_type = "date"


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"


class ContactForm(forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), choices=ContactChannel.choices)
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}))
    system_contact = forms.CharField(
        label=_("System contact"),
        required=False,
        max_length=200,
        help_text=_("Who at the merchant runs the system (name, phone or email)."),
    )
    store_role_owners = forms.CharField(
        label=_("Store role owners"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Who owns products, orders, the till and marketing."),
    )


class StageNoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}))


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}))


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.email


class TaskForm(forms.Form):
    title = forms.CharField(label=_("Task"), max_length=200)
    assignee = StaffChoiceField(label=_("Assignee"), queryset=User.objects.none(), required=False)
    due_on = forms.DateField(label=_("Due on"), widget=DateInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = User.objects.exclude(platform_roles=[]).order_by("email")


class PlaybookForm(forms.Form):
    playbook = forms.ModelChoiceField(label=_("Playbook"), queryset=Playbook.objects.all())


class CsmForm(forms.Form):
    csm = StaffChoiceField(label=_("CSM"), queryset=User.objects.none())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["csm"].queryset = csm_choices()


class StartJourneyForm(forms.Form):
    started_on = forms.DateField(
        label=_("Day 0 (sales order date)"), widget=DateInput, required=False
    )
    csm = StaffChoiceField(
        label=_("CSM"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("Empty: the least-loaded CSM."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["csm"].queryset = csm_choices()


class BoardFilterForm(forms.Form):
    csm = StaffChoiceField(label=_("CSM"), queryset=User.objects.none(), required=False)
    stage = forms.ChoiceField(
        label=_("Stage"), choices=[("", _("Any stage")), *Stage.choices], required=False
    )
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[
            ("", _("Any status")),
            (StageStatus.ON_TRACK, StageStatus.ON_TRACK.label),
            (StageStatus.BEHIND, StageStatus.BEHIND.label),
            (StageStatus.STUCK, StageStatus.STUCK.label),
            (StageStatus.DONE, StageStatus.DONE.label),
        ],
        required=False,
    )
    tier = forms.ChoiceField(
        label=_("Tier"), choices=[("", _("Any tier")), *Tier.choices], required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["csm"].queryset = csm_choices()


class TrainingForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    starts_at = forms.DateTimeField(label=_("Starts at"), widget=DateTimeInput)
    location = forms.CharField(label=_("Where"), max_length=300)
    capacity = forms.IntegerField(label=_("Capacity"), min_value=1, max_value=1000, initial=20)


class NpsForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("How likely are you to recommend us to a friend or colleague?"),
        choices=[(n, str(n)) for n in range(11)],
        coerce=int,
        widget=forms.RadioSelect(attrs={"class": "nps-scale"}),
    )
    comment = forms.CharField(
        label=_("What is the main reason for your score?"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )


# What the PositiveIntegerField column holds; a larger number would be a database error.
MAX_OUTLETS = 2147483647


class ThresholdsForm(forms.Form):
    """One GMV and one outlet field per tier, named <tier>_min_monthly_gmv / _min_active_outlets."""

    def __init__(self, *args, bars=(), **kwargs):
        super().__init__(*args, **kwargs)
        for bar in bars:
            self.fields[f"{bar.tier}_min_monthly_gmv"] = forms.DecimalField(
                label=_("%(tier)s: minimum monthly average GMV") % {"tier": bar.tier},
                min_value=0,
                max_digits=16,
                decimal_places=2,
                initial=bar.min_monthly_gmv,
            )
            self.fields[f"{bar.tier}_min_active_outlets"] = forms.IntegerField(
                label=_("%(tier)s: minimum active outlets") % {"tier": bar.tier},
                min_value=0,
                max_value=MAX_OUTLETS,
                initial=bar.min_active_outlets,
            )


class HealthWeightsForm(forms.Form):
    scope = forms.ChoiceField(label=_("Applies to"))
    gmv_trend = forms.IntegerField(label=_("GMV trend"), min_value=0, max_value=100)
    orders = forms.IntegerField(label=_("Orders"), min_value=0, max_value=100)
    activity = forms.IntegerField(label=_("Selling days"), min_value=0, max_value=100)
    onboarding = forms.IntegerField(label=_("Onboarding progress"), min_value=0, max_value=100)
    nps = forms.IntegerField(label=_("NPS"), min_value=0, max_value=100)
    invoices = forms.IntegerField(label=_("Invoices paid on time"), min_value=0, max_value=100)

    def __init__(self, *args, scopes: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scope"].choices = scopes


class HealthOverrideForm(forms.Form):
    score = forms.IntegerField(label=_("Health score"), min_value=0, max_value=100)
    reason = forms.CharField(
        label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    expires_on = forms.DateField(label=_("Until"), widget=DateInput)


class SegmentForm(forms.Form):
    name = forms.CharField(label=_("Segment name"), max_length=120, required=False)
    tier = forms.ChoiceField(label=_("Tier"), required=False)
    stage = forms.ChoiceField(label=_("Onboarding stage"), required=False)
    health = forms.ChoiceField(
        label=_("Health"),
        required=False,
        choices=[
            ("", _("Any")),
            ("red", _("Red (below the alarm line)")),
            ("amber", _("Amber")),
            ("green", _("Green (70 and above)")),
        ],
    )
    nps = forms.ChoiceField(
        label=_("Latest NPS answer"),
        required=False,
        choices=[
            ("", _("Any")),
            ("promoter", _("Promoter (9-10)")),
            ("passive", _("Passive (7-8)")),
            ("detractor", _("Detractor (0-6)")),
            ("none", _("Never answered")),
        ],
    )
    renewal_within_days = forms.IntegerField(
        label=_("Renews within (days)"), required=False, min_value=1, max_value=366
    )
    plan = forms.ChoiceField(label=_("Plan"), required=False)
    industry = forms.ChoiceField(
        label=_("Industry"), required=False, choices=[("", _("Any")), *Industry.choices]
    )

    def __init__(self, *args, plans: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tier"].choices = [("", _("Any")), *Tier.choices]
        self.fields["stage"].choices = [("", _("Any")), *Stage.choices, ("done", _("Done"))]
        self.fields["plan"].choices = [("", _("Any")), *plans]
