"""Glue between the staff page (tenants) and the plan's seat terms (billing): tenants sits
below billing and cannot ask it, so the URL conf hands this function in."""

from billing.models import Subscription
from tenants.models import Merchant
from tenants.staff_views import SeatTerms


def seat_terms(merchant: Merchant) -> SeatTerms | None:
    subscription = (
        Subscription.objects.filter(merchant_id=merchant.pk).select_related("plan").first()
    )
    if subscription is None:
        return None
    plan = subscription.plan
    return SeatTerms(
        plan_name=plan.name,
        included_seats=plan.included_seats,
        extra_seat_price=plan.extra_seat_price,
        currency=merchant.currency,
    )
