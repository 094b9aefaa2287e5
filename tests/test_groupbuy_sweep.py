"""The platform's group-buy sweep: the safety net behind the per-team ETA tasks.

Unless a test says otherwise the ETA tasks never run (the test transaction never commits,
so nothing is sent), exactly as if their messages had been lost. The five-minute sweep
(`sweep_groupbuy_shops`) visits the shops the index of due shops names; the daily pass
(`sweep_all_groupbuy_shops`) every shop that ever ran group-buy."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from analytics.models import DailyMerchantStats
from commerce.catalog.models import Product, Stock, Variant
from commerce.groupbuy.campaigns import create_campaign
from commerce.groupbuy.models import Campaign, SeatStatus, Team, TeamMember, TeamStatus
from commerce.groupbuy.scheduling import GROUPBUY_DEADLINE
from commerce.groupbuy.seat_payments import confirm_seat_payment
from commerce.groupbuy.sweep import (
    SweepOutcome,
    shops_with_groupbuy,
    sweep_all_groupbuy_shops,
    sweep_groupbuy_shops,
)
from commerce.orders.models import Order
from commerce.payments.models import Refund
from commerce.plugins.services import disable_plugin, enable_plugin
from deadlines.models import DueShop
from tenants.models import Merchant, MerchantStatus
from tests.factories import ShopFactory
from tests.outbox import deliver_outbox
from tests.test_groupbuy import campaign_input, seat, seed

# One shop swept, its short team failed: the leader's share-link email (its run never came
# either) and the refund email go out with it.
ONE_SHORT_TEAM_FAILED = SweepOutcome(
    shops_swept=1, shops_failed=0, teams_expired={"failed": 1}, seats_released=0, notices_sent=2
)


def past() -> datetime:
    return timezone.now() - timedelta(seconds=1)


def due_at(merchant) -> datetime | None:
    return DueShop.objects.get(kind=GROUPBUY_DEADLINE, merchant_id=merchant.pk).due_at


def short_team(merchant) -> tuple[int, int]:
    """A team of 5 with one paid and one unpaid seat; (team, paid member)."""
    with merchant:
        variant_id = Variant.objects.get().pk
        campaign = create_campaign(campaign_input(variant_id))
        leader = seat(campaign, "lead@example.test")
        confirm_seat_payment(leader.pk)
        seat(campaign, "unpaid@example.test", team=leader.team)
    connection.set_schema_to_public()
    return leader.team_id, leader.pk


def short_team_past_its_time(merchant) -> tuple[int, int]:
    """A team of 5 with one paid and one unpaid seat whose time ran out, moved back behind
    the index's back (as a team written before the index was): (team, paid member)."""
    with merchant:
        variant_id = Variant.objects.get().pk
        campaign = create_campaign(campaign_input(variant_id))
        leader = seat(campaign, "lead@example.test")
        confirm_seat_payment(leader.pk)
        seat(campaign, "unpaid@example.test", team=leader.team)
        Team.objects.filter(pk=leader.team_id).update(expires_at=past())
    connection.set_schema_to_public()
    return leader.team_id, leader.pk


