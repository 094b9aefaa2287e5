"""The store set-up checklist: details, a product, a payment method, a shipping method.

Completing it is an onboarding signal: the ledger gets `store_setup_completed` once.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from analytics.events import StoreSetupCompleted
from analytics.ledger import record_event
from commerce.catalog.models import Product
from commerce.store.models import StoreSettings
from commerce.store.selectors import store_settings


@dataclass(frozen=True)
class SetupStep:
    key: str
    label: str
    done: bool
    url_name: str


@dataclass(frozen=True)
class SetupProgress:
    steps: tuple[SetupStep, ...]

    @property
    def done(self) -> int:
        return sum(step.done for step in self.steps)

    @property
    def total(self) -> int:
        return len(self.steps)

    @property
    def complete(self) -> bool:
        return self.done == self.total

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total)


def setup_progress(settings: StoreSettings | None = None) -> SetupProgress:
    settings = settings or store_settings()
    merchant = connection.tenant
    return SetupProgress(
        steps=(
            SetupStep(
                "details",
                _("Shop details and contact"),
                bool(settings.display_name and (settings.contact_email or settings.contact_phone)),
                "manage_store",
            ),
            SetupStep(
                "product",
                _("At least one published product"),
                Product.objects.filter(is_published=True).exists(),
                "manage_products",
            ),
            SetupStep(
                "payment",
                _("A payment method"),
                settings.accepts_cash_on_delivery
                or settings.accepts_pay_in_store
                or merchant.stripe_charges_enabled,
                "manage_store_payments",
            ),
            SetupStep(
                "shipping",
                _("A shipping method"),
                settings.shipping_flat_rate is not None or settings.local_pickup,
                "manage_store_shipping",
            ),
        )
    )


def record_setup_if_complete() -> bool:
    """Stamp the checklist done and tell the ledger, once per shop. True when it just did."""
    with transaction.atomic():
        settings = StoreSettings.objects.select_for_update().get(pk=store_settings().pk)
        if settings.setup_completed_at is not None or not setup_progress(settings).complete:
            return False
        settings.setup_completed_at = timezone.now()
        settings.save(update_fields=["setup_completed_at"])
        record_event(
            merchant=connection.tenant,
            event=StoreSetupCompleted(),
            idempotency_key=f"{connection.schema_name}:store_setup_completed",
            occurred_at=settings.setup_completed_at,
        )
    return True
