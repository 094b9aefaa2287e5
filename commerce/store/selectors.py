from dataclasses import dataclass

from django.db import connection
from django.db.models import QuerySet

from commerce.cache import key, remember
from commerce.store.models import Outlet, OutletKind, StoreSettings


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


@dataclass(frozen=True)
class PickupPlace:
    pk: int
    name: str
    address: str


@dataclass(frozen=True)
class OnlineRouting:
    """Where online orders take stock from and where they may be collected."""

    # Outlets fulfilling online orders, in the order stock is taken from them.
    fulfilling: tuple[int, ...]
    # Outlets a shopper may choose for pickup, by name.
    pickup_places: tuple[PickupPlace, ...]

    @property
    def pickup(self) -> tuple[int, ...]:
        return tuple(place.pk for place in self.pickup_places)


def online_routing() -> OnlineRouting:
    """Cached briefly (the outlets' save() drops it); no query on a warm cache, so the
    checkout and the product page pay nothing for it. A shop always has a fulfilling outlet:
    when no active outlet fulfils online orders, the first active outlet (or a warehouse
    made on first use) is marked as fulfilling them."""
    return remember(key(Outlet.ONLINE_CACHE_KEY), _load_online_routing)


def _load_online_routing() -> OnlineRouting:
    active = list(Outlet.objects.filter(is_active=True).order_by("pk"))
    fulfilling = tuple(
        outlet.pk
        for outlet in sorted(active, key=lambda outlet: (outlet.online_rank, outlet.pk))
        if outlet.fulfils_online
    )
    if not fulfilling:
        outlet = active[0] if active else None
        if outlet is None:
            outlet, _created = Outlet.objects.get_or_create(
                name="Online warehouse", defaults={"address": "—", "kind": "warehouse"}
            )
            active = [outlet]
        outlet.fulfils_online = True
        outlet.save(update_fields=["fulfils_online"])
        fulfilling = (outlet.pk,)
    stores = [outlet for outlet in active if outlet.kind == OutletKind.STORE]
    places = sorted(stores or active, key=lambda outlet: (outlet.name, outlet.pk))
    return OnlineRouting(
        fulfilling=fulfilling,
        pickup_places=tuple(PickupPlace(place.pk, place.name, place.address) for place in places),
    )


def online_outlet_ids() -> tuple[int, ...]:
    """The outlets online orders take stock from, in the merchant's order (fulfilment rank,
    then id); online availability is the sum of their stock."""
    return online_routing().fulfilling


def online_outlet_id(settings: StoreSettings | None = None) -> int:
    """The first outlet online orders take stock from."""
    return online_outlet_ids()[0]


def online_outlet() -> Outlet:
    """The first outlet online orders take stock from."""
    return Outlet.objects.get(pk=online_outlet_id())


def online_outlets() -> list[Outlet]:
    """The outlets set to fulfil online orders, in the order stock is taken from them (for
    showing; unlike online_routing it never marks or makes one)."""
    return list(
        Outlet.objects.filter(is_active=True, fulfils_online=True).order_by("online_rank", "pk")
    )


def pickup_outlets() -> tuple[PickupPlace, ...]:
    """Where a shopper may collect an online order, by name: the active stores (a shop
    without any lists its active outlets). No query on a warm cache."""
    return online_routing().pickup_places
