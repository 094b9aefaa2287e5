"""The Django admin for operations: every platform model is there, readable, and rows a
service owns the writes of cannot be added, changed or deleted from it."""

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse as tenant_reverse

from accounts.models import User
from analytics.models import DailyMerchantStats
from billing.models import Invoice
from tests.conftest import on_host

pytestmark = pytest.mark.django_db

# Written by services (with audit entries, idempotency keys, ledger rules): read-only.
SERVICE_OWNED = {
    "tenants.merchant",
    "tenants.domain",
    "tenants.membership",
    "tenants.merchantstatuschange",
    "billing.subscription",
    "billing.subscriptionevent",
    "billing.invoice",
    "billing.invoiceline",
    "billing.creditnote",
    "billing.auditentry",
    "analytics.dailymerchantstats",
    "analytics.merchantevent",
    "onboarding.journey",
    "onboarding.milestone",
    "onboarding.timelineentry",
    "onboarding.npsresponse",
    "reports.monthlymerchantstats",
    "reports.marketingspend",
}
MUST_HAVE_ROWS = SERVICE_OWNED - {"billing.creditnote", "billing.invoiceline"} | {
    "billing.plan",
    "billing.pluginprice",
    "onboarding.playbook",
}


MAX_LIST_QUERIES = 12


def demo_admin(client, steps):
    for step in steps:
        call_command(step)
    client.force_login(User.objects.get(email="admin@demo.test"))
    return on_host(client, "localhost")


def reverse(name: str, args=None) -> str:
    return tenant_reverse(name, args=args, urlconf="config.urls_public")


def label(model) -> str:
    return f"{model._meta.app_label}.{model._meta.model_name}"


def test_every_registered_model_lists_and_shows_a_row_in_english_and_chinese(client):
    admin_client = demo_admin(
        client,
        (
            "seed_demo",
            "seed_onboarding_demo",
            "seed_billing_demo",
            "seed_metrics_demo",
            "refresh_reports",
        ),
    )
    registered = {label(model): model for model in admin.site._registry}
    assert set(registered) >= SERVICE_OWNED | {"outbox.outboxmessage", "deadlines.dueshop"}

    shown = set()
    for name, model in sorted(registered.items()):
        info = (model._meta.app_label, model._meta.model_name)
        with CaptureQueriesContext(connection) as queries:
            listing = admin_client.get(reverse("admin:{}_{}_changelist".format(*info)))
        assert listing.status_code == 200, name
        # Related columns are joined, not fetched a row at a time.
        assert len(queries) <= MAX_LIST_QUERIES, (name, len(queries))
        row = model._default_manager.order_by("pk").first()
        if row is None:
            continue
        page = admin_client.get(reverse("admin:{}_{}_change".format(*info), args=[row.pk]))
        assert page.status_code == 200, name
        shown.add(name)
    assert shown >= MUST_HAVE_ROWS

    assert str(DailyMerchantStats._meta.verbose_name_plural) == "daily merchant stats"
    english = admin_client.get("/admin/").content.decode()
    assert "Daily merchant stats" in english and "statss" not in english
    assert "Onboarding journeys" in english and "Invoices" in english
    chinese = admin_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    for english_only in ("Onboarding journeys", "Customer success", "Daily merchant stats"):
        assert english_only not in chinese


def test_rows_a_service_owns_cannot_be_added_changed_or_deleted_from_the_admin(client):
    admin_client = demo_admin(client, ("seed_demo", "seed_billing_demo"))
    request = admin_client.get("/admin/").wsgi_request
    for model, model_admin in admin.site._registry.items():
        if label(model) not in SERVICE_OWNED:
            continue
        assert not model_admin.has_add_permission(request), label(model)
        assert not model_admin.has_change_permission(request), label(model)
        assert not model_admin.has_delete_permission(request), label(model)

    invoice = Invoice.objects.order_by("pk").first()
    total = invoice.total
    change = reverse("admin:billing_invoice_change", args=[invoice.pk])
    assert admin_client.post(change, {"total": "0.00"}).status_code == 403
    delete = reverse("admin:billing_invoice_delete", args=[invoice.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    invoice.refresh_from_db()
    assert invoice.total == total
    assert admin_client.get(reverse("admin:billing_invoice_add")).status_code == 403
