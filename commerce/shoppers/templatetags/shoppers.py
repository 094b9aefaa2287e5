from django import template

from commerce.shoppers.checkout import ShopperAtCheckout, shopper_at_checkout

register = template.Library()


@register.simple_tag(takes_context=True)
def shopper_checkout(context) -> ShopperAtCheckout:
    request = context.get("request")
    return shopper_at_checkout(request) if request is not None else ShopperAtCheckout()
