"""The CSM console (`/console/onboarding/`, platform host). Thin: forms in, services out."""

from __future__ import annotations

from datetime import datetime, time

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import selectors as accounts_selectors
from accounts import services as accounts_services
from accounts.models import PlatformRole, User
from billing.models import Plan
from core.forms import add_service_errors
from core.views import submit_form
from onboarding import health, segments, selectors, services
from onboarding import nps as nps_surveys
from onboarding.forms import (
    BoardFilterForm,
    ContactForm,
    CsmForm,
    HealthOverrideForm,
    HealthWeightsForm,
    NoteForm,
    NpsForm,
    PlaybookForm,
    SegmentForm,
    StageNoteForm,
    StartJourneyForm,
    TaskForm,
    ThresholdsForm,
    TrainingForm,
)
from onboarding.models import (
    HEALTH_FACTORS,
    STAGE_ORDER,
    HealthOverride,
    HealthWeights,
    Milestone,
    Playbook,
    SavedSegment,
    Stage,
    Task,
    TierAssignment,
    TrainingRegistration,
    TrainingSession,
)
from onboarding.scoring import HEALTH_WEIGHTS, active_overrides, assign_tiers, current_bars
from tenants.access import platform_role_required
from tenants.models import MembershipRole, Merchant

csm_required = platform_role_required(PlatformRole.CSM)


def _merchant(merchant_id: int) -> Merchant:
    return get_object_or_404(Merchant.objects.exclude(schema_name="public"), pk=merchant_id)


@csm_required
def my_day(request):
    return render(
        request,
        "onboarding/console/my_day.html",
        {
            "items": selectors.my_day(request.user),
            "team": selectors.team_attention(request.user),
        },
    )


# A board a CSM can scan; at 300 cards a page it also took ~150 ms to render.
BOARD_PAGE_SIZE = 100


@csm_required
def board(request):
    form = BoardFilterForm(request.GET or None)
    filters = selectors.BoardFilters()
    if form.is_valid():
        data = form.cleaned_data
        filters = selectors.BoardFilters(
            csm_id=data["csm"].pk if data["csm"] else None,
            stage=data["stage"],
            status=data["status"],
            tier=data["tier"],
        )
    journeys = selectors.board_journeys(filters)
    page = Paginator(journeys, BOARD_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "onboarding/console/board.html",
        {"form": form, "page": page, "columns": selectors.board_columns(page)},
    )


def _render_360(request, merchant: Merchant, status: int = 200, **forms):
    data = selectors.merchant_360(merchant)
    context = {
        "m": data,
        "merchant": merchant,
        "contact_form": forms.get("contact_form") or ContactForm(),
        "stage_form": forms.get("stage_form") or StageNoteForm(),
        "note_form": forms.get("note_form") or NoteForm(),
        "task_form": forms.get("task_form")
        or TaskForm(initial={"assignee": data.journey.csm if data.journey else request.user}),
        "playbook_form": forms.get("playbook_form") or PlaybookForm(),
        "csm_form": forms.get("csm_form")
        or CsmForm(initial={"csm": data.journey.csm if data.journey else None}),
        "start_form": forms.get("start_form") or StartJourneyForm(),
        "has_playbooks": Playbook.objects.exists(),
        "next_survey_at": nps_surveys.next_survey_allowed_at(merchant.pk),
        "survey_error": forms.get("survey_error"),
        "health_form": forms.get("health_form") or HealthOverrideForm(),
        "health_override": active_overrides([merchant.pk], timezone.now()).get(merchant.pk),
    }
    return render(request, "onboarding/console/merchant.html", context, status=status)


@csm_required
def merchant_360(request, merchant_id: int):
    return _render_360(request, _merchant(merchant_id))


@csm_required
@require_POST
def send_survey(request, merchant_id: int):
    merchant = _merchant(merchant_id)
    try:
        nps_surveys.send_nps_survey(merchant=merchant, actor=request.user)
    except ValidationError as error:
        return _render_360(request, merchant, status=400, survey_error=" ".join(error.messages))
    messages.success(request, _("NPS survey sent to %(name)s.") % {"name": merchant.name})
    return redirect(_merchant_page(merchant))


def _merchant_page(merchant: Merchant) -> str:
    return reverse("console_onboarding_merchant", kwargs={"merchant_id": merchant.pk})


def _journey_or_404(merchant: Merchant):
    journey = selectors.merchant_journey(merchant)
    if journey is None:
        raise ValidationError({"journey": [_("This merchant has no onboarding journey.")]})
    return journey


