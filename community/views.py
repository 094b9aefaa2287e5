"""Platform staff's side (`/console/product/` on the platform host): release notes, the
question queue, the triage board, betas and the industry lifecycle cards."""

from __future__ import annotations

import csv
import io

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import PlatformRole
from community import selectors, services
from community.forms import (
    BetaForm,
    BoardFilterForm,
    CommentForm,
    IndustryForm,
    LifecycleForm,
    MergeForm,
    NoteForm,
    ReplyForm,
    StatusForm,
    TriageForm,
)
from community.models import Beta, FeatureRequest, LifecycleStage, Question, ReleaseNote
from core.views import submit_form
from tenants.access import platform_role_required
from tenants.models import Industry, Merchant

product_required = platform_role_required(PlatformRole.PRODUCT)
# Questions are answered by product and operations (customer success) staff alike.
answerer_required = platform_role_required(PlatformRole.PRODUCT, PlatformRole.CSM)

BOARD_PAGE_SIZE = 50


def _board_filters(request) -> tuple[BoardFilterForm, selectors.BoardFilters]:
    form = BoardFilterForm(request.GET or None)
    if form.is_bound and form.is_valid():
        return form, selectors.BoardFilters(**form.cleaned_data)
    return form, selectors.BoardFilters()


@product_required
def board(request):
    form, filters = _board_filters(request)
    if form.is_bound and not form.is_valid():
        return render(
            request, "community/console/board.html", {"form": form, "rows": []}, status=400
        )
    page = Paginator(selectors.board_requests(filters), BOARD_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    requests = list(page.object_list)
    demand = selectors.demand_for(requests)
    rows = [(found, demand[found.pk]) for found in requests]
    quadrants = {
        name: [row for row in rows if row[0].quadrant == name] for name in ("I", "II", "III", "IV")
    }
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "community/console/board.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "quadrants": quadrants,
            "untriaged": [row for row in rows if not row[0].quadrant],
            "query": query.urlencode(),
        },
    )


