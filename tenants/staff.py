"""A shop's staff: invitations, roles, removal and ownership (exactly one owner, always).

Only the shop's owner changes its staff. `tenants.access` refuses everyone else before a
view runs; each service checks `by` again, so no other caller can skip it.

Every change here is written to the staff activity log (`record_staff_action`) in its own
transaction. The invitation email goes through the outbox; its link is built by the caller
from `tenants.hosts` (the shop's configured domain), never from the request's Host.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.identity import canonical_email
from accounts.models import User
from outbox.services import enqueue_email
from tenants.activity import record_staff_action
from tenants.models import FormerSeat, Membership, MembershipRole, Merchant, StaffInvitation

INVITATION_LIFETIME = timedelta(days=7)
INVITABLE_ROLES = (MembershipRole.MANAGER, MembershipRole.CASHIER, MembershipRole.MARKETING)


@dataclass(frozen=True)
class IssuedInvitation:
    invitation: StaffInvitation
    token: str


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _role_label(role: str) -> str:
    return str(MembershipRole(role).label)


def _check_owner(by: Membership, merchant: Merchant) -> None:
    """Staff changes are the owner's: anyone else is refused before anything is read."""
    if by.merchant_id != merchant.pk or by.role != MembershipRole.OWNER:
        raise PermissionDenied(_("Only the owner can change the staff."))


def _check_invitable_role(role: str) -> None:
    if role not in INVITABLE_ROLES:
        raise ValidationError({"role": _("Choose manager, cashier or marketing.")})


def invite_staff(
    *,
    merchant: Merchant,
    by: Membership,
    email: str,
    role: str,
    accept_url: Callable[[str], str],
) -> IssuedInvitation:
    """Invite `email` to the shop as `role`; `accept_url(token)` is the link to put in the
    email. Inviting the same address again replaces its open invitation (a resend)."""
    _check_owner(by, merchant)
    _check_invitable_role(role)
    address = canonical_email(email)
    if Membership.objects.filter(merchant=merchant, user__email=address).exists():
        raise ValidationError(
            {"email": _("%(email)s is already on your staff.") % {"email": address}}
        )
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        replaced = StaffInvitation.objects.filter(
            merchant=merchant, email=address, accepted_at__isnull=True, revoked_at__isnull=True
        ).update(revoked_at=now)
        try:
            with transaction.atomic():
                invitation = StaffInvitation.objects.create(
                    merchant=merchant,
                    email=address,
                    role=role,
                    token_hash=_token_hash(token),
                    invited_by_id=by.user_id,
                    expires_at=now + INVITATION_LIFETIME,
                )
        except IntegrityError as error:  # a concurrent invitation of the same address
            raise ValidationError(
                {"email": _("%(email)s was just invited. Try again.") % {"email": address}}
            ) from error
        _queue_invitation_email(invitation, by=by, link=accept_url(token))
        record_staff_action(
            action="staff.invited",
            summary=_("Invited %(email)s as %(role)s")
            % {"email": address, "role": _role_label(role)},
            target=address,
            details={"role": role, "resent": bool(replaced)},
            section="settings",
            merchant=merchant,
            actor=by,
        )
    return IssuedInvitation(invitation=invitation, token=token)


def _queue_invitation_email(invitation: StaffInvitation, *, by: Membership, link: str) -> None:
    merchant = invitation.merchant
    # The shop's language and clock, whoever's request sent it.
    with translation.override(merchant.language), timezone.override(merchant.timezone):
        context = {
            "shop_name": merchant.name,
            "role": _role_label(invitation.role),
            "inviter": by.user.email,
            "link": link,
            "expires_at": invitation.expires_at,
            "zone": merchant.timezone,
        }
        subject = _("Join %(shop)s on the staff") % {"shop": merchant.name}
        body = render_to_string("manage/settings/invitation_email.txt", context)
    enqueue_email(
        to=[invitation.email],
        subject=subject,
        body=body,
        dedupe_key=f"staff-invitation:{invitation.pk}",
        merchant_id=merchant.pk,
        # The link logs whoever holds it into the shop: blank it once sent.
        sensitive=True,
    )


def revoke_invitation(*, merchant: Merchant, by: Membership, invitation_id: int) -> None:
    _check_owner(by, merchant)
    with transaction.atomic():
        invitation = (
            StaffInvitation.objects.select_for_update()
            .filter(
                pk=invitation_id,
                merchant=merchant,
                accepted_at__isnull=True,
                revoked_at__isnull=True,
            )
            .first()
        )
        if invitation is None:
            raise ValidationError({"invitation": _("This invitation is no longer open.")})
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        record_staff_action(
            action="staff.invitation_revoked",
            summary=_("Withdrew the invitation of %(email)s") % {"email": invitation.email},
            target=invitation.email,
            section="settings",
            merchant=merchant,
            actor=by,
        )


def invitation_problem(invitation: StaffInvitation | None) -> str | None:
    """Why an invitation link cannot be used, or None when it can."""
    if invitation is None:
        return _("This invitation link is not valid.")
    if invitation.accepted_at is not None:
        return _("This invitation has already been accepted. Sign in to continue.")
    if invitation.revoked_at is not None:
        return _("This invitation was withdrawn or replaced by a newer one.")
    if invitation.expires_at <= timezone.now():
        return _("This invitation has expired. Ask the shop owner to invite you again.")
    return None