@csm_required
@require_POST
def log_contact(request, merchant_id: int):
    merchant = _merchant(merchant_id)
    form = ContactForm(request.POST)
    return submit_form(
        request,
        form,
        lambda data: services.log_contact(
            journey=_journey_or_404(merchant),
            data=services.ContactInput(**data),
            actor=request.user,
        ),
        done=_("Contact logged."),
        redirect_to=_merchant_page(merchant),
    ) or _render_360(request, merchant, status=400, contact_form=form)


@csm_required
@require_POST
def change_stage(request, merchant_id: int, stage: str, action: str):
    merchant = _merchant(merchant_id)
    if stage not in Stage.values or action not in ("complete", "reopen"):
        return _render_360(request, merchant, status=404)
    milestone = get_object_or_404(Milestone, journey__merchant=merchant, stage=stage)
    form = StageNoteForm(request.POST)
    change = services.complete_milestone if action == "complete" else services.reopen_milestone
    changed = submit_form(
        request,
        form,
        lambda data: change(milestone=milestone, actor=request.user, note=data["note"]),
        done=_("Stage updated."),
        redirect_to=_merchant_page(merchant),
    )
    if changed:
        return changed
    if not form.errors:
        form.add_error("note", _("Say why."))
    return _render_360(request, merchant, status=400, stage_form=form)


@csm_required
@require_POST
def add_note(request, merchant_id: int):
    merchant = _merchant(merchant_id)
    form = NoteForm(request.POST)
    return submit_form(
        request,
        form,
        lambda data: services.add_note(merchant=merchant, text=data["text"], actor=request.user),
        done=_("Note added."),
        redirect_to=_merchant_page(merchant),
    ) or _render_360(request, merchant, status=400, note_form=form)


@csm_required
@require_POST
def create_task(request, merchant_id: int):
    merchant = _merchant(merchant_id)
    form = TaskForm(request.POST)
    return submit_form(
        request,
        form,
        lambda data: services.create_task(merchant=merchant, actor=request.user, **data),
        done=_("Task created."),
        redirect_to=_merchant_page(merchant),
    ) or _render_360(request, merchant, status=400, task_form=form)


@csm_required
@require_POST
def apply_playbook(request, merchant_id: int):
    merchant = _merchant(merchant_id)
    form = PlaybookForm(request.POST)

    def apply(data: dict) -> list[Task]:
        journey = selectors.merchant_journey(merchant)
        return services.apply_playbook(
            merchant=merchant,
            playbook=data["playbook"],
            assignee=journey.csm if journey and journey.csm else request.user,
            actor=request.user,
        )

    return submit_form(
        request,
        form,
        apply,
        done=lambda tasks: _("%(count)s tasks created.") % {"count": len(tasks)},
        redirect_to=_merchant_page(merchant),
    ) or _render_360(request, merchant, status=400, playbook_form=form)


@csm_required
@require_POST
def assign_csm(request, merchant_id: int):
    merchant = _merchant(merchant_id)
    form = CsmForm(request.POST)
    return submit_form(
        request,
        form,
        lambda data: services.assign_csm(
            journey=_journey_or_404(merchant), csm=data["csm"], actor=request.user
        ),
        done=_("CSM changed."),
        redirect_to=_merchant_page(merchant),
    ) or _render_360(request, merchant, status=400, csm_form=form)


@csm_required
@require_POST
def start_journey(request, merchant_id: int):
    merchant = _merchant(merchant_id)
    form = StartJourneyForm(request.POST)

    def start(data: dict):
        day0 = data["started_on"]
        return services.start_journey(
            merchant=merchant,
            started_at=(
                timezone.make_aware(datetime.combine(day0, time(9))) if day0 else timezone.now()
            ),
            csm=data["csm"],
            actor=request.user,
        )

    return submit_form(
        request,
        form,
        start,
        done=_("Onboarding journey started."),
        redirect_to=_merchant_page(merchant),
    ) or _render_360(request, merchant, status=400, start_form=form)


@csm_required
@require_POST
def recompute_tier(request, merchant_id: int):
    merchant = _merchant(merchant_id)
    assign_tiers([merchant.pk], now=timezone.now(), reason="on_demand")
    latest = TierAssignment.objects.filter(merchant=merchant).first()
    messages.success(
        request,
        _("Tier recomputed: %(tier)s, %(segment)s.")
        % {"tier": latest.tier, "segment": latest.get_segment_display()},
    )
    return redirect("console_onboarding_merchant", merchant_id=merchant.pk)


@csm_required
@require_POST
def complete_task(request, task_id: int):
    task = get_object_or_404(Task, pk=task_id)
    services.complete_task(task=task, actor=request.user)
    messages.success(request, _("Task done."))
    target = request.POST.get("next", "")
    if target == "my_day":
        return redirect("console_onboarding")
    return redirect("console_onboarding_merchant", merchant_id=task.merchant_id)


