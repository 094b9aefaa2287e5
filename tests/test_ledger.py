from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import connection, transaction

from analytics.events import EventKind, OrderPaid, OrderRefunded, StoreSetupCompleted
from analytics.ledger import StatsDelta, record_event
from analytics.models import DailyMerchantStats, MerchantEvent
from analytics.selectors import daily_stats

pytestmark = pytest.mark.django_db

EVENING_UTC = datetime(2026, 3, 1, 17, 30, tzinfo=UTC)  # 01:30 on 2 March in Shanghai


def sale(key: str, amount: str, **extra) -> dict:
    return {
        "event": OrderPaid(order=int(key.rsplit(":", 1)[1]), channel="web", total=Decimal(amount)),
        "idempotency_key": key,
        "occurred_at": EVENING_UTC,
        "delta": StatsDelta(gmv=Decimal(amount), orders=1, **extra),
    }


def test_an_event_lands_on_the_merchants_local_day_from_tenant_code(shop):
    with shop.merchant:
        assert connection.schema_name == shop.merchant.schema_name
        assert record_event(merchant=shop.merchant, **sale("order:1", "120.50"))

    event = MerchantEvent.objects.get()
    assert (event.kind, event.local_date, event.payload) == (
        "order_paid",
        date(2026, 3, 2),
        {"order": 1, "channel": "web", "total": "120.50"},
    )
    assert OrderPaid.from_payload(event.payload) == OrderPaid(
        order=1, channel="web", total=Decimal("120.50")
    )
    day = DailyMerchantStats.objects.get()
    assert (day.date, day.gmv, day.orders) == (date(2026, 3, 2), Decimal("120.50"), 1)


def test_the_same_key_twice_changes_nothing(shop):
    assert record_event(merchant=shop.merchant, **sale("order:1", "120.50"))
    assert not record_event(merchant=shop.merchant, **sale("order:1", "120.50"))

    assert MerchantEvent.objects.count() == 1
    assert DailyMerchantStats.objects.get().gmv == Decimal("120.50")


def test_events_of_a_day_add_up_and_refunds_reduce_net_gmv(shop):
    record_event(merchant=shop.merchant, **sale("order:1", "100.00", in_store_orders=1))
    record_event(merchant=shop.merchant, **sale("order:2", "50.25", new_customers=1))
    record_event(
        merchant=shop.merchant,
        event=OrderRefunded(order=1, amount=Decimal("30.00"), paid_on=date(2026, 3, 2)),
        idempotency_key="refund:1",
        occurred_at=EVENING_UTC,
        delta=StatsDelta(refunds=Decimal("30.00"), refund_count=1),
    )

    day = daily_stats(merchant=shop.merchant, start=date(2026, 3, 1), end=date(2026, 3, 31)).get()
    assert (day.gmv, day.refunds, day.net_gmv) == (
        Decimal("150.25"),
        Decimal("30.00"),
        Decimal("120.25"),
    )
    assert (day.orders, day.in_store_orders, day.new_customers, day.refund_count) == (2, 1, 1, 1)


def test_an_event_without_figures_records_no_day(shop):
    record_event(merchant=shop.merchant, event=StoreSetupCompleted(), idempotency_key="setup")

    assert MerchantEvent.objects.filter(kind=EventKind.STORE_SETUP_COMPLETED).count() == 1
    assert not DailyMerchantStats.objects.exists()


def test_a_rolled_back_caller_takes_the_ledger_write_with_it(shop, other_shop):
    with pytest.raises(RuntimeError), transaction.atomic():
        record_event(merchant=shop.merchant, **sale("order:1", "10.00"))
        raise RuntimeError("the order change failed")

    assert not MerchantEvent.objects.exists()
    assert not DailyMerchantStats.objects.exists()
    assert record_event(merchant=shop.merchant, **sale("order:1", "10.00"))


def test_days_are_kept_per_merchant(shop, other_shop):
    record_event(merchant=shop.merchant, **sale("alpha:1", "10.00"))
    record_event(merchant=other_shop.merchant, **sale("bravo:1", "99.00"))

    assert sorted(DailyMerchantStats.objects.values_list("merchant__slug", "gmv")) == [
        ("alpha", Decimal("10.0000")),
        ("bravo", Decimal("99.0000")),
    ]
