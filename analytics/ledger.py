"""Writing to the public ledger, from tenant or platform code alike."""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.utils import timezone

from analytics.events import LedgerEvent
from tenants.models import Merchant


@dataclass(frozen=True)
class StatsDelta:
    """What one event adds to its day's DailyMerchantStats row (negative values subtract)."""

    gmv: Decimal = Decimal("0")
    refunds: Decimal = Decimal("0")
    orders: int = 0
    refund_count: int = 0
    # Refunds of orders paid in an earlier local month (billing credits them separately).
    prior_period_refunds: Decimal = Decimal("0")
    cancelled_orders: int = 0
    online_orders: int = 0
    online_gmv: Decimal = Decimal("0")
    in_store_orders: int = 0
    in_store_gmv: Decimal = Decimal("0")
    groupbuy_orders: int = 0
    groupbuy_gmv: Decimal = Decimal("0")
    # First orders of new customers that came through a group-buy (the plugin brought them).
    groupbuy_new_customers: int = 0
    new_customers: int = 0
    returning_customers: int = 0

    def is_empty(self) -> bool:
        return not any(getattr(self, field.name) for field in fields(self))


STAT_COLUMNS = tuple(field.name for field in fields(StatsDelta))


def local_date_for(merchant: Merchant, moment: datetime) -> date:
    return moment.astimezone(ZoneInfo(merchant.timezone)).date()


def record_event(
    *,
    merchant: Merchant,
    event: LedgerEvent,
    idempotency_key: str,
    occurred_at: datetime | None = None,
    delta: StatsDelta | None = None,
) -> bool:
    """Append an event (its kind is the payload's: analytics.events) and add its delta to the
    merchant's local day, once per key.

    Runs in the caller's transaction, so the ledger moves together
    with the tenant change it describes. Tables are schema-qualified: this works whatever
    tenant schema the connection is in. Returns False when the key was already recorded;
    then nothing changes.
    """
    occurred_at = occurred_at or timezone.now()
    day = local_date_for(merchant, occurred_at)
    delta = delta or StatsDelta()
    event = [
        merchant.pk,
        event.kind.value,
        idempotency_key,
        json.dumps(event.to_payload(), cls=DjangoJSONEncoder),
        occurred_at,
        day,
    ]
    with connection.cursor() as cursor:
        if delta.is_empty():
            cursor.execute(f"{_INSERT_EVENT} SELECT EXISTS (SELECT 1 FROM event)", event)
        else:
            # One statement: the day's row moves only if the event was new.
            cursor.execute(
                f"{_INSERT_EVENT}, {_ADD_TO_DAY} SELECT EXISTS (SELECT 1 FROM event)",
                [*event, merchant.pk, day, *(getattr(delta, column) for column in STAT_COLUMNS)],
            )
        return cursor.fetchone()[0]


_INSERT_EVENT = """
    WITH event AS (
        INSERT INTO public.analytics_merchantevent
            (merchant_id, kind, idempotency_key, payload, occurred_at, local_date, recorded_at)
        VALUES (%s, %s, %s, %s::jsonb, %s, %s, now())
        ON CONFLICT (idempotency_key) DO NOTHING
        RETURNING id
    )
"""
_ADD_TO_DAY = f"""
    day AS (
        INSERT INTO public.analytics_dailymerchantstats AS s
            (merchant_id, date, {", ".join(STAT_COLUMNS)}, updated_at)
        SELECT %s, %s, {", ".join(["%s"] * len(STAT_COLUMNS))}, now()
        WHERE EXISTS (SELECT 1 FROM event)
        ON CONFLICT (merchant_id, date) DO UPDATE SET
            {", ".join(f"{column} = s.{column} + EXCLUDED.{column}" for column in STAT_COLUMNS)},
            updated_at = now()
    )
"""
