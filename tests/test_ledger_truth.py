"""Ledger truth: the ledger rebuilt from a shop's own orders and refunds, drift found and
repaired (commerce.orders.ledger_truth, `rebuild_ledger`, the weekly sampled check).

History is made through the real services at fixed instants (Asia/Shanghai, UTC+8); only
the drift itself is written by hand."""

import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import F

from analytics.ledger import StatsDelta
from analytics.models import DailyMerchantStats, MerchantEvent
from commerce.catalog.models import Stock, Variant
from commerce.checkout.services import CheckoutRequest, place_order
from commerce.groupbuy.campaigns import CampaignInput, create_campaign
from commerce.groupbuy.models import TeamMember
from commerce.groupbuy.seat_payments import confirm_seat_payment
from commerce.groupbuy.seats import take_seat
from commerce.groupbuy.teams import expire_team
from commerce.orders.ledger_truth import DayDrift, find_drift, rebuild_days, repair
from commerce.orders.models import Order
from commerce.orders.services import LineRequest, cancel_order, pos_sale, record_offline_payment
from commerce.orders.tasks import check_ledger_sample
from commerce.payments.models import Refund
from commerce.payments.services import refund_order
from commerce.plugins.services import enable_plugin
from commerce.store.models import Outlet

pytestmark = pytest.mark.django_db

JAN_30 = "2026-01-30 03:00:00+00:00"  # 11:00 on 30 January in Shanghai
FEB_1_LOCAL = "2026-01-31 17:30:00+00:00"  # 01:30 on 1 February in Shanghai (UTC: January)
FEB_3 = "2026-02-03 04:00:00+00:00"
WHOLE_RANGE = (date(2026, 1, 1), date(2026, 3, 31))


def checkout(*, sku: str, quantity: int, email: str) -> Order:
    variant = Variant.objects.get(sku=sku)
    return place_order(
        CheckoutRequest(
            reference=str(uuid.uuid4()),
            lines=[LineRequest(variant.pk, quantity)],
            email=email,
            contact_name="Shopper",
            payment_method="pay_in_store",
            shipping_method="pickup",
        )
    )


def refund(order: Order, amount: str) -> Refund:
    return refund_order(
        order.pk,
        amount=amount,
        reason="Returned",
        actor="owner@alpha.test",
        idempotency_key=str(uuid.uuid4()),
    )


