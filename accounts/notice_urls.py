"""`/manage/notices/`: the signed-in person's own notices (every role may open them,
tenants.access.SECTION_ROLES)."""

from django.urls import path

from accounts import notice_views


def urlpatterns_with(*, landing_for, after_read) -> list:
    """The notices URLs; `landing_for(kind)` (a path, "" for none) is where a notice whose
    own link cannot be followed lands, `after_read(user=, merchant=)` what else to recount
    after a read (both from the URL conf: the sections they name sit above accounts)."""
    return [
        path("", notice_views.notices, {"landing_for": landing_for}, name="manage_notices"),
        path(
            "read/",
            notice_views.mark_all_read,
            {"after_read": after_read},
            name="manage_notices_read",
        ),
        path(
            "<int:notice_id>/open/",
            notice_views.open_notice,
            {"landing_for": landing_for, "after_read": after_read},
            name="manage_notice_open",
        ),
    ]
