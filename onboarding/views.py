"""The CSM console (`/console/onboarding/`, platform host). Thin: forms in, services out."""

from __future__ import annotations

from datetime import datetime, time

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import PlatformRole
from core.forms import add_service_errors
from onboarding import selectors, services
from onboarding.forms import (
    BoardFilterForm,
    ContactForm,
    CsmForm,
    NoteForm,
    PlaybookForm,
    StageNoteForm,
    StartJourneyForm,
    TaskForm,
    ThresholdsForm,
    TrainingForm,
)
from onboarding.models import (
    STAGE_ORDER,
    Milestone,
    Playbook,
    Stage,
    Task,
    TierAssignment,
    TrainingRegistration,
    TrainingSession,
)
from onboarding.scoring import assign_tiers, current_bars
from tenants.access import platform_role_required
from tenants.models import Merchant

csm_required = platform_role_required(PlatformRole.CSM)


def _merchant(merchant_id: int) -> Merchant:
    return get_object_or_404(Merchant.objects.exclude(schema_name="public"), pk=merchant_id)


@csm_required
def my_day(request):
    return render(
        request,
        "onboarding/console/my_day.html",
        {"items": selectors.my_day(request.user)},
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
    }
    return render(request, "onboarding/console/merchant.html", context, status=status)


@csm_required
def merchant_360(request, merchant_id: int):
    return _render_360(request, _merchant(merchant_id))


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
    if form.is_valid():
        try:
            services.log_contact(
                journey=_journey_or_404(merchant),
                data=services.ContactInput(**form.cleaned_data),
                actor=request.user,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Contact logged."))
            return redirect("console_onboarding_merchant", merchant_id=merchant.pk)
    return _render_360(request, merchant, status=400, contact_form=form)


@csm_required
@require_POST
def change_stage(request, merchant_id: int, stage: str, action: str):
    merchant = _merchant(merchant_id)
    if stage not in Stage.values or action not in ("complete", "reopen"):
        return _render_360(request, merchant, status=404)
    milestone = get_object_or_404(Milestone, journey__merchant=merchant, stage=stage)
    form = StageNoteForm(request.POST)
    if form.is_valid():
        try:
            if action == "complete":
                services.complete_milestone(
                    milestone=milestone, actor=request.user, note=form.cleaned_data["note"]
                )
            else:
                services.reopen_milestone(
                    milestone=milestone, actor=request.user, note=form.cleaned_data["note"]
                )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Stage updated."))
            return redirect("console_onboarding_merchant", merchant_id=merchant.pk)
    if not form.errors:
        form.add_error("note", _("Say why."))
    return _render_360(request, merchant, status=400, stage_form=form)


@csm_required
@require_POST
def add_note(request, merchant_id: int):
    merchant = _merchant(merchant_id)
    form = NoteForm(request.POST)
    if form.is_valid():
        services.add_note(merchant=merchant, text=form.cleaned_data["text"], actor=request.user)
        messages.success(request, _("Note added."))
        return redirect("console_onboarding_merchant", merchant_id=merchant.pk)
    return _render_360(request, merchant, status=400, note_form=form)


@csm_required
@require_POST
def create_task(request, merchant_id: int):
    merchant = _merchant(merchant_id)
    form = TaskForm(request.POST)
    if form.is_valid():
        try:
            services.create_task(merchant=merchant, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Task created."))
            return redirect("console_onboarding_merchant", merchant_id=merchant.pk)
    return _render_360(request, merchant, status=400, task_form=form)


@csm_required
@require_POST
def apply_playbook(request, merchant_id: int):
    merchant = _merchant(merchant_id)
    form = PlaybookForm(request.POST)
    if form.is_valid():
        journey = selectors.merchant_journey(merchant)
        try:
            tasks = services.apply_playbook(
                merchant=merchant,
                playbook=form.cleaned_data["playbook"],
                assignee=journey.csm if journey and journey.csm else request.user,
                actor=request.user,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("%(count)s tasks created.") % {"count": len(tasks)})
            return redirect("console_onboarding_merchant", merchant_id=merchant.pk)
    return _render_360(request, merchant, status=400, playbook_form=form)


@csm_required
@require_POST
def assign_csm(request, merchant_id: int):
    merchant = _merchant(merchant_id)
    form = CsmForm(request.POST)
    if form.is_valid():
        try:
            services.assign_csm(
                journey=_journey_or_404(merchant), csm=form.cleaned_data["csm"], actor=request.user
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("CSM changed."))
            return redirect("console_onboarding_merchant", merchant_id=merchant.pk)
    return _render_360(request, merchant, status=400, csm_form=form)


@csm_required
@require_POST
def start_journey(request, merchant_id: int):
    merchant = _merchant(merchant_id)
    form = StartJourneyForm(request.POST)
    if form.is_valid():
        day0 = form.cleaned_data["started_on"]
        started_at = (
            timezone.make_aware(datetime.combine(day0, time(9))) if day0 else timezone.now()
        )
        try:
            services.start_journey(
                merchant=merchant,
                started_at=started_at,
                csm=form.cleaned_data["csm"],
                actor=request.user,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Onboarding journey started."))
            return redirect("console_onboarding_merchant", merchant_id=merchant.pk)
    return _render_360(request, merchant, status=400, start_form=form)


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
        services.mark_notifications_read(user=request.user)
        messages.success(request, _("All notifications marked read."))
        return redirect("console_onboarding_notifications")
    found = request.user.notifications.all()[:200]
    return render(request, "onboarding/console/notifications.html", {"notifications": found})


@csm_required
def training(request):
    form = TrainingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.schedule_training(
                data=services.TrainingInput(**form.cleaned_data), actor=request.user
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Session scheduled."))
            return redirect("console_onboarding_training")
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
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.save_tier_thresholds(
                    [
                        services.ThresholdInput(
                            tier=bar.tier,
                            min_monthly_gmv=data[f"{bar.tier}_min_monthly_gmv"],
                            min_active_outlets=data[f"{bar.tier}_min_active_outlets"],
                        )
                        for bar in bars
                    ]
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Tier thresholds saved."))
                return redirect("console_onboarding_tiers")
    return render(
        request,
        "onboarding/console/tiers.html",
        {"form": form, "bars": bars, "can_edit": can_edit, "stage_order": STAGE_ORDER},
        status=400 if form.errors else 200,
    )
