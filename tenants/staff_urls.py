"""`/manage/settings/`: the staff page (owner and managers read it) and the owner's actions
under it (tenants.access: PAGE_ROLES and SECTION_ROLES)."""

from django.urls import path

from tenants import staff_views


def urlpatterns_with(seat_terms) -> list:
    """The settings URLs; `seat_terms(merchant)` (billing's, from the URL conf) tells the
    page the plan's included seats and the price of an extra one."""
    terms = {"seat_terms": seat_terms}
    return [
        path("", staff_views.staff_settings, terms, name="manage_settings"),
        path("invite/", staff_views.invite, terms, name="manage_staff_invite"),
        path(
            "members/<int:membership_id>/role/",
            staff_views.change_role,
            name="manage_staff_role",
        ),
        path(
            "members/<int:membership_id>/remove/",
            staff_views.remove,
            name="manage_staff_remove",
        ),
        path(
            "members/<int:membership_id>/transfer/",
            staff_views.transfer,
            name="manage_staff_transfer",
        ),
        path(
            "invitations/<int:invitation_id>/revoke/",
            staff_views.revoke,
            name="manage_staff_revoke",
        ),
        path("activity/", staff_views.activity, name="manage_staff_activity"),
    ]
