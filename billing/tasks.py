"""Billing's Celery tasks: thin wrappers over the services, safe to run twice."""

from __future__ import annotations

import logging

import stripe
from celery import shared_task
from django.db import connection, transaction
from django.utils import timezone

from billing.models import Invoice, InvoiceStatus
from billing.reminders import run_daily_sweeps
from billing.run import previous_month, run_billing
from billing.services import billing_account
from billing.stripe_gateway import push_invoice
from billing.subscriptions import start_missing_subscriptions

logger = logging.getLogger(__name__)


@shared_task(
    autoretry_for=(stripe.APIConnectionError, stripe.RateLimitError),
    retry_backoff=True,
    max_retries=8,
)
def push_invoice_to_stripe(invoice_id: int) -> str:
    invoice = Invoice.objects.select_related("merchant").get(pk=invoice_id)
    if invoice.status != InvoiceStatus.OPEN or invoice.collection_method != "stripe":
        return "skipped"
    if invoice.stripe_invoice_id and invoice.stripe_hosted_url:
        return "already pushed"
    try:
        result = push_invoice(invoice, billing_account(invoice.merchant_id))
    except (
        stripe.InvalidRequestError,
        stripe.AuthenticationError,
        stripe.PermissionError,
    ) as error:
        Invoice.objects.filter(pk=invoice.pk).update(stripe_sync_error=str(error)[:500])
        logger.error("Stripe refused invoice %s: %s", invoice.number, error)
        return "error"
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        locked.stripe_invoice_id = result.stripe_invoice_id
        locked.stripe_hosted_url = result.hosted_url
        locked.stripe_sync_error = ""
        fields = ["stripe_invoice_id", "stripe_hosted_url", "stripe_sync_error"]
        if result.status == "paid" and locked.status == InvoiceStatus.OPEN:
            from billing.services import mark_invoice_paid

            mark_invoice_paid(locked)
        elif result.payment_error and locked.payment_failed_at is None:
            locked.payment_failed_at = timezone.now()
            fields.append("payment_failed_at")
        locked.save(update_fields=fields)
    return result.status


# pg_try_advisory_lock key of the billing run (any constant the project uses once).
BILLING_RUN_LOCK = 7_300_114


@shared_task
def run_monthly_billing() -> dict:
    """Bill last month for every merchant whose month has closed (beat every 15 minutes:
    merchants in later time zones close later; periods already billed are skipped, so a
    run after a killed one finishes its work).

    One run at a time: a session advisory lock, which PostgreSQL releases by itself when a
    killed worker's connection goes, so a crash never blocks the next run. A run that finds
    another in progress does nothing (it would only find the same invoices written)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [BILLING_RUN_LOCK])
        if not cursor.fetchone()[0]:
            return {"skipped": "another billing run is in progress"}
    try:
        year, month = previous_month(timezone.now().date())
        summary = run_billing(year, month)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [BILLING_RUN_LOCK])
    return {"created": summary.created, "already_billed": summary.already_billed}


@shared_task
def billing_daily_sweeps() -> dict:
    start_missing_subscriptions()
    summary = run_daily_sweeps()
    return summary.__dict__
