from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from commerce.store.models import Outlet, StoreSettings
from commerce.store.selectors import store_settings


@dataclass(frozen=True)
class OutletInput:
    name: str
    address: str
    is_active: bool = True


def update_store_settings(
    *, display_name: str, tagline: str = "", contact_email: str = "", contact_phone: str = ""
) -> StoreSettings:
    settings = store_settings()
    settings.display_name = display_name.strip()
    settings.tagline = tagline.strip()
    settings.contact_email = contact_email.strip()
    settings.contact_phone = contact_phone.strip()
    settings.full_clean()
    settings.save()
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
    outlet.full_clean()
    with transaction.atomic():
        outlet.save()
    return outlet
