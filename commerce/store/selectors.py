from django.db import connection
from django.db.models import QuerySet

from commerce.store.models import Outlet, StoreSettings


def store_settings() -> StoreSettings:
    """The current shop's settings; the first read fills them from the merchant record."""
    settings, _created = StoreSettings.objects.get_or_create(
        pk=1, defaults={"display_name": connection.tenant.name}
    )
    return settings


def outlets(*, active_only: bool = False) -> QuerySet[Outlet]:
    found = Outlet.objects.all()
    return found.filter(is_active=True) if active_only else found