def accept_invitation(
    *, invitation_id: int, merchant: Merchant, user: User | None, new_password_hash: str = ""
) -> Membership:
    """Join the shop through an open invitation, as `user` (an account whose email is the
    invited address) or, with `user` None, as a new account with that email and password."""
    with transaction.atomic():
        invitation = (
            StaffInvitation.objects.select_for_update()
            .select_related("merchant")
            .filter(pk=invitation_id, merchant=merchant)
            .first()
        )
        problem = invitation_problem(invitation)
        if problem:
            raise ValidationError(problem)
        if user is None:
            if User.objects.filter(email=invitation.email).exists():
                raise ValidationError(
                    {"password": _("An account with this email exists: sign in with its password.")}
                )
            user = User(email=invitation.email, password=new_password_hash)
            user.save()
        elif canonical_email(user.email) != invitation.email:
            raise ValidationError(
                _("This invitation is for %(email)s. Sign in with that account.")
                % {"email": invitation.email}
            )
        if Membership.objects.filter(user=user, merchant=merchant).exists():
            raise ValidationError(_("You are already on this shop's staff."))
        membership = Membership.objects.create(user=user, merchant=merchant, role=invitation.role)
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
        membership.user = user
        record_staff_action(
            action="staff.joined",
            summary=_("%(email)s joined as %(role)s")
            % {"email": user.email, "role": _role_label(membership.role)},
            target=user.email,
            details={"role": membership.role, "invitation": invitation.pk},
            section="settings",
            merchant=merchant,
            actor=membership,
        )
    return membership


def _locked_member(merchant: Merchant, membership_id: int) -> Membership:
    membership = (
        Membership.objects.select_for_update()
        .select_related("user")
        .filter(pk=membership_id, merchant=merchant)
        .first()
    )
    if membership is None:
        raise ValidationError({"member": _("This person is not on your staff.")})
    return membership


def change_role(*, merchant: Merchant, by: Membership, membership_id: int, role: str) -> Membership:
    """Give a member another role. The owner's role changes only by transferring ownership."""
    _check_owner(by, merchant)
    _check_invitable_role(role)
    with transaction.atomic():
        membership = _locked_member(merchant, membership_id)
        if membership.role == MembershipRole.OWNER:
            raise ValidationError(
                {"role": _("The owner stays the owner until ownership is transferred.")}
            )
        before = membership.role
        if before == role:
            return membership
        membership.role = role
        membership.save(update_fields=["role"])
        record_staff_action(
            action="staff.role_changed",
            summary=_("Changed %(email)s from %(before)s to %(after)s")
            % {
                "email": membership.user.email,
                "before": _role_label(before),
                "after": _role_label(role),
            },
            target=membership.user.email,
            details={"from": before, "to": role},
            section="settings",
            merchant=merchant,
            actor=by,
        )
    return membership


def remove_member(*, merchant: Merchant, by: Membership, membership_id: int) -> None:
    """Take a member off the staff; their seat ends now (billing stops counting it from
    today). The owner cannot be removed: transfer ownership first."""
    _check_owner(by, merchant)
    with transaction.atomic():
        membership = _locked_member(merchant, membership_id)
        if membership.role == MembershipRole.OWNER:
            raise ValidationError(
                {"member": _("The owner cannot be removed. Transfer ownership first.")}
            )
        now = timezone.now()
        FormerSeat.objects.create(
            merchant=merchant,
            user=membership.user,
            email=membership.user.email,
            role=membership.role,
            started_at=membership.created_at,
            ended_at=max(now, membership.created_at),
        )
        email, role = membership.user.email, membership.role
        membership.delete()
        record_staff_action(
            action="staff.removed",
            summary=_("Removed %(email)s (%(role)s) from the staff")
            % {"email": email, "role": _role_label(role)},
            target=email,
            details={"role": role},
            section="settings",
            merchant=merchant,
            actor=by,
        )


def transfer_ownership(*, merchant: Merchant, by: Membership, membership_id: int) -> Membership:
    """Make another member the owner; the owner becomes a manager. Only the owner may."""
    with transaction.atomic():
        # Both rows locked in primary-key order: two transfers cannot interleave.
        rows = list(
            Membership.objects.select_for_update()
            .select_related("user")
            .filter(merchant=merchant, pk__in={by.pk, membership_id})
            .order_by("pk")
        )
        current = next((row for row in rows if row.pk == by.pk), None)
        new_owner = next((row for row in rows if row.pk == membership_id), None)
        if current is None or current.role != MembershipRole.OWNER:
            raise ValidationError({"member": _("Only the owner can transfer ownership.")})
        if new_owner is None:
            raise ValidationError({"member": _("This person is not on your staff.")})
        if new_owner.pk == current.pk:
            raise ValidationError({"member": _("You are already the owner.")})
        previous_role = new_owner.role
        # The old owner steps down first: one owner per shop is a database constraint.
        current.role = MembershipRole.MANAGER
        current.save(update_fields=["role"])
        new_owner.role = MembershipRole.OWNER
        new_owner.save(update_fields=["role"])
        record_staff_action(
            action="staff.ownership_transferred",
            summary=_("Transferred ownership to %(email)s") % {"email": new_owner.user.email},
            target=new_owner.user.email,
            details={"from": current.user.email, "new_owner_was": previous_role},
            section="settings",
            merchant=merchant,
            actor=current,
        )
    return new_owner