@pytest.mark.django_db
def test_a_team_whose_expiry_task_never_ran_is_failed_and_refunded_once(mailoutbox):
    merchant, _variant_id = seed()
    team_id, leader_id = short_team(merchant)
    with merchant:
        after_its_time = Team.objects.get(pk=team_id).expires_at + timedelta(seconds=1)
    connection.set_schema_to_public()

    first = sweep_groupbuy_shops(now=after_its_time)
    # Nothing left to do: the shop is due never, and the next run does not visit it.
    assert due_at(merchant) is None
    second = sweep_groupbuy_shops(now=after_its_time)
    delivered = deliver_outbox()

    assert delivered == 2
    assert first == ONE_SHORT_TEAM_FAILED
    assert second == SweepOutcome()
    assert [(message.to, message.subject) for message in mailoutbox] == [
        (["lead@example.test"], "Your group-buy seat for Lychee box is paid"),
        (["lead@example.test"], "Your group-buy payment for Lychee box is refunded"),
    ]
    with merchant:
        team = Team.objects.get(pk=team_id)
        assert team.status == TeamStatus.FAILED
        leader = TeamMember.objects.get(pk=leader_id)
        assert list(Refund.objects.values_list("order_id", "amount")) == [
            (leader.order_id, Decimal("30.00"))
        ]
        assert sorted(TeamMember.objects.values_list("status", flat=True)) == [
            SeatStatus.REFUNDED,
            SeatStatus.RELEASED,
        ]
        assert set(Order.objects.values_list("status", flat=True)) == {"cancelled"}
        assert Stock.objects.get().quantity == 500
    assert DailyMerchantStats.objects.get(merchant=merchant).refunds == Decimal("30.00")


@pytest.mark.django_db
def test_a_lapsed_unpaid_seat_is_released_and_a_paid_seat_never():
    merchant, variant_id = seed()
    with merchant:
        campaign = create_campaign(campaign_input(variant_id))
        leader = seat(campaign, "lead@example.test")
        confirm_seat_payment(leader.pk)
        slow = seat(campaign, "slow@example.test", team=leader.team)
        waiting = seat(campaign, "waiting@example.test", team=leader.team)
        # Joined ten minutes after the others.
        TeamMember.objects.filter(pk=waiting.pk).update(
            reserved_until=waiting.reserved_until + timedelta(minutes=10)
        )
        assert Stock.objects.get().quantity == 497
    connection.set_schema_to_public()
    # The leader's seat is paid: its payment window, over by now, must not matter.
    after_slow_lapsed = slow.reserved_until + timedelta(seconds=1)

    first = sweep_groupbuy_shops(now=after_slow_lapsed)
    second = sweep_groupbuy_shops(now=after_slow_lapsed)

    assert (first.shops_swept, first.teams_expired, first.seats_released) == (1, {}, 1)
    assert second == SweepOutcome()
    with merchant:
        assert dict(TeamMember.objects.values_list("email", "status")) == {
            "lead@example.test": SeatStatus.PAID,
            "slow@example.test": SeatStatus.RELEASED,
            "waiting@example.test": SeatStatus.RESERVED,
        }
        assert Order.objects.get(pk=slow.order_id).status == "cancelled"
        assert Order.objects.get(pk=leader.order_id).status != "cancelled"
        assert Order.objects.get(pk=waiting.order_id).status != "cancelled"
        assert Stock.objects.get().quantity == 498
        team = Team.objects.get()
        assert (team.status, team.seats_taken, team.seats_paid) == (TeamStatus.OPEN, 2, 1)
        # The release check chain restarts at the next seat still awaiting payment, and
        # the shop is due again then.
        waiting_until = TeamMember.objects.get(pk=waiting.pk).reserved_until
        assert team.release_check_at == waiting_until
        assert not Refund.objects.exists()
    assert due_at(merchant) == waiting_until


@pytest.mark.django_db
def test_the_daily_pass_skips_a_shop_that_never_enabled_groupbuy():
    merchant, _variant_id = seed()
    never = ShopFactory(slug="never").merchant
    with never:
        # Group-buy rows without the plugin ever switched on (written directly: the service
        # refuses): if the sweep visited this shop it would close the team.
        product = Product.objects.create(title="Tea", slug="tea", is_published=True)
        variant = Variant.objects.create(product=product, sku="TEA-1", price=Decimal("9.00"))
        campaign = Campaign.objects.create(
            name="Never",
            variant=variant,
            group_price=Decimal("8.00"),
            team_size=2,
            team_window_hours=24,
            starts_at=timezone.now() - timedelta(days=2),
            ends_at=timezone.now() + timedelta(days=2),
        )
        stray = Team.objects.create(campaign=campaign, size=2, expires_at=past())
    connection.set_schema_to_public()
    team_id, _leader_id = short_team_past_its_time(merchant)

    assert shops_with_groupbuy() == [merchant]
    outcome = sweep_all_groupbuy_shops(now=timezone.now())

    assert outcome == ONE_SHORT_TEAM_FAILED
    with merchant:
        assert Team.objects.get(pk=team_id).status == TeamStatus.FAILED
    with never:
        assert Team.objects.get(pk=stray.pk).status == TeamStatus.OPEN


