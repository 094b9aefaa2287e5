from django.conf import settings
from django.db import connection
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from commerce.checkout.models import CheckoutSession, CheckoutStatus
from commerce.payments import card
from commerce.payments.webhooks import InvalidWebhook, finalize_from_stripe, handle_webhook
from commerce.storefront.placed_checkouts import placed_here


def _open_session(request, reference) -> CheckoutSession:
    """The checkout behind `reference` when this browser placed it; 404 for anyone else
    (another shopper, an anonymous visitor, a leaked link), before anything asks Stripe."""
    if not placed_here(request.session, reference):
        raise Http404
    return get_object_or_404(CheckoutSession, reference=reference)


@require_GET
def checkout_pay(request, reference):
    """The card step: a PaymentIntent on the shop's connected account and Stripe's form."""
    session = _open_session(request, reference)
    if session.order_id:
        return redirect(f"/orders/{session.order.status_token}/")
    if session.status != CheckoutStatus.RESERVED or not connection.tenant.stripe_charges_enabled:
        raise Http404
    intent = card.create_payment_intent(
        account_id=connection.tenant.stripe_account_id,
        reference=str(session.reference),
        amount=session.total,
        currency=session.currency,
        schema_name=connection.schema_name,
    )
    CheckoutSession.objects.filter(pk=session.pk, payment_intent_id__isnull=True).update(
        payment_intent_id=intent.id
    )
    return_url = request.build_absolute_uri(
        reverse("checkout_return", kwargs={"reference": session.reference})
    )
    return render(
        request,
        "payments/checkout_pay.html",
        {
            "session": session,
            "client_secret": intent.client_secret,
            "publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
            "account_id": connection.tenant.stripe_account_id,
            "return_url": return_url,
        },
    )


@require_GET
def checkout_return(request, reference):
    """Where Stripe sends the shopper back; finalizes through the same function as webhooks."""
    session = _open_session(request, reference)
    if session.order_id:
        return redirect(f"/orders/{session.order.status_token}/")
    status, order = finalize_from_stripe(session)
    if order is not None:
        return redirect(f"/orders/{order.status_token}/")
    return render(request, "payments/checkout_pending.html", {"session": session, "status": status})


@csrf_exempt
@require_POST
def stripe_webhook(request):
    """Stripe Connect events for every shop arrive here, on the platform host."""
    try:
        outcome = handle_webhook(request.body, request.headers.get("Stripe-Signature", ""))
    except InvalidWebhook:
        return HttpResponse("invalid signature or payload", status=400)
    answer = {"event": outcome.event_id, "result": outcome.result}
    if outcome.reason:
        answer["reason"] = outcome.reason
    return JsonResponse(answer)