@pytest.fixture
def history(selling_shop):
    """Alpha's January and February, every kind of ledger event through the services:

    30 Jan: online 60.00 (new customer), in store 30.00 (new) and 120.00 (no customer),
            a group-buy team of 3 filled virtually (2 paid seats: 90.00 new + 100.00
            returning), one unpaid order cancelled.
    1 Feb (local; still 31 Jan in UTC): online 120.00, returning customer.
    3 Feb: 20.00 refunded of the 30 Jan order (earlier month), the 1 Feb order refunded in
            full (same local month, though not the same UTC month).
    """
    merchant = selling_shop.merchant
    with merchant:
        bund = Outlet.objects.create(name="Bund", address="1 Bund")
        for sku in ("OOL-100", "PUER-357"):
            Stock.objects.create(variant=Variant.objects.get(sku=sku), outlet=bund, quantity=5)
        Stock.objects.filter(outlet__name="Online warehouse").update(quantity=20)
        with time_machine.travel(JAN_30, tick=False):
            online = checkout(sku="OOL-100", quantity=2, email="mei@example.test")
            record_offline_payment(online.pk, actor="owner@alpha.test")
            pos_sale(
                outlet_id=bund.pk,
                lines=[LineRequest(Variant.objects.get(sku="OOL-100").pk, 1)],
                payment_method="cash",
                actor="owner@alpha.test",
                email="li@example.test",
            )
            pos_sale(
                outlet_id=bund.pk,
                lines=[LineRequest(Variant.objects.get(sku="PUER-357").pk, 1)],
                payment_method="card_offline",
                actor="owner@alpha.test",
            )
            enable_plugin("groupbuy", actor="test")
            campaign = create_campaign(
                CampaignInput(
                    name="Pu'er team",
                    variant_id=Variant.objects.get(sku="PUER-357").pk,
                    group_price=Decimal("100.00"),
                    leader_price=Decimal("90.00"),
                    team_size=3,
                    team_window_hours=24,
                    starts_at=datetime.fromisoformat(JAN_30) - timedelta(hours=1),
                    ends_at=datetime.fromisoformat(JAN_30) + timedelta(days=3),
                    virtual_fill_max_missing=1,
                )
            )
            leader = take_seat(
                campaign_id=campaign.pk, email="lead@example.test", payment_method="pay_in_store"
            )
            friend = take_seat(
                campaign_id=campaign.pk,
                email="mei@example.test",
                team_id=leader.team_id,
                payment_method="pay_in_store",
            )
            confirm_seat_payment(leader.pk)
            confirm_seat_payment(friend.pk)
            filled = expire_team(
                leader.team_id, now=datetime.fromisoformat(JAN_30) + timedelta(days=2)
            )
            unpaid = checkout(sku="OOL-100", quantity=1, email="zhao@example.test")
            cancel_order(unpaid.pk, reason="Changed their mind", actor="owner@alpha.test")
        with time_machine.travel(FEB_1_LOCAL, tick=False):
            late = checkout(sku="PUER-357", quantity=1, email="mei@example.test")
            record_offline_payment(late.pk, actor="owner@alpha.test")
        with time_machine.travel(FEB_3, tick=False):
            refund(online, "20.00")
            refund(late, "120.00")
        assert filled == "virtually_filled"
        assert TeamMember.objects.filter(is_virtual=True).count() == 1
    connection.set_schema_to_public()
    return selling_shop


def test_a_shops_history_rebuilds_to_exactly_its_ledger(history):
    merchant = history.merchant

    with merchant:
        rebuilt = rebuild_days(merchant, *WHOLE_RANGE)

    assert rebuilt == {
        date(2026, 1, 30): StatsDelta(
            gmv=Decimal("400.00"),
            orders=5,
            cancelled_orders=1,
            online_orders=3,
            online_gmv=Decimal("250.00"),
            in_store_orders=2,
            in_store_gmv=Decimal("150.00"),
            groupbuy_orders=2,
            groupbuy_gmv=Decimal("190.00"),
            groupbuy_new_customers=1,
            new_customers=3,
            returning_customers=1,
        ),
        date(2026, 2, 1): StatsDelta(
            gmv=Decimal("120.00"),
            orders=1,
            online_orders=1,
            online_gmv=Decimal("120.00"),
            returning_customers=1,
        ),
        date(2026, 2, 3): StatsDelta(
            refunds=Decimal("140.00"),
            refund_count=2,
            prior_period_refunds=Decimal("20.00"),
        ),
    }
    assert find_drift(merchant, *WHOLE_RANGE) == []
    assert sorted(DailyMerchantStats.objects.values_list("date", flat=True)) == sorted(rebuilt)


def test_refunds_completed_before_completed_at_existed_use_their_timeline_event(history):
    merchant = history.merchant
    with merchant:
        assert Refund.objects.filter(completed_at__isnull=True).count() == 0
        # As recorded before the field existed; claimed the day before they completed (a
        # card refund waits for Stripe), so only the "refunded" timeline event has the day.
        Refund.objects.update(completed_at=None, created_at=F("created_at") - timedelta(days=1))

    assert find_drift(merchant, *WHOLE_RANGE) == []


def test_a_days_range_is_local_and_inclusive(history):
    with history.merchant:
        only_feb_1 = rebuild_days(history.merchant, date(2026, 2, 1), date(2026, 2, 1))

    assert list(only_feb_1) == [date(2026, 2, 1)]
    with pytest.raises(RuntimeError, match="with merchant"):
        rebuild_days(history.merchant, *WHOLE_RANGE)


