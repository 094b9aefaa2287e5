from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from analytics.events import OutletsChanged
from analytics.ledger import record_event
from commerce.images import reencode_image
from commerce.money import check_price
from commerce.store.models import Outlet, OutletKind, StoreSettings
from commerce.store.selectors import store_settings
from core.fields import decimal_precision


@dataclass(frozen=True)
class OutletInput:
    name: str
    address: str
    is_active: bool = True
    kind: str = "store"
    fulfils_online: bool = False
    online_rank: int = 1


def update_store_settings(
    *,
    display_name: str,
    tagline: str = "",
    contact_email: str = "",
    contact_phone: str = "",
    policies: str | None = None,
    logo: UploadedFile | None = None,
) -> StoreSettings:
    clean_logo = reencode_image(logo, field="logo", max_megabytes=2) if logo is not None else None
    settings = store_settings()
    settings.display_name = display_name.strip()
    settings.tagline = tagline.strip()
    settings.contact_email = contact_email.strip()
    settings.contact_phone = contact_phone.strip()
    if policies is not None:
        settings.policies = policies.strip()
    replaced_logo = settings.logo.name if clean_logo is not None else ""
    if clean_logo is not None:
        settings.logo = clean_logo
    settings.full_clean()
    settings.save()
    if replaced_logo:
        # The old file goes only once the new logo is committed.
        storage = StoreSettings.logo.field.storage
        transaction.on_commit(lambda: storage.delete(replaced_logo))
    return settings


def update_shipping(*, flat_rate: str, free_over: str, local_pickup: bool) -> StoreSettings:
    # The columns' precision bounds the amounts (1e309 used to fail in Decimal.quantize).
    column = decimal_precision(StoreSettings._meta.get_field("shipping_flat_rate"))
    rate = (
        check_price(flat_rate, "shipping_flat_rate", **column) if str(flat_rate).strip() else None
    )
    threshold = (
        check_price(free_over, "free_shipping_over", **column) if str(free_over).strip() else None
    )
    if threshold is not None and rate is None:
        raise ValidationError(
            {"free_shipping_over": [_("Set a delivery rate before a free-delivery threshold.")]}
        )
    settings = store_settings()
    settings.shipping_flat_rate = rate
    settings.free_shipping_over = threshold
    settings.local_pickup = local_pickup
    settings.save(update_fields=["shipping_flat_rate", "free_shipping_over", "local_pickup"])
    return settings


def update_offline_payments(*, cash_on_delivery: bool, pay_in_store: bool) -> StoreSettings:
    settings = store_settings()
    settings.accepts_cash_on_delivery = cash_on_delivery
    settings.accepts_pay_in_store = pay_in_store
    settings.save(update_fields=["accepts_cash_on_delivery", "accepts_pay_in_store"])
    return settings


def save_outlet(*, data: OutletInput, outlet: Outlet | None = None) -> Outlet:
    name = data.name.strip()
    duplicate = Outlet.objects.filter(name__iexact=name)
    if outlet is not None:
        duplicate = duplicate.exclude(pk=outlet.pk)
    if duplicate.exists():
        raise ValidationError({"name": [_("An outlet with this name already exists.")]})
    outlet = outlet or Outlet()
    outlet.name = name
    outlet.address = data.address.strip()
    outlet.is_active = data.is_active
    outlet.kind = data.kind
    outlet.fulfils_online = data.fulfils_online
    outlet.online_rank = data.online_rank
    outlet.full_clean()
    with transaction.atomic():
        before = _active_store_count()
        online_before = _online_outlets_exist()
        outlet.save()
        if online_before and not _online_outlets_exist():
            # Online orders need somewhere to take stock from.
            field = "fulfils_online" if outlet.is_active else "is_active"
            raise ValidationError(
                {field: [_("At least one active outlet must fulfil online orders.")]}
            )
        after = _active_store_count()
        if after != before:
            # Tiering counts active physical stores; platform jobs read the ledger only.
            now = timezone.now()
            record_event(
                merchant=connection.tenant,
                event=OutletsChanged(active_store_outlets=after),
                idempotency_key=f"{connection.schema_name}:outlets:{outlet.pk}:{now.isoformat()}",
                occurred_at=now,
            )
    return outlet


def _online_outlets_exist() -> bool:
    return Outlet.objects.filter(is_active=True, fulfils_online=True).exists()


def _active_store_count() -> int:
    return Outlet.objects.filter(is_active=True, kind=OutletKind.STORE).count()