def _csv_cell(value) -> str:
    """Spreadsheets run cells starting with = + - @ as formulas: quote them."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@product_required
def board_csv(request):
    form, filters = _board_filters(request)
    if form.is_bound and not form.is_valid():
        return HttpResponseBadRequest(form.errors.as_text())
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [
            "id",
            "title",
            "status",
            "quadrant",
            "user_value",
            "user_value_score",
            "business_value",
            "business_value_score",
            "capacity_cost",
            "votes",
            "weighted_votes",
            "at_risk_voters",
            "created_at",
        ]
    )
    found = selectors.board_requests(filters)
    for start in range(0, found.count(), 500):
        chunk = list(found[start : start + 500])
        demand = selectors.demand_for(chunk)
        for item in chunk:
            entry = demand[item.pk]
            writer.writerow(
                [
                    _csv_cell(value)
                    for value in (
                        item.pk,
                        item.title,
                        item.status,
                        item.quadrant,
                        item.user_value,
                        item.user_value_score,
                        item.business_value,
                        item.business_value_score,
                        item.capacity_cost,
                        entry.votes,
                        entry.weighted,
                        entry.at_risk,
                        item.created_at.isoformat(),
                    )
                ]
            )
    response = HttpResponse(buffer.getvalue(), content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="feature-requests.csv"'
    return response


def _request_page(request, found: FeatureRequest, status: int = 200, **forms):
    demand = selectors.demand_for([found])[found.pk]
    return render(
        request,
        "community/console/request.html",
        {
            "found": found,
            "demand": demand,
            "nps": selectors.voters_nps(found),
            "mentions": selectors.nps_mentions(found)[:50],
            "comments": found.comments.select_related("merchant"),
            "history": found.status_changes.select_related("changed_by"),
            "merged": found.merged.all(),
            "triage_form": forms.get("triage_form")
            or TriageForm(
                initial={field: getattr(found, field) for field in TriageForm.base_fields}
            ),
            "status_form": forms.get("status_form") or StatusForm(),
            "merge_form": forms.get("merge_form") or MergeForm(exclude=found.pk),
            "comment_form": forms.get("comment_form") or CommentForm(),
        },
        status=status,
    )


@product_required
def feature_request(request, request_id: int):
    found = get_object_or_404(FeatureRequest.objects.select_related("release_note"), pk=request_id)
    return _request_page(request, found)


def _post(request, request_id: int, form_class, form_name: str, service, done: str, **form_kwargs):
    found = get_object_or_404(FeatureRequest, pk=request_id)
    form = form_class(request.POST, **form_kwargs)
    return submit_form(
        request,
        form,
        lambda data: service(found, data),
        done=done,
        redirect_to=reverse("console_product_request", args=[found.pk]),
    ) or _request_page(request, found, status=400, **{form_name: form})


@product_required
@require_POST
def triage(request, request_id: int):
    return _post(
        request,
        request_id,
        TriageForm,
        "triage_form",
        lambda found, data: services.triage(request=found, data=services.TriageInput(**data)),
        _("Triage saved."),
    )


@product_required
@require_POST
def change_status(request, request_id: int):
    return _post(
        request,
        request_id,
        StatusForm,
        "status_form",
        lambda found, data: services.change_status(
            request=found,
            to=data["status"],
            actor=request.user,
            reason=data["reason"],
            release_note=data["release_note"],
        ),
        _("Status changed; voters and their CSMs are told."),
    )


@product_required
@require_POST
def merge(request, request_id: int):
    return _post(
        request,
        request_id,
        MergeForm,
        "merge_form",
        lambda found, data: services.merge_requests(
            duplicate=found, into=data["into"], actor=request.user
        ),
        _("Merged; the votes moved with it."),
        exclude=request_id,
    )


@product_required
@require_POST
def comment(request, request_id: int):
    return _post(
        request,
        request_id,
        CommentForm,
        "comment_form",
        lambda found, data: services.comment(request=found, user=request.user, body=data["body"]),
        _("Comment added."),
    )


# ------------------------------------------------------------------------------ notes


@product_required
def notes(request):
    form = NoteForm(request.POST or None)
    if request.method == "POST":
        response = submit_form(
            request,
            form,
            lambda data: services.publish_note(data=services.NoteInput(**data), actor=request.user),
            done=_("Release note published."),
            redirect_to="console_product_notes",
        )
        if response:
            return response
    return render(
        request,
        "community/console/notes.html",
        {
            "form": form,
            "notes": Paginator(ReleaseNote.objects.all(), 30).get_page(request.GET.get("page")),
        },
        status=400 if form.is_bound else 200,
    )


# ------------------------------------------------------------------------------ questions


@answerer_required
def question_queue(request):
    return render(
        request, "community/console/questions.html", {"queue": selectors.question_queue()}
    )


@answerer_required
def question(request, question_id: int):
    found = get_object_or_404(
        Question.objects.select_related("merchant", "asked_by").prefetch_related("replies"),
        pk=question_id,
    )
    form = ReplyForm(request.POST or None)
    if request.method == "POST":
        response = submit_form(
            request,
            form,
            lambda data: services.answer_question(
                question=found, staff=request.user, body=data["body"]
            ),
            done=_("Answer sent; the merchant is notified."),
            redirect_to="console_product_questions",
        )
        if response:
            return response
    return render(
        request,
        "community/console/question.html",
        {"question": found, "form": form},
        status=400 if form.is_bound else 200,
    )


# ------------------------------------------------------------------------------ betas


@product_required
def betas(request):
    form = BetaForm(request.POST or None)
    if request.method == "POST":
        response = submit_form(
            request,
            form,
            lambda data: services.open_beta(data=services.BetaInput(**data), actor=request.user),
            done=_("Beta opened."),
            redirect_to=lambda beta: reverse("console_product_beta", args=[beta.pk]),
        )
        if response:
            return response
    return render(
        request,
        "community/console/betas.html",
        {"form": form, "betas": Beta.objects.all()},
        status=400 if form.is_bound else 200,
    )


@product_required
def beta(request, beta_id: int):
    found = get_object_or_404(Beta, pk=beta_id)
    return render(
        request,
        "community/console/beta.html",
        {
            "beta": found,
            "participants": found.participants.select_related("merchant", "joined_by"),
            "feedback": found.feedback.select_related("merchant", "author")[:200],
        },
    )


# ------------------------------------------------------------------------------ lifecycle


@platform_role_required(PlatformRole.PRODUCT, PlatformRole.CSM)
def lifecycle(request):
    chooser = IndustryForm(request.GET or None)
    industry = chooser.cleaned_data["industry"] if chooser.is_valid() else Industry.RETAIL
    if request.method == "POST":
        chooser = IndustryForm(request.POST)
        if not chooser.is_valid():
            return HttpResponseBadRequest(chooser.errors.as_text())
        industry = chooser.cleaned_data["industry"]
    texts = {card.stage: card.cares_about for card in selectors.lifecycle_card(industry)}
    form = LifecycleForm(request.POST or None, initial_texts=texts)
    if request.method == "POST" and form.is_valid():
        services.save_lifecycle_card(
            industry=industry,
            texts={stage.value: form.cleaned_data[stage.value] for stage in LifecycleStage},
            actor=request.user,
        )
        messages.success(request, _("Lifecycle card saved."))
        return redirect(f"{reverse('console_product_lifecycle')}?industry={industry}")
    return render(
        request,
        "community/console/lifecycle.html",
        {
            "form": form,
            "industry": industry,
            "industries": Industry.choices,
            "chooser": IndustryForm(initial={"industry": industry}),
        },
        status=400 if form.is_bound else 200,
    )


@platform_role_required(PlatformRole.PRODUCT, PlatformRole.CSM)
@require_POST
def set_industry(request, merchant_id: int):
    """Customer success records a merchant's industry (shops from before signup asked)."""
    merchant = get_object_or_404(Merchant.objects.exclude(schema_name="public"), pk=merchant_id)
    form = IndustryForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(form.errors.as_text())
    services.set_industry(merchant=merchant, industry=form.cleaned_data["industry"])
    messages.success(request, _("Industry saved."))
    return redirect("console_onboarding_merchant", merchant.pk)
