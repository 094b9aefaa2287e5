from django import template

from community import selectors
from tenants.models import Industry

register = template.Library()


@register.inclusion_tag("community/includes/nav_link_inner.html", takes_context=True)
def community_nav_link(context):
    """The Community link of the manage navigation, with the unread count."""
    request = context["request"]
    user = getattr(request, "user", None)
    merchant = getattr(request, "tenant", None)
    unread = 0
    if user is not None and user.is_authenticated and merchant is not None and merchant.pk:
        unread = selectors.cached_unread_count(user=user, merchant=merchant)
    name = request.resolver_match.url_name if request.resolver_match else ""
    return {"unread": unread, "active": (name or "").startswith("community_")}


@register.inclusion_tag("community/includes/lifecycle_card_inner.html")
def lifecycle_card(merchant):
    """The card of the merchant's industry, its current journey stage marked (CSM page)."""
    stages = selectors.lifecycle_card(merchant.industry)
    return {
        "merchant": merchant,
        "industries": Industry.choices,
        "stages": stages,
        "industry_label": merchant.get_industry_display() if merchant.industry else "",
        "current": selectors.lifecycle_stage_of(merchant),
    }
