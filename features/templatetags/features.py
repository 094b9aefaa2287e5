from django import template

from features.flags import is_enabled

register = template.Library()


@register.filter
def feature_enabled(merchant, name: str) -> bool:
    """`{% if request.tenant|feature_enabled:"name" %}`: the template side of
    `features.enabled(merchant, name)`."""
    return is_enabled(merchant, name)