@pytest.mark.django_db
def test_a_shop_that_switched_groupbuy_off_still_gets_its_expired_team_closed():
    merchant, _variant_id = seed()
    team_id, leader_id = short_team_past_its_time(merchant)
    with merchant:
        disable_plugin("groupbuy", actor="test")
    connection.set_schema_to_public()

    outcome = sweep_all_groupbuy_shops(now=timezone.now())

    assert outcome == ONE_SHORT_TEAM_FAILED
    with merchant:
        assert Team.objects.get(pk=team_id).status == TeamStatus.FAILED
        order_id = TeamMember.objects.get(pk=leader_id).order_id
        assert list(Refund.objects.values_list("order_id", "amount")) == [
            (order_id, Decimal("30.00"))
        ]
        assert Stock.objects.get().quantity == 500


@pytest.mark.django_db
def test_suspended_and_closed_shops_are_swept_too_so_their_teams_still_refund(
    django_assert_num_queries,
):
    merchant, _variant_id = seed()
    team_id, leader_id = short_team_past_its_time(merchant)
    never = ShopFactory(slug="never").merchant
    connection.set_schema_to_public()
    Merchant.objects.filter(pk=merchant.pk).update(status=MerchantStatus.CLOSED)

    with django_assert_num_queries(1):
        shops = shops_with_groupbuy()
    outcome = sweep_all_groupbuy_shops(now=timezone.now())

    assert shops == [merchant]
    assert never not in shops
    assert (outcome.shops_swept, outcome.teams_expired) == (1, {"failed": 1})
    with merchant:
        assert Team.objects.get(pk=team_id).status == TeamStatus.FAILED
        order_id = TeamMember.objects.get(pk=leader_id).order_id
        assert list(Refund.objects.values_list("order_id", flat=True)) == [order_id]
    Merchant.objects.filter(pk=merchant.pk).update(status=MerchantStatus.SUSPENDED)
    assert shops_with_groupbuy() == [merchant]


@pytest.mark.django_db(transaction=True)
def test_one_shop_failing_does_not_stop_the_others(tasks_run_inline):
    # A merchant row whose schema was dropped, swept first (lower id): every query in it fails.
    gone = ShopFactory(slug="gone").merchant
    with gone:
        enable_plugin("groupbuy", actor="test")
    connection.set_schema_to_public()
    merchant, _variant_id = seed()
    # Tasks run inline here: each expiry task ran at once, before the team's time was up,
    # and did nothing (as good as lost).
    team_id, _leader_id = short_team_past_its_time(merchant)
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA "{gone.schema_name}" CASCADE')

    assert [shop.pk for shop in shops_with_groupbuy()] == [gone.pk, merchant.pk]
    outcome = sweep_all_groupbuy_shops(now=timezone.now())

    assert outcome == SweepOutcome(
        shops_swept=1,
        shops_failed=1,
        teams_expired={"failed": 1},
        seats_released=0,
        failed_shops=("gone",),
    )
    with merchant:
        assert Team.objects.get(pk=team_id).status == TeamStatus.FAILED
        assert Refund.objects.count() == 1
        assert Stock.objects.get().quantity == 500


