"""The merchant's side (`/manage/onboarding/` on the shop host): its checklist, training
sign-up and the NPS survey. Onboarding tables are public; these read the rows of
`request.tenant` only."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.views import submit_form
from onboarding import selectors, services
from onboarding.forms import NpsForm
from onboarding.models import STAGE_ORDER, TrainingRegistration, TrainingSession
from tenants.access import shop_member_required
from tenants.models import Membership, MembershipRole


def _context(request, nps_form: NpsForm | None = None) -> dict:
    merchant = request.tenant
    journey = selectors.merchant_journey(merchant)
    milestones = (
        sorted(journey.milestones.all(), key=lambda m: STAGE_ORDER.index(m.stage))
        if journey
        else []
    )
    is_owner = Membership.objects.filter(
        user=request.user, merchant_id=merchant.pk, role=MembershipRole.OWNER
    ).exists()
    survey = selectors.open_survey(merchant) if is_owner else None
    return {
        "journey": journey,
        "milestones": milestones,
        "sessions": selectors.upcoming_sessions(),
        "my_sessions": set(
            TrainingRegistration.objects.filter(user=request.user).values_list(
                "session_id", flat=True
            )
        ),
        "survey": survey,
        "nps_form": nps_form or NpsForm(),
    }


@shop_member_required
def checklist(request):
    return render(request, "onboarding/manage/checklist.html", _context(request))


@shop_member_required
@require_POST
def register_training(request, session_id: int):
    session = get_object_or_404(TrainingSession, pk=session_id)
    try:
        services.register_for_training(session=session, merchant=request.tenant, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("You are signed up for %(title)s.") % {"title": session.title})
    return redirect("manage_onboarding")


@shop_member_required
@require_POST
def answer_nps(request):
    survey = selectors.open_survey(request.tenant)
    form = NpsForm(request.POST)
    if survey is None:
        messages.error(request, _("There is no survey to answer."))
        return redirect("manage_onboarding")
    return submit_form(
        request,
        form,
        lambda data: services.answer_nps(
            survey=survey, score=data["score"], comment=data["comment"], user=request.user
        ),
        done=_("Thank you for your answer!"),
        redirect_to="manage_onboarding",
    ) or render(request, "onboarding/manage/checklist.html", _context(request, form), status=400)
