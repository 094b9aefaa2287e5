from celery import shared_task
from django.utils import timezone

from commerce.checkout.models import CheckoutSession, CheckoutStatus
from commerce.checkout.services import release_expired_reservations
from commerce.payments.webhooks import finalize_from_stripe


@shared_task(name="commerce.checkout.tasks.settle_checkout")
def settle_checkout(reference: str) -> str:
    """Runs in the shop's schema when a reservation runs out: finalize a checkout that was
    paid but never finalized (webhook lost, shopper closed the tab), else release its stock.
    Safe to run twice."""
    session = CheckoutSession.objects.filter(reference=reference).first()
    if session is None or session.status != CheckoutStatus.RESERVED:
        return "nothing to do"
    status, order = finalize_from_stripe(session)
    if order is not None:
        return "finalized"
    if session.reserved_until < timezone.now():
        release_expired_reservations(now=timezone.now())
        return "released"
    return status
