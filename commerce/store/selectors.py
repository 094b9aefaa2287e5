from django.db import connection
from django.db.models import QuerySet

from commerce.cache import key, remember
from commerce.store.models import Outlet, StoreSettings


def store_settings() -> StoreSettings:
    """The current shop's settings (cached briefly; the first read fills them from the
    merchant record)."""

    def load() -> StoreSettings:
        settings, _created = StoreSettings.objects.get_or_create(
            pk=1, defaults={"display_name": connection.tenant.name}
        )
        return settings

    return remember(key(StoreSettings.CACHE_KEY), load)


def outlets(*, active_only: bool = False) -> QuerySet[Outlet]:
    found = Outlet.objects.all()
    return found.filter(is_active=True) if active_only else found


def online_outlet_id(settings: StoreSettings | None = None) -> int:
    """The id of the outlet online orders take stock from (no query once configured)."""
    settings = settings or store_settings()
    return settings.online_outlet_id or online_outlet().pk


def online_outlet() -> Outlet:
    """Where online orders take stock from: the configured outlet, else the first active one,
    else a warehouse made on first use."""
    settings = store_settings()
    if settings.online_outlet_id:
        return settings.online_outlet
    outlet = Outlet.objects.filter(is_active=True).order_by("pk").first()
    if outlet is None:
        outlet, _created = Outlet.objects.get_or_create(
            name="Online warehouse", defaults={"address": "—", "kind": "warehouse"}
        )
    settings.online_outlet = outlet
    settings.save(update_fields=["online_outlet"])
    return outlet