def drift_the_ledger(shop) -> None:
    """Someone edited 30 January and deleted 1 February."""
    rows = DailyMerchantStats.objects.filter(merchant=shop.merchant)
    rows.filter(date=date(2026, 1, 30)).update(gmv=F("gmv") + 5, groupbuy_orders=7)
    rows.filter(date=date(2026, 2, 1)).delete()


def test_drift_names_the_day_the_column_and_both_values(history):
    drift_the_ledger(history)

    assert find_drift(history.merchant, *WHOLE_RANGE) == [
        DayDrift(date(2026, 1, 30), "gmv", Decimal("405.00"), Decimal("400.00")),
        DayDrift(date(2026, 1, 30), "groupbuy_orders", 7, 2),
        DayDrift(date(2026, 2, 1), "gmv", Decimal("0"), Decimal("120.00")),
        DayDrift(date(2026, 2, 1), "orders", 0, 1),
        DayDrift(date(2026, 2, 1), "online_orders", 0, 1),
        DayDrift(date(2026, 2, 1), "online_gmv", Decimal("0"), Decimal("120.00")),
        DayDrift(date(2026, 2, 1), "returning_customers", 0, 1),
    ]


def test_repair_restores_the_days_once_and_records_each_fix(history):
    merchant = history.merchant
    drift_the_ledger(history)
    other_events = list(MerchantEvent.objects.exclude(kind="ledger_repaired").values())

    fixed = repair(merchant, *WHOLE_RANGE)

    assert {d.date for d in fixed} == {date(2026, 1, 30), date(2026, 2, 1)}
    assert find_drift(merchant, *WHOLE_RANGE) == []
    feb_1 = DailyMerchantStats.objects.get(merchant=merchant, date=date(2026, 2, 1))
    assert (feb_1.gmv, feb_1.orders, feb_1.returning_customers) == (Decimal("120.00"), 1, 1)
    repairs = MerchantEvent.objects.filter(kind="ledger_repaired").order_by("payload__day")
    assert [event.payload for event in repairs] == [
        {
            "day": "2026-01-30",
            "columns": {
                "gmv": {"ledger": "405.0000", "rebuilt": "400.00"},
                "groupbuy_orders": {"ledger": "7", "rebuilt": "2"},
            },
        },
        {
            "day": "2026-02-01",
            "columns": {
                "gmv": {"ledger": "0", "rebuilt": "120.00"},
                "orders": {"ledger": "0", "rebuilt": "1"},
                "online_orders": {"ledger": "0", "rebuilt": "1"},
                "online_gmv": {"ledger": "0", "rebuilt": "120.00"},
                "returning_customers": {"ledger": "0", "rebuilt": "1"},
            },
        },
    ]

    assert repair(merchant, *WHOLE_RANGE) == []
    assert MerchantEvent.objects.filter(kind="ledger_repaired").count() == 2
    # The history is append-only: nothing else was changed or removed.
    assert list(MerchantEvent.objects.exclude(kind="ledger_repaired").values()) == other_events

    # The same damage again later is a new fix, recorded again.
    DailyMerchantStats.objects.filter(merchant=merchant, date=date(2026, 2, 1)).delete()
    assert len(repair(merchant, *WHOLE_RANGE)) == 5
    assert MerchantEvent.objects.filter(kind="ledger_repaired").count() == 3


def test_repair_removes_a_day_that_should_have_no_row(history):
    merchant = history.merchant
    DailyMerchantStats.objects.create(merchant=merchant, date=date(2026, 2, 20), orders=2)

    assert find_drift(merchant, *WHOLE_RANGE) == [DayDrift(date(2026, 2, 20), "orders", 2, 0)]
    repair(merchant, *WHOLE_RANGE)

    assert not DailyMerchantStats.objects.filter(merchant=merchant, date=date(2026, 2, 20)).exists()
    assert find_drift(merchant, *WHOLE_RANGE) == []


