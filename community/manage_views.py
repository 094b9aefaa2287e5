"""The merchant's community (`/manage/community/` on the shop host). Public tables, rows of
`request.tenant` or rows meant for every merchant only."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from community import selectors, services
from community.forms import CommentForm, FeedbackForm, QuestionForm, ReplyForm, RequestForm
from community.models import Beta, FeatureRequest, RequestStatus
from core.views import submit_form
from tenants.access import shop_member_required


@shop_member_required
def whats_new(request):
    merchant = request.tenant
    seen = selectors.last_seen(user=request.user, merchant=merchant)
    notes = Paginator(selectors.notes_for(merchant), 20).get_page(request.GET.get("page"))
    services.mark_notes_seen(user=request.user, merchant=merchant)
    return render(request, "community/manage/whats_new.html", {"notes": notes, "seen_at": seen})


# ------------------------------------------------------------------------------ questions


def _questions_page(request, form: QuestionForm | None = None, status: int = 200):
    merchant = request.tenant
    return render(
        request,
        "community/manage/questions.html",
        {
            "mine": selectors.questions_of(merchant)[:100],
            "public": selectors.public_questions(exclude_merchant=merchant)[:50],
            "form": form or QuestionForm(),
        },
        status=status,
    )


@shop_member_required
def questions(request):
    if request.method == "POST":
        form = QuestionForm(request.POST)
        return submit_form(
            request,
            form,
            lambda data: services.ask_question(
                merchant=request.tenant,
                user=request.user,
                title=data["title"],
                body=data["body"],
                is_public=data["is_public"],
            ),
            done=_("Your question is in. We answer by the time shown."),
            redirect_to=lambda question: reverse("community_question", args=[question.pk]),
        ) or _questions_page(request, form, status=400)
    return _questions_page(request)


@shop_member_required
def question(request, question_id: int):
    found = selectors.question_for_merchant(request.tenant, question_id)
    if found is None:
        raise Http404
    own = found.merchant_id == request.tenant.pk
    form = ReplyForm()
    if request.method == "POST":
        if not own:
            raise Http404
        form = ReplyForm(request.POST)
        response = submit_form(
            request,
            form,
            lambda data: services.follow_up(question=found, user=request.user, body=data["body"]),
            done=_("Message sent."),
            redirect_to=reverse("community_question", args=[found.pk]),
        )
        if response:
            return response
    services.mark_notices_read(
        user=request.user,
        merchant=request.tenant,
        link=reverse("community_question", args=[found.pk]),
    )
    return render(
        request,
        "community/manage/question.html",
        {"question": found, "own": own, "form": form},
        status=400 if form.is_bound else 200,
    )


# ------------------------------------------------------------------------------ requests


def _requests_page(request, form: RequestForm | None = None, status: int = 200):
    found = selectors.open_requests().order_by("-vote_count", "-created_at")
    wanted = request.GET.get("status", "")
    if wanted in RequestStatus.values:
        found = found.filter(status=wanted)
    page = Paginator(found, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "community/manage/requests.html",
        {
            "page": page,
            "voted": selectors.voted_request_ids(request.tenant),
            "form": form or RequestForm(),
            "statuses": RequestStatus.choices,
            "wanted": wanted,
        },
        status=status,
    )


@shop_member_required
def feature_requests(request):
    if request.method == "POST":
        form = RequestForm(request.POST)
        return submit_form(
            request,
            form,
            lambda data: services.post_request(
                merchant=request.tenant, user=request.user, title=data["title"], need=data["need"]
            ),
            done=_("Thank you: your request is posted and your shop's vote counted."),
            redirect_to=lambda found: reverse("community_request", args=[found.pk]),
        ) or _requests_page(request, form, status=400)
    return _requests_page(request)


def _request_page(request, found: FeatureRequest, form=None, status=200):
    services.mark_notices_read(
        user=request.user,
        merchant=request.tenant,
        link=reverse("community_request", args=[found.pk]),
    )
    return render(
        request,
        "community/manage/request.html",
        {
            "found": found,
            "vote_count": found.votes.count(),
            "voted": found.votes.filter(merchant=request.tenant).exists(),
            "comments": found.comments.all(),
            "history": found.status_changes.all(),
            "form": form or CommentForm(),
        },
        status=status,
    )


def _request_or_404(request_id: int) -> FeatureRequest:
    found = get_object_or_404(FeatureRequest.objects.select_related("release_note"), pk=request_id)
    return found


@shop_member_required
def feature_request(request, request_id: int):
    found = _request_or_404(request_id)
    if found.merged_into_id:
        return redirect("community_request", found.merged_into_id)
    if request.method == "POST":
        form = CommentForm(request.POST)
        return submit_form(
            request,
            form,
            lambda data: services.comment(
                request=found, user=request.user, body=data["body"], merchant=request.tenant
            ),
            done=_("Comment added."),
            redirect_to=reverse("community_request", args=[found.pk]),
        ) or _request_page(request, found, form, status=400)
    return _request_page(request, found)


@shop_member_required
@require_POST
def vote(request, request_id: int):
    found = _request_or_404(request_id)
    if request.POST.get("action") == "remove":
        services.unvote(request=found, merchant=request.tenant)
        messages.success(request, _("Your shop's vote is withdrawn."))
    else:
        services.vote(request=found, merchant=request.tenant, user=request.user)
        messages.success(request, _("Your shop's vote is counted."))
    return redirect("community_request", found.merged_into_id or found.pk)


# ------------------------------------------------------------------------------ betas


@shop_member_required
def betas(request):
    merchant = request.tenant
    return render(
        request,
        "community/manage/betas.html",
        {"betas": selectors.betas_for(merchant), "form": FeedbackForm()},
    )


def _beta_or_404(merchant, beta_id: int) -> Beta:
    return get_object_or_404(selectors.betas_for(merchant), pk=beta_id)


@shop_member_required
@require_POST
def beta_membership(request, beta_id: int):
    beta = _beta_or_404(request.tenant, beta_id)
    if request.POST.get("action") == "leave":
        services.leave_beta(beta=beta, merchant=request.tenant)
        messages.success(request, _("You left the beta “%(title)s”.") % {"title": beta.title})
    else:
        try:
            services.join_beta(beta=beta, merchant=request.tenant, user=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("You joined the beta “%(title)s”.") % {"title": beta.title})
    return redirect("community_betas")


@shop_member_required
@require_POST
def beta_feedback(request, beta_id: int):
    beta = _beta_or_404(request.tenant, beta_id)
    form = FeedbackForm(request.POST)
    response = submit_form(
        request,
        form,
        lambda data: services.beta_feedback(
            beta=beta, merchant=request.tenant, user=request.user, body=data["body"]
        ),
        done=_("Thank you for your feedback."),
        redirect_to="community_betas",
    )
    if response:
        return response
    return render(
        request,
        "community/manage/betas.html",
        {"betas": selectors.betas_for(request.tenant), "form": form, "failed": beta.pk},
        status=400,
    )