@csm_required
def notifications(request):
    if request.method == "POST":
        accounts_services.mark_notices_read(user=request.user)
        messages.success(request, _("All notifications marked read."))
        return redirect("console_onboarding_notifications")
    found = accounts_selectors.notices_of(request.user)[:200]
    return render(request, "onboarding/console/notifications.html", {"notifications": found})


@csm_required
def training(request):
    form = TrainingForm(request.POST or None)
    if request.method == "POST":
        scheduled = submit_form(
            request,
            form,
            lambda data: services.schedule_training(
                data=services.TrainingInput(**data), actor=request.user
            ),
            done=_("Session scheduled."),
            redirect_to="console_onboarding_training",
        )
        if scheduled:
            return scheduled
    return render(
        request,
        "onboarding/console/training.html",
        {"form": form, "sessions": selectors.upcoming_sessions()},
        status=400 if form.errors else 200,
    )


@csm_required
def training_session(request, session_id: int):
    session = get_object_or_404(TrainingSession, pk=session_id)
    if request.method == "POST":
        registration_id = request.POST.get("registration", "")
        registration = get_object_or_404(
            TrainingRegistration,
            pk=int(registration_id) if registration_id.isdigit() else 0,
            session=session,
        )
        services.mark_attendance(registration=registration, actor=request.user)
        messages.success(request, _("Attendance recorded."))
        return redirect("console_onboarding_training_session", session_id=session.pk)
    registrations = session.registrations.select_related("merchant", "user")
    return render(
        request,
        "onboarding/console/training_session.html",
        {"session": session, "registrations": registrations},
    )


@csm_required
def nps(request):
    return render(request, "onboarding/console/nps.html", {"report": selectors.nps_report()})


@csm_required
def tiers(request):
    bars = current_bars()
    can_edit = request.user.has_platform_role(PlatformRole.PLATFORM_ADMIN)
    form = ThresholdsForm(request.POST or None, bars=bars)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        saved = submit_form(
            request,
            form,
            lambda data: services.save_tier_thresholds(
                [
                    services.ThresholdInput(
                        tier=bar.tier,
                        min_monthly_gmv=data[f"{bar.tier}_min_monthly_gmv"],
                        min_active_outlets=data[f"{bar.tier}_min_active_outlets"],
                    )
                    for bar in bars
                ]
            ),
            done=_("Tier thresholds saved."),
            redirect_to="console_onboarding_tiers",
        )
        if saved:
            return saved
    return render(
        request,
        "onboarding/console/tiers.html",
        {"form": form, "bars": bars, "can_edit": can_edit, "stage_order": STAGE_ORDER},
        status=400 if form.errors else 200,
    )