@pytest.mark.django_db
def test_the_beat_tasks_return_the_outcome_as_a_plain_dict():
    from commerce.groupbuy.tasks import sweep_all_groupbuy_shops_task, sweep_groupbuy_shops_task

    merchant, _variant_id = seed()
    short_team_past_its_time(merchant)

    assert sweep_groupbuy_shops_task() == {
        "shops_swept": 0,
        "shops_failed": 0,
        "teams_expired": {},
        "seats_released": 0,
        "notices_sent": 0,
        "failed_shops": (),
    }
    assert sweep_all_groupbuy_shops_task() == {
        "shops_swept": 1,
        "shops_failed": 0,
        "teams_expired": {"failed": 1},
        "seats_released": 0,
        "notices_sent": 2,
        "failed_shops": (),
    }


@pytest.mark.django_db
def test_a_shop_with_nothing_due_is_not_visited():
    merchant, _variant_id = seed()
    team_id, _leader_id = short_team(merchant)
    with merchant:
        team = Team.objects.get(pk=team_id)
        first_window = TeamMember.objects.get(is_leader=True).reserved_until
    connection.set_schema_to_public()
    # Noted when the team opened: its leader's payment window, the shop's first deadline.
    assert due_at(merchant) == first_window

    outcome = sweep_groupbuy_shops(now=first_window - timedelta(seconds=1))

    assert outcome == SweepOutcome()
    # Not visited: the leader's share-link email, whose run never came, is still unsent.
    assert deliver_outbox() == 0
    assert due_at(merchant) == first_window
    with merchant:
        assert Team.objects.get(pk=team_id).status == TeamStatus.OPEN
        assert team.expires_at > first_window


@pytest.mark.django_db
def test_after_the_sweep_the_shop_is_due_at_its_next_teams_deadline():
    merchant, variant_id = seed()
    with merchant:
        quick = create_campaign(campaign_input(variant_id, name="Quick", team_window_hours=1))
        slow = create_campaign(campaign_input(variant_id, name="Slow", team_window_hours=5))
        quick_leader = seat(quick, "quick@example.test")
        slow_leader = seat(slow, "slow@example.test")
        confirm_seat_payment(quick_leader.pk)
        confirm_seat_payment(slow_leader.pk)
        quick_team, slow_team = quick_leader.team, slow_leader.team
    connection.set_schema_to_public()

    # The seats' windows: the notices are sent and nothing else is due before the quick
    # team's expiry.
    windows = sweep_groupbuy_shops(now=quick_leader.reserved_until + timedelta(seconds=1))
    assert (windows.shops_swept, windows.teams_expired, windows.notices_sent) == (1, {}, 2)
    assert due_at(merchant) == quick_team.expires_at

    expiry = sweep_groupbuy_shops(now=quick_team.expires_at + timedelta(seconds=1))

    assert (expiry.shops_swept, expiry.teams_expired) == (1, {"failed": 1})
    assert due_at(merchant) == slow_team.expires_at
    with merchant:
        assert dict(Team.objects.values_list("pk", "status")) == {
            quick_team.pk: TeamStatus.FAILED,
            slow_team.pk: TeamStatus.OPEN,
        }


@pytest.mark.django_db
def test_the_daily_pass_recovers_a_team_the_index_never_saw_and_indexes_the_shop():
    merchant, variant_id = seed()
    team_id, _leader_id = short_team_past_its_time(merchant)
    with merchant:
        later = create_campaign(campaign_input(variant_id, name="Later"))
        later_leader = seat(later, "later@example.test")
        confirm_seat_payment(later_leader.pk)
        later_team = later_leader.team
    connection.set_schema_to_public()
    DueShop.objects.filter(merchant_id=merchant.pk).delete()  # written before the index

    assert sweep_groupbuy_shops(now=timezone.now()) == SweepOutcome()
    outcome = sweep_all_groupbuy_shops(now=timezone.now())

    assert (outcome.shops_swept, outcome.teams_expired) == (1, {"failed": 1})
    with merchant:
        assert Team.objects.get(pk=team_id).status == TeamStatus.FAILED
    assert due_at(merchant) == later_team.expires_at