def test_the_command_lists_drift_without_changing_anything(history, capsys):
    drift_the_ledger(history)

    call_command("rebuild_ledger", "alpha", "--from", "2026-01-01", "--to", "2026-03-31")

    out = capsys.readouterr().out.splitlines()
    assert out[0] == "DRIFT alpha 2026-01-30 gmv: ledger 405.0000, rebuilt 400.00"
    assert "DRIFT alpha 2026-02-01 orders: ledger 0, rebuilt 1" in out
    assert len([line for line in out if line.startswith("DRIFT")]) == 7
    assert out[-1] == "90 days checked, 2 days drifted, 0 repaired"
    assert not DailyMerchantStats.objects.filter(date=date(2026, 2, 1)).exists()
    assert not MerchantEvent.objects.filter(kind="ledger_repaired").exists()


def test_the_command_repairs_then_finds_nothing(history, capsys):
    drift_the_ledger(history)
    schema = history.merchant.schema_name

    call_command("rebuild_ledger", schema, "--from", "2026-01-01", "--to", "2026-03-31", "--repair")
    first = capsys.readouterr().out.splitlines()
    call_command(
        "rebuild_ledger", "alpha", "--from", "2026-01-01", "--to", "2026-03-31", "--repair"
    )
    second = capsys.readouterr().out.splitlines()

    assert first[-1] == "90 days checked, 2 days drifted, 2 repaired"
    assert second == ["90 days checked, 0 days drifted, 0 repaired"]
    assert MerchantEvent.objects.filter(kind="ledger_repaired").count() == 2
    assert find_drift(history.merchant, *WHOLE_RANGE) == []


def test_the_command_checks_the_last_90_days_by_default(history, capsys):
    with time_machine.travel("2026-03-10 02:00:00+00:00", tick=False):
        call_command("rebuild_ledger", "alpha")

    assert capsys.readouterr().out.splitlines() == ["91 days checked, 0 days drifted, 0 repaired"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nobody"], "merchant: no merchant with the slug or schema 'nobody'."),
        (["alpha", "--from", "2026-13-01"], "--from: expected a date as YYYY-MM-DD"),
        (["alpha", "--to", "yesterday"], "--to: expected a date as YYYY-MM-DD"),
        (
            ["alpha", "--from", "2026-03-01", "--to", "2026-02-01"],
            "--from (2026-03-01) must not be after --to (2026-02-01).",
        ),
    ],
)
def test_the_command_refuses_unknown_merchants_and_bad_dates(selling_shop, args, message):
    with pytest.raises(CommandError) as refused:
        call_command("rebuild_ledger", *args)

    assert message in str(refused.value)
    assert refused.value.returncode == 1


def test_the_weekly_check_reports_a_drifted_shop_once_a_week(history, other_shop, settings):
    settings.LEDGER_CHECK_SAMPLE_SIZE = 10
    drift_the_ledger(history)

    with time_machine.travel("2026-02-15 04:00:00+00:00", tick=False):
        assert check_ledger_sample() == 1
        assert check_ledger_sample() == 1

    found = MerchantEvent.objects.get(kind="ledger_drift_found")
    assert found.merchant == history.merchant
    assert found.idempotency_key == f"{history.merchant.schema_name}:ledger_drift_found:2026-W07"
    assert found.payload == {
        "days": ["2026-01-30", "2026-02-01"],
        "columns": [
            "gmv",
            "groupbuy_orders",
            "online_gmv",
            "online_orders",
            "orders",
            "returning_customers",
        ],
    }
    with time_machine.travel("2026-02-22 04:00:00+00:00", tick=False):
        assert check_ledger_sample() == 1
    assert MerchantEvent.objects.filter(kind="ledger_drift_found").count() == 2
