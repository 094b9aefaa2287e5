from django import forms
from django.utils.translation import gettext_lazy as _

from community.models import (
    Audience,
    BusinessValue,
    FeatureRequest,
    LifecycleStage,
    ReleaseNote,
    RequestStatus,
    UserValue,
)
from onboarding.models import Segment, Tier
from tenants.models import Industry

SCORES = [(score, str(score)) for score in range(4)]


def _text(label, max_length, rows=3, required=True, help_text=""):
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=required,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


class DateInput(forms.DateInput):
    input_type = "date"


class NoteForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=160)
    feature = _text(_("The feature"), 5000)
    scenario = _text(_("The scenario it serves"), 5000)
    caveats = _text(_("Things to watch out for"), 5000, required=False)
    audience = forms.ChoiceField(label=_("Who it is for"), choices=Audience.choices)
    audience_value = forms.CharField(
        label=_("Which plan, tier or segment"),
        max_length=40,
        required=False,
        help_text=_("A plan code (basic, advanced…), a tier (SKA, KA, A, B, C) or a segment."),
    )
    link = forms.CharField(
        label=_("Where it lives"),
        max_length=200,
        required=False,
        help_text=_("A path in the merchant console, e.g. /manage/marketing/."),
    )


class QuestionForm(forms.Form):
    title = forms.CharField(label=_("Your question"), max_length=200)
    body = _text(_("Details"), 10000, rows=5, required=False)
    is_public = forms.BooleanField(
        label=_("Others may read this thread (your shop's name is not shown)"), required=False
    )


class ReplyForm(forms.Form):
    body = _text(_("Message"), 10000, rows=4)


class RequestForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=160)
    need = _text(
        _("What are you trying to do?"),
        10000,
        rows=5,
        help_text=_("The job you need done and why, not only the feature you have in mind."),
    )


class CommentForm(forms.Form):
    body = _text(_("Comment"), 5000)


class FeedbackForm(forms.Form):
    body = _text(_("Your feedback"), 5000)


class TriageForm(forms.Form):
    user_value = forms.ChoiceField(
        label=_("User value"), choices=[("", "—"), *UserValue.choices], required=False
    )
    user_value_score = forms.TypedChoiceField(
        label=_("User value score"), choices=SCORES, coerce=int
    )
    business_value = forms.ChoiceField(
        label=_("Business value"), choices=[("", "—"), *BusinessValue.choices], required=False
    )
    business_value_score = forms.TypedChoiceField(
        label=_("Business value score"), choices=SCORES, coerce=int
    )
    capacity_cost = forms.TypedChoiceField(
        label=_("Capacity it costs the platform"), choices=SCORES, coerce=int
    )
    capacity_note = forms.CharField(
        label=_("What capacity"),
        max_length=300,
        required=False,
        help_text=_("e.g. storage for a free material library"),
    )
    nps_keywords = forms.CharField(
        label=_("NPS comment keywords"),
        max_length=300,
        required=False,
        help_text=_("Comma-separated words that mean a merchant asked for this in an NPS comment."),
    )


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=[("", "—"), *RequestStatus.choices])
    reason = forms.CharField(
        label=_("Reason (required to decline)"), max_length=1000, required=False
    )
    release_note = forms.ModelChoiceField(
        label=_("Release note (required to ship)"),
        queryset=ReleaseNote.objects.all(),
        required=False,
    )


class MergeForm(forms.Form):
    into = forms.ModelChoiceField(
        label=_("Merge this request into"),
        queryset=FeatureRequest.objects.filter(merged_into__isnull=True),
    )

    def __init__(self, *args, exclude: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if exclude is not None:
            self.fields["into"].queryset = self.fields["into"].queryset.exclude(pk=exclude)


class BoardFilterForm(forms.Form):
    quadrant = forms.ChoiceField(
        label=_("Quadrant"),
        required=False,
        choices=[
            ("", _("All")),
            ("I", _("I: do")),
            ("II", _("II: careful")),
            ("III", _("III: don't")),
            ("IV", _("IV: don't")),
            ("untriaged", _("Not triaged")),
        ],
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *RequestStatus.choices]
    )
    tier = forms.ChoiceField(
        label=_("Tier"), required=False, choices=[("", _("All")), *Tier.choices]
    )
    segment = forms.ChoiceField(
        label=_("Segment"), required=False, choices=[("", _("All")), *Segment.choices]
    )


class BetaForm(forms.Form):
    feature = forms.SlugField(
        label=_("Feature flag"),
        max_length=60,
        help_text=_("The name the code checks with features.enabled(merchant, name)."),
    )
    title = forms.CharField(label=_("Title"), max_length=160)
    plan = _text(_("The plan"), 5000)
    expectations = _text(_("What to expect"), 5000)
    audience = forms.ChoiceField(label=_("Who may join"), choices=Audience.choices)
    audience_value = forms.CharField(
        label=_("Which plan, tier or segment"), max_length=40, required=False
    )
    starts_on = forms.DateField(label=_("Starts on"), widget=DateInput)
    ends_on = forms.DateField(label=_("Ends on"), widget=DateInput)
    request = forms.ModelChoiceField(
        label=_("For the feature request"),
        queryset=FeatureRequest.objects.filter(merged_into__isnull=True),
        required=False,
    )


class LifecycleForm(forms.Form):
    def __init__(self, *args, initial_texts: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        for stage in LifecycleStage:
            self.fields[stage.value] = _text(stage.label, 5000, required=False)
            self.fields[stage.value].initial = (initial_texts or {}).get(stage.value, "")


class IndustryForm(forms.Form):
    industry = forms.ChoiceField(label=_("Industry"), choices=Industry.choices)
