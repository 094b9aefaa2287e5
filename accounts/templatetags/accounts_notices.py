from django import template
from django.conf import settings

from accounts import selectors
from core.links import followable

register = template.Library()


@register.inclusion_tag("accounts/includes/notices_nav_link_inner.html", takes_context=True)
def notices_nav_link(context):
    """The Notices link of the manage navigation, with the person's unread count (cached:
    it is on every page)."""
    request = context["request"]
    user = getattr(request, "user", None)
    unread = 0
    if user is not None and user.is_authenticated:
        tenant = getattr(request, "tenant", None)
        unread = selectors.cached_unread_notice_count(user, getattr(tenant, "pk", None))
    name = request.resolver_match.url_name if request.resolver_match else ""
    return {"unread": unread, "active": (name or "").startswith("manage_notice")}


@register.filter
def followable_link(link: str) -> str:
    """A notice's stored link when it stays on the platform (a console path, or a URL on
    the platform host), else "": render the text without a link then."""
    return followable(link, (settings.PLATFORM_HOST,))
