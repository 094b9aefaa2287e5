from django import template

from community import selectors

register = template.Library()


@register.inclusion_tag("community/includes/nav_link_inner.html", takes_context=True)
def community_nav_link(context):
    """The Community link of the manage navigation, with the unread count."""
    request = context["request"]
    user = getattr(request, "user", None)
    merchant = getattr(request, "tenant", None)
    unread = 0
    if user is not None and user.is_authenticated and merchant is not None and merchant.pk:
        unread = selectors.unread_count(user=user, merchant=merchant)
    name = request.resolver_match.url_name if request.resolver_match else ""
    return {"unread": unread, "active": (name or "").startswith("community_")}
