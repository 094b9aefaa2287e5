"""The ledger's vocabulary: every kind of MerchantEvent and the payload each one carries.

Writers (commerce, billing's demo seed) build one of these dataclasses and hand it to
`analytics.ledger.record_event`; readers (billing, onboarding, reports) filter on
`EventKind` and read a payload back with `<Event>.from_payload(row.payload)`, never by
dict keys. The stored JSON keeps the shape rows already have: Decimals as strings, dates
as ISO strings, the field names as keys; unknown keys of old rows are ignored and missing
ones take the field's default.
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any, ClassVar, Self


class EventKind(StrEnum):
    ORDER_PAID = "order_paid"
    ORDER_CANCELLED = "order_cancelled"
    ORDER_REFUNDED = "order_refunded"
    FIRST_IN_STORE_ORDER = "first_in_store_order"
    STORE_SETUP_COMPLETED = "store_setup_completed"
    PLUGIN_ENABLED = "plugin_enabled"
    PLUGIN_DISABLED = "plugin_disabled"
    CAMPAIGN_LAUNCHED = "campaign_launched"
    OUTLETS_CHANGED = "outlets_changed"
    STORAGE_MEASURED = "storage_measured"
    LEDGER_REPAIRED = "ledger_repaired"
    LEDGER_DRIFT_FOUND = "ledger_drift_found"


@dataclass(frozen=True)
class LedgerEvent:
    """Base of every payload: `kind` is the class's, so a payload cannot be filed under the
    wrong kind."""

    kind: ClassVar[EventKind]

    def to_payload(self) -> dict[str, Any]:
        return {item.name: _to_json(getattr(self, item.name)) for item in dataclasses.fields(self)}

    @classmethod
    def from_payload(cls, payload: dict[str, Any] | None) -> Self:
        payload = payload or {}
        hints = typing.get_type_hints(cls)
        values = {
            item.name: _from_json(hints[item.name], payload[item.name])
            for item in dataclasses.fields(cls)
            if payload.get(item.name) is not None
        }
        return cls(**values)


def _to_json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _from_json(hint: Any, value: Any) -> Any:
    # `X | None` fields: convert to X.
    options = [option for option in typing.get_args(hint) if option is not type(None)]
    target = options[0] if typing.get_origin(hint) in (typing.Union, _UnionType) else hint
    if target is Decimal:
        return Decimal(str(value))
    if target is date:
        return date.fromisoformat(value)
    if target is int:
        return int(value)
    return value


_UnionType = type(int | None)


@dataclass(frozen=True)
class OrderPaid(LedgerEvent):
    kind: ClassVar[EventKind] = EventKind.ORDER_PAID
    total: Decimal
    channel: str
    # None for history written without an order (the billing demo seed).
    order: int | None = None


@dataclass(frozen=True)
class OrderCancelled(LedgerEvent):
    kind: ClassVar[EventKind] = EventKind.ORDER_CANCELLED
    order: int


@dataclass(frozen=True)
class OrderRefunded(LedgerEvent):
    kind: ClassVar[EventKind] = EventKind.ORDER_REFUNDED
    order: int
    amount: Decimal
    # The local day the refunded order was paid: billing credits a refund of an earlier
    # month against that month's invoice. None on rows older than the field.
    paid_on: date | None = None


@dataclass(frozen=True)
class FirstInStoreOrder(LedgerEvent):
    kind: ClassVar[EventKind] = EventKind.FIRST_IN_STORE_ORDER
    order: int
    outlet: int | None = None


@dataclass(frozen=True)
class StoreSetupCompleted(LedgerEvent):
    kind: ClassVar[EventKind] = EventKind.STORE_SETUP_COMPLETED


@dataclass(frozen=True)
class PluginEnabled(LedgerEvent):
    kind: ClassVar[EventKind] = EventKind.PLUGIN_ENABLED
    plugin: str
    monthly_price: Decimal = Decimal("0")
    currency: str = ""
    actor: str = ""


@dataclass(frozen=True)
class PluginDisabled(LedgerEvent):
    kind: ClassVar[EventKind] = EventKind.PLUGIN_DISABLED
    plugin: str
    actor: str = ""


@dataclass(frozen=True)
class CampaignLaunched(LedgerEvent):
    kind: ClassVar[EventKind] = EventKind.CAMPAIGN_LAUNCHED
    campaign: int
    plugin: str = "groupbuy"


@dataclass(frozen=True)
class OutletsChanged(LedgerEvent):
    kind: ClassVar[EventKind] = EventKind.OUTLETS_CHANGED
    active_store_outlets: int


@dataclass(frozen=True)
class StorageMeasured(LedgerEvent):
    kind: ClassVar[EventKind] = EventKind.STORAGE_MEASURED
    bytes: int


@dataclass(frozen=True)
class LedgerRepaired(LedgerEvent):
    kind: ClassVar[EventKind] = EventKind.LEDGER_REPAIRED
    day: date
    # column -> {"ledger": before, "rebuilt": after}, as strings.
    columns: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class LedgerDriftFound(LedgerEvent):
    kind: ClassVar[EventKind] = EventKind.LEDGER_DRIFT_FOUND
    days: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)


EVENT_TYPES: dict[EventKind, type[LedgerEvent]] = {
    event_type.kind: event_type for event_type in LedgerEvent.__subclasses__()
}