def answer_survey_from_email(request, token: str):
    """The survey email's one-click page (platform host, no login: the signed link is the
    proof), in the merchant's language; one answer per survey."""
    survey = nps_surveys.survey_from_token(token)
    if survey is None:
        return render(request, "onboarding/public/nps_link_invalid.html", status=404)
    merchant = survey.merchant
    owner = (
        User.objects.filter(
            memberships__merchant_id=merchant.pk,
            memberships__role=MembershipRole.OWNER,
            is_active=True,
        )
        .order_by("pk")
        .first()
    )
    with translation.override(merchant.language):
        context = {"merchant": merchant, "answered": hasattr(survey, "response")}
        if context["answered"] or owner is None:
            return render(request, "onboarding/public/nps_answer.html", context)
        form = NpsForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.answer_nps(
                    survey=survey,
                    score=form.cleaned_data["score"],
                    comment=form.cleaned_data["comment"],
                    user=owner,
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                return render(
                    request, "onboarding/public/nps_answer.html", {**context, "thanked": True}
                )
        return render(
            request,
            "onboarding/public/nps_answer.html",
            {**context, "form": form},
            status=400 if form.errors else 200,
        )


@csm_required
def health_weights(request):
    """Every CSM sees how health is weighted; platform admins change it."""
    can_edit = request.user.has_platform_role(PlatformRole.PLATFORM_ADMIN)
    scopes = health.weight_scopes()
    form = HealthWeightsForm(
        request.POST or None, scopes=scopes, initial={"scope": "default", **HEALTH_WEIGHTS}
    )
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        saved = submit_form(
            request,
            form,
            lambda data: health.save_health_weights(
                scope=data["scope"],
                weights={factor: data[factor] for factor in HEALTH_FACTORS},
                actor=request.user,
            ),
            done=_("Health weights saved."),
            redirect_to="console_onboarding_health",
        )
        if saved:
            return saved
    labels = dict(scopes)
    rows = [(labels.get(row.scope, row.scope), row) for row in HealthWeights.objects.all()]
    return render(
        request,
        "onboarding/console/health.html",
        {"form": form, "rows": rows, "can_edit": can_edit, "default_weights": HEALTH_WEIGHTS},
        status=400 if form.errors else 200,
    )


@csm_required
@require_POST
def override_health(request, merchant_id: int):
    merchant = _merchant(merchant_id)
    form = HealthOverrideForm(request.POST)
    return submit_form(
        request,
        form,
        lambda data: health.override_health(
            merchant=merchant,
            score=data["score"],
            reason=data["reason"],
            expires_on=data["expires_on"],
            actor=request.user,
        ),
        done=_("Health override saved."),
        redirect_to=_merchant_page(merchant),
    ) or _render_360(request, merchant, status=400, health_form=form)


@csm_required
@require_POST
def withdraw_health_override(request, merchant_id: int, override_id: int):
    override = get_object_or_404(HealthOverride, pk=override_id, merchant_id=merchant_id)
    if health.withdraw_health_override(override=override, actor=request.user):
        messages.success(request, _("Health override withdrawn."))
    return redirect(_merchant_page(override.merchant))


def _segment_form(data=None) -> SegmentForm:
    plans = list(Plan.objects.order_by("code").values_list("code", "name"))
    return SegmentForm(data, plans=plans)


def _filters_of(form: SegmentForm) -> segments.SegmentFilters:
    data = form.cleaned_data
    return segments.SegmentFilters(
        tier=data["tier"],
        stage=data["stage"],
        health=data["health"],
        nps=data["nps"],
        renewal_within_days=data["renewal_within_days"],
        plan=data["plan"],
        industry=data["industry"],
    )


# The preview lists this many merchants (and counts them all).
SEGMENT_PREVIEW = 100


@csm_required
def segment_list(request):
    """Build a filter, preview who is in it, save it as a segment."""
    form = _segment_form(request.POST or request.GET or None)
    preview = None
    if request.method == "POST":
        saved = submit_form(
            request,
            form,
            lambda data: segments.save_segment(
                name=data["name"], filters=_filters_of(form), actor=request.user
            ),
            done=_("Segment saved."),
            redirect_to=lambda segment: reverse("console_onboarding_segment", args=[segment.pk]),
        )
        if saved:
            return saved
    elif form.is_bound and form.is_valid():
        preview = segments.segment_merchants(_filters_of(form))
    return render(
        request,
        "onboarding/console/segments.html",
        {
            "form": form,
            "segments": SavedSegment.objects.all(),
            "preview": preview[:SEGMENT_PREVIEW] if preview is not None else None,
            "preview_count": preview.count() if preview is not None else 0,
        },
        status=400 if form.errors else 200,
    )


def _render_segment(request, segment: SavedSegment, status: int = 200, **forms):
    members = segments.segment_merchants(segments.SegmentFilters.from_json(segment.filters))
    return render(
        request,
        "onboarding/console/segment.html",
        {
            "segment": segment,
            "members": members[:SEGMENT_PREVIEW],
            "member_count": members.count(),
            "csm_form": forms.get("csm_form") or CsmForm(),
            "playbook_form": forms.get("playbook_form") or PlaybookForm(),
        },
        status=status,
    )


@csm_required
def segment_detail(request, segment_id: int):
    return _render_segment(request, get_object_or_404(SavedSegment, pk=segment_id))


def _bulk_done(outcome: segments.BulkOutcome) -> str:
    return _("Done for %(done)s merchants; %(skipped)s left as they were.") % {
        "done": outcome.done,
        "skipped": outcome.skipped,
    }


@csm_required
@require_POST
def segment_action(request, segment_id: int, action: str):
    segment = get_object_or_404(SavedSegment, pk=segment_id)
    back = reverse("console_onboarding_segment", args=[segment.pk])
    if action == "survey":
        messages.success(
            request, _bulk_done(segments.bulk_send_survey(segment=segment, actor=request.user))
        )
        return redirect(back)
    if action == "assign":
        form = CsmForm(request.POST)
        run = lambda data: segments.bulk_assign_csm(  # noqa: E731
            segment=segment, csm=data["csm"], actor=request.user
        )
        key = "csm_form"
    elif action == "playbook":
        form = PlaybookForm(request.POST)
        run = lambda data: segments.bulk_apply_playbook(  # noqa: E731
            segment=segment, playbook=data["playbook"], actor=request.user
        )
        key = "playbook_form"
    else:
        raise Http404
    return submit_form(request, form, run, done=_bulk_done, redirect_to=back) or _render_segment(
        request, segment, status=400, **{key: form}
    )
