from django import template

from commerce.orders.tracking import carrier_tracking_url

register = template.Library()


@register.simple_tag
def tracking_url(order) -> str:
    """The carrier's tracking page of the order's parcel ("" when the carrier is unknown)."""
    return carrier_tracking_url(order.carrier, order.tracking_number)
