"""`/manage/settings/` (staff, roles, seats, ownership, the activity log) and the invitation
link a new member opens (`/accounts/invitations/<token>/`).

The staff page is readable by the owner and managers; every action (invite, change a role,
remove, transfer ownership, withdraw an invitation) and the activity log are the owner's.
`tenants.access` refuses the others on the server before a view runs, and the page shows a
form only where `role_may_open` says its target would be accepted."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth import authenticate, login
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from accounts.language import signed_in
from core.forms import add_service_errors
from tenants import staff
from tenants.access import role_may_open, shop_member_required
from tenants.activity import action_label
from tenants.forms import (
    ActivityFilterForm,
    ExistingAccountAcceptForm,
    InviteStaffForm,
    MemberRoleForm,
    NewAccountAcceptForm,
)
from tenants.hosts import shop_url
from tenants.models import Merchant
from tenants.selectors import (
    invitation_for_token,
    membership_of,
    open_invitations,
    staff_action_filters,
    staff_actions,
    staff_members,
)

ACTIVITY_PAGE_SIZE = 50


@dataclass(frozen=True)
class SeatTerms:
    """What the shop's plan says about seats (billing's, handed in by the URL conf)."""

    plan_name: str
    included_seats: int
    extra_seat_price: Decimal
    currency: str


@dataclass(frozen=True)
class SeatUsage:
    in_use: int
    terms: SeatTerms | None

    @property
    def extra(self) -> int:
        return max(0, self.in_use - self.terms.included_seats) if self.terms else 0

    @property
    def extra_monthly(self) -> Decimal:
        return self.terms.extra_seat_price * self.extra if self.terms else Decimal("0")


def no_seat_terms(merchant: Merchant) -> SeatTerms | None:
    return None


def _settings_page(request, seat_terms, *, invite_form=None, status=200):
    members = list(staff_members(request.tenant))
    role = request.staff_membership.role
    return render(
        request,
        "manage/settings/staff.html",
        {
            "members": members,
            "me": request.staff_membership,
            "invitations": list(open_invitations(request.tenant)),
            "invite_form": invite_form or InviteStaffForm(),
            "role_form": MemberRoleForm(),
            "seats": SeatUsage(in_use=len(members), terms=seat_terms(request.tenant)),
            "now": timezone.now(),
            # Forms and links only where the server would accept them (the same table).
            "can_manage_staff": role_may_open(role, reverse("manage_staff_invite")),
            "can_read_activity": role_may_open(role, reverse("manage_staff_activity")),
        },
        status=status,
    )


@require_safe
@shop_member_required
def staff_settings(request, seat_terms: Callable[[Merchant], SeatTerms | None] = no_seat_terms):
    return _settings_page(request, seat_terms)


def _accept_url(request) -> Callable[[str], str]:
    # The shop's configured domain (tenants.hosts), never the Host the request carried.
    return lambda token: shop_url(
        request, request.tenant, reverse("staff_invitation_accept", args=[token])
    )


@require_POST
@shop_member_required
def invite(request, seat_terms: Callable[[Merchant], SeatTerms | None] = no_seat_terms):
    form = InviteStaffForm(request.POST)
    if form.is_valid():
        try:
            issued = staff.invite_staff(
                merchant=request.tenant,
                by=request.staff_membership,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                accept_url=_accept_url(request),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("Invitation sent to %(email)s.") % {"email": issued.invitation.email},
            )
            return redirect("manage_settings")
    return _settings_page(request, seat_terms, invite_form=form, status=400)


def _member_action(request, action: Callable[[], object], done: str):
    try:
        action()
    except ValidationError as error:
        for problems in error.message_dict.values():
            for problem in problems:
                messages.error(request, problem)
        return redirect("manage_settings")
    messages.success(request, done)
    return redirect("manage_settings")


@require_POST
@shop_member_required
def change_role(request, membership_id: int):
    form = MemberRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose manager, cashier or marketing."))
        return redirect("manage_settings")
    return _member_action(
        request,
        lambda: staff.change_role(
            merchant=request.tenant,
            by=request.staff_membership,
            membership_id=membership_id,
            role=form.cleaned_data["role"],
        ),
        _("Role changed."),
    )


@require_POST
@shop_member_required
def remove(request, membership_id: int):
    return _member_action(
        request,
        lambda: staff.remove_member(
            merchant=request.tenant, by=request.staff_membership, membership_id=membership_id
        ),
        _("Removed from the staff."),
    )


@require_POST
@shop_member_required
def transfer(request, membership_id: int):
    response = _member_action(
        request,
        lambda: staff.transfer_ownership(
            merchant=request.tenant, by=request.staff_membership, membership_id=membership_id
        ),
        _("Ownership transferred. You are now a manager."),
    )
    if membership_of(user=request.user, merchant=request.tenant).role != "owner":
        return redirect("manage_overview")
    return response


@require_POST
@shop_member_required
def revoke(request, invitation_id: int):
    return _member_action(
        request,
        lambda: staff.revoke_invitation(
            merchant=request.tenant, by=request.staff_membership, invitation_id=invitation_id
        ),
        _("Invitation withdrawn."),
    )


@shop_member_required
def activity(request):
    form = ActivityFilterForm(request.GET or None)
    person = section = ""
    if form.is_valid():
        person, section = form.cleaned_data["person"], form.cleaned_data["section"]
    people, sections = staff_action_filters(request.tenant)
    actions = staff_actions(request.tenant, actor_email=person, section=section)
    page = Paginator(actions, ACTIVITY_PAGE_SIZE).get_page(request.GET.get("page"))
    for entry in page.object_list:
        entry.label = action_label(entry)
    return render(
        request,
        "manage/settings/activity.html",
        {
            "page": page,
            "people": people,
            "sections": sections,
            "person": person,
            "section": section,
        },
    )


def accept_invitation(request, token: str):
    """The link in the invitation email: join the shop, signing in or creating the account."""
    if request.tenant.is_public:
        raise Http404
    invitation = invitation_for_token(token=token, merchant=request.tenant)
    problem = staff.invitation_problem(invitation)
    if problem:
        status = 404 if invitation is None else 410
        return render(
            request, "manage/settings/invitation_invalid.html", {"problem": problem}, status=status
        )
    from accounts.models import User

    existing = User.objects.filter(email=invitation.email).first()
    signed_in_as_invitee = request.user.is_authenticated and request.user == existing
    form_class = ExistingAccountAcceptForm if existing else NewAccountAcceptForm
    kwargs = {} if existing else {"email": invitation.email}
    form = None if signed_in_as_invitee else form_class(request.POST or None, **kwargs)
    if request.method == "POST" and (form is None or form.is_valid()):
        user = existing
        if existing and form is not None:
            user = authenticate(
                request, username=invitation.email, password=form.cleaned_data["password"]
            )
            if user is None:
                form.add_error(
                    "password",
                    _("This password is not right for %(email)s.") % {"email": invitation.email},
                )
        if form is None or form.is_valid():
            try:
                membership = staff.accept_invitation(
                    invitation_id=invitation.pk,
                    merchant=request.tenant,
                    user=user,
                    new_password_hash=""
                    if existing
                    else make_password(form.cleaned_data["password"]),
                )
            except ValidationError as error:
                if form is None or not hasattr(error, "error_dict"):
                    return render(
                        request,
                        "manage/settings/invitation_invalid.html",
                        {"problem": " ".join(error.messages)},
                        status=409,
                    )
                add_service_errors(form, error)
            else:
                login(request, membership.user, backend="accounts.backends.EmailBackend")
                messages.success(request, _("Welcome to %(shop)s.") % {"shop": request.tenant.name})
                return signed_in(redirect("manage_overview"), membership.user)
    return render(
        request,
        "manage/settings/invitation_accept.html",
        {
            "invitation": invitation,
            "form": form,
            "existing": existing is not None,
            "signed_in_as_invitee": signed_in_as_invitee,
        },
        status=400 if request.method == "POST" else 200,
    )
