"""`{% countdown team.expires_at %}`: time left, written by the server and ticked by
static/js/countdown.js (the server text stands when scripts do not run)."""

from datetime import UTC, datetime

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

register = template.Library()


def time_left_text(ends_at: datetime, now: datetime | None = None) -> str:
    """ "5 h 12 min left", "12 min left", "less than a minute left" or "closing now"."""
    seconds = int((ends_at - (now or timezone.now())).total_seconds())
    if seconds <= 0:
        return _("closing now")
    hours, minutes = seconds // 3600, seconds % 3600 // 60
    if hours:
        return _("%(hours)s h %(minutes)s min left") % {"hours": hours, "minutes": minutes}
    if minutes:
        return _("%(minutes)s min left") % {"minutes": minutes}
    return _("less than a minute left")


@register.inclusion_tag("storefront/includes/groupbuy_countdown.html")
def countdown(ends_at: datetime) -> dict:
    return {
        "iso": ends_at.astimezone(UTC).replace(microsecond=0).isoformat(),
        "text": time_left_text(ends_at),
        # The script's patterns ({h}, {m}, {s} are replaced every second).
        "pattern_hours": _("{h} h {m} min {s} s left"),
        "pattern_minutes": _("{m} min {s} s left"),
        "done": _("closing now"),
    }
