"""Group-buy (拼团) core: seats, outcome, refunds (invariant 5)."""

import random
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.utils import timezone

from analytics.models import DailyMerchantStats, MerchantEvent
from commerce.catalog.models import Product, Stock, Variant
from commerce.groupbuy.campaigns import CampaignInput, create_campaign, end_campaign_early
from commerce.groupbuy.models import GroupBuyNotice, SeatStatus, Team, TeamMember, TeamStatus
from commerce.groupbuy.notices import send_notices
from commerce.groupbuy.seat_payments import confirm_seat_payment
from commerce.groupbuy.seats import take_seat
from commerce.groupbuy.teams import SeatUnavailable, expire_team, leave_team, release_lapsed_seats
from commerce.orders.models import Order, OrderEvent
from commerce.orders.services import HELD_TAG, MAX_LINE_QUANTITY, cancel_order, fulfil_order
from commerce.payments.models import Refund
from commerce.payments.services import refund_order
from commerce.plugins.services import enable_plugin
from commerce.store.selectors import online_outlet, store_settings
from tests.factories import ShopFactory
from tests.outbox import deliver_outbox

OFFLINE = "pay_in_store"  # card seats are paid through Stripe; refunds then go there too


def seed(units: int = 500):
    """Shop "pin" with group-buy on, local pickup (seats are collected by default) and a
    lychee box with `units` in the online warehouse."""
    merchant = ShopFactory(slug="pin").merchant
    with merchant:
        enable_plugin("groupbuy", actor="test")
        settings = store_settings()
        settings.local_pickup = True
        settings.save(update_fields=["local_pickup"])
        product = Product.objects.create(title="Lychee box", slug="lychee", is_published=True)
        variant = Variant.objects.create(product=product, sku="LYC-1", price=Decimal("50.00"))
        Stock.objects.create(variant=variant, outlet=online_outlet(), quantity=units)
    connection.set_schema_to_public()
    return merchant, variant.pk


def campaign_input(variant_id: int, **overrides) -> CampaignInput:
    now = timezone.now()
    values = {
        "name": "Lychee season",
        "variant_id": variant_id,
        "group_price": Decimal("35.00"),
        "leader_price": Decimal("30.00"),
        "team_size": 5,
        "team_window_hours": 24,
        "starts_at": now - timedelta(minutes=1),
        "ends_at": now + timedelta(days=3),
    }
    values.update(overrides)
    return CampaignInput(**values)


def seat(campaign, email, team=None):
    return take_seat(
        campaign_id=campaign.pk,
        email=email,
        team_id=team.pk if team else None,
        payment_method=OFFLINE,
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"team_size": 1}, "team_size"),
        ({"team_size": 101}, "team_size"),
        ({"leader_price": Decimal("40.00")}, "leader_price"),
        ({"team_window_hours": 24 * 4}, "team_window_hours"),
        ({"group_price": "35.001"}, "group_price"),
        ({"quota": 0}, "quota"),
    ],
)
def test_bad_campaigns_are_refused_naming_the_field(overrides, field):
    merchant, variant_id = seed()
    with merchant:
        with pytest.raises(ValidationError) as refused:
            create_campaign(campaign_input(variant_id, **overrides))
        assert field in refused.value.message_dict
        from commerce.groupbuy.models import Campaign

        assert not Campaign.objects.exists()


TEAMS_LIMIT = "A shopper may lead 1 to 20 open teams at once."
UNITS_LIMIT = f"A member may take 1 to {MAX_LINE_QUANTITY} units."


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "errors"),
    [
        ({"max_open_teams_per_customer": 0}, {"max_open_teams_per_customer": [TEAMS_LIMIT]}),
        ({"max_open_teams_per_customer": 21}, {"max_open_teams_per_customer": [TEAMS_LIMIT]}),
        ({"max_quantity_per_order": 0}, {"max_quantity_per_order": [UNITS_LIMIT]}),
        (
            {"max_quantity_per_order": MAX_LINE_QUANTITY + 1},
            {"max_quantity_per_order": [UNITS_LIMIT]},
        ),
    ],
)
def test_limits_out_of_range_are_refused_naming_the_field_and_write_no_campaign(overrides, errors):
    from commerce.groupbuy.models import Campaign

    merchant, variant_id = seed()
    with merchant:
        with pytest.raises(ValidationError) as refused:
            create_campaign(campaign_input(variant_id, **overrides))

        assert refused.value.message_dict == errors
        assert not Campaign.objects.exists()
    assert not MerchantEvent.objects.filter(kind="campaign_launched").exists()


@pytest.mark.django_db
def test_limits_at_their_bounds_are_stored_and_default_to_one():
    merchant, variant_id = seed()
    with merchant:
        widest = create_campaign(
            campaign_input(
                variant_id, max_open_teams_per_customer=20, max_quantity_per_order=MAX_LINE_QUANTITY
            )
        )
        default = create_campaign(campaign_input(variant_id))
        widest.refresh_from_db()
        default.refresh_from_db()

        assert (widest.max_open_teams_per_customer, widest.max_quantity_per_order) == (20, 999)
        assert (default.max_open_teams_per_customer, default.max_quantity_per_order) == (1, 1)


@pytest.mark.django_db
def test_a_campaign_allowing_two_open_teams_lets_a_shopper_lead_two_and_refuses_a_third():
    merchant, variant_id = seed()
    with merchant:
        campaign = create_campaign(campaign_input(variant_id, max_open_teams_per_customer=2))
        first = seat(campaign, "lead@example.test")
        second = seat(campaign, "LEAD@example.test")

        with pytest.raises(
            SeatUnavailable, match=r"^You already lead an open team in this campaign\.$"
        ):
            seat(campaign, "lead@example.test")

        assert first.team_id != second.team_id
        assert set(Team.objects.values_list("pk", flat=True)) == {first.team_id, second.team_id}
        assert list(
            TeamMember.objects.order_by("id").values_list("email", "is_leader", "team_id")
        ) == [
            ("lead@example.test", True, first.team_id),
            ("lead@example.test", True, second.team_id),
        ]
        assert Order.objects.count() == 2
        assert Stock.objects.get().quantity == 498


@pytest.mark.django_db
def test_a_team_that_fills_succeeds_and_its_orders_may_ship():
    merchant, variant_id = seed()
    with merchant:
        campaign = create_campaign(campaign_input(variant_id, team_size=2))
        leader = seat(campaign, "lead@example.test")
        friend = seat(campaign, "friend@example.test", team=leader.team)
        assert Order.objects.get(pk=leader.order_id).total == Decimal("30.00")
        assert Order.objects.get(pk=friend.order_id).total == Decimal("35.00")
        with pytest.raises(ValidationError):
            fulfil_order(leader.order_id, carrier="SF", tracking_number="1", actor="t")

        assert confirm_seat_payment(leader.pk) == "paid"
        assert confirm_seat_payment(friend.pk) == "team_succeeded"
        assert confirm_seat_payment(friend.pk) == "duplicate"

        team = Team.objects.get()
        assert (team.status, team.seats_paid) == (TeamStatus.SUCCEEDED, 2)
        assert all(HELD_TAG not in tags for tags in Order.objects.values_list("tags", flat=True))
        fulfil_order(leader.order_id, carrier="SF", tracking_number="1", actor="t")
    day = DailyMerchantStats.objects.get(merchant=merchant)
    assert (day.groupbuy_orders, day.groupbuy_gmv) == (2, Decimal("65.00"))


@pytest.mark.django_db
def test_full_closed_and_repeat_joins_are_refused_and_write_nothing():
    merchant, variant_id = seed()
    with merchant:
        campaign = create_campaign(campaign_input(variant_id, team_size=2))
        leader = seat(campaign, "lead@example.test")
        with pytest.raises(SeatUnavailable, match=r"You are in this team already\."):
            seat(campaign, "LEAD@example.test", team=leader.team)
        seat(campaign, "friend@example.test", team=leader.team)
        with pytest.raises(SeatUnavailable, match=r"This team is full\."):
            seat(campaign, "late@example.test", team=leader.team)
        Team.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
        with pytest.raises(SeatUnavailable, match=r"This team is closed\."):
            seat(campaign, "later@example.test", team=leader.team)
        assert Order.objects.count() == 2
        assert Stock.objects.get().quantity == 498


@pytest.mark.django_db(transaction=True)
def test_200_concurrent_joins_on_10_teams_of_5_give_exactly_50_paid_seats():
    merchant, variant_id = seed(units=500)
    with merchant:
        campaign = create_campaign(campaign_input(variant_id))
        teams = []
        for number in range(10):
            leader = seat(campaign, f"leader{number}@example.test")
            confirm_seat_payment(leader.pk)
            teams.append(leader.team)
    connection.set_schema_to_public()
    outcome = {"paid": 0, "refused": 0, "errors": []}
    lock = threading.Lock()
    barrier = threading.Barrier(16)

    def joiner(index: int) -> None:
        try:
            connection.set_tenant(merchant)
            if index < 16:
                barrier.wait(timeout=30)
            team = random.Random(index).choice(teams)
            member = seat(campaign, f"joiner{index}@example.test", team=team)
            result = confirm_seat_payment(member.pk)
            with lock:
                outcome["paid"] += result in ("paid", "team_succeeded")
        except SeatUnavailable:
            with lock:
                outcome["refused"] += 1
        except Exception as error:  # collected and asserted empty below
            with lock:
                outcome["errors"].append(repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=joiner, args=(index,)) for index in range(190)]
    for start in range(0, len(threads), 16):
        batch = threads[start : start + 16]
        for thread in batch:
            thread.start()
        for thread in batch:
            thread.join(timeout=120)

    assert outcome["errors"] == []
    with merchant:
        paid = TeamMember.objects.filter(status=SeatStatus.PAID).count()
        assert paid == 50
        assert outcome["paid"] + 10 == 50
        assert outcome["paid"] + outcome["refused"] == 190
        assert set(Team.objects.values_list("status", "seats_paid")) == {(TeamStatus.SUCCEEDED, 5)}
        assert Stock.objects.get().quantity == 450
        assert not Refund.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_short_team_fails_once_even_when_expired_twice_at_the_same_time():
    merchant, variant_id = seed()
    with merchant:
        campaign = create_campaign(campaign_input(variant_id))
        leader = seat(campaign, "lead@example.test")
        confirm_seat_payment(leader.pk)
        paid = seat(campaign, "paid@example.test", team=leader.team)
        confirm_seat_payment(paid.pk)
        seat(campaign, "unpaid@example.test", team=leader.team)
        team_id = leader.team_id
        Team.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    connection.set_schema_to_public()
    results = []

    def expire() -> None:
        connection.set_tenant(merchant)
        results.append(expire_team(team_id))
        connections.close_all()

    runners = [threading.Thread(target=expire) for _ in range(2)]
    for runner in runners:
        runner.start()
    for runner in runners:
        runner.join(timeout=60)

    assert sorted(results) == ["failed", "nothing to do"]
    with merchant:
        assert Team.objects.get().status == TeamStatus.FAILED
        assert sorted(Refund.objects.values_list("amount", flat=True)) == [
            Decimal("30.00"),
            Decimal("35.00"),
        ]
        assert sorted(TeamMember.objects.values_list("status", flat=True)) == [
            "refunded",
            "refunded",
            "released",
        ]
        assert Stock.objects.get().quantity == 500
        assert set(Order.objects.values_list("status", flat=True)) == {"cancelled"}
    assert DailyMerchantStats.objects.get(merchant=merchant).refunds == Decimal("65.00")


@pytest.mark.django_db
def test_virtual_fill_completes_a_nearly_full_team_only_when_the_campaign_allows_it():
    merchant, variant_id = seed()
    with merchant:
        campaign = create_campaign(
            campaign_input(variant_id, team_size=3, virtual_fill_max_missing=1)
        )
        leader = seat(campaign, "lead@example.test")
        confirm_seat_payment(leader.pk)
        friend = seat(campaign, "friend@example.test", team=leader.team)
        confirm_seat_payment(friend.pk)
        Team.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

        assert expire_team(leader.team_id) == "virtually_filled"

        team = Team.objects.get()
        assert (team.status, team.seats_paid) == (TeamStatus.SUCCEEDED, 3)
        assert TeamMember.objects.filter(is_virtual=True).count() == 1
        assert Order.objects.count() == 2
    day = DailyMerchantStats.objects.get(merchant=merchant)
    assert (day.groupbuy_orders, day.groupbuy_gmv) == (2, Decimal("65.00"))


@pytest.mark.django_db
def test_a_payment_that_arrives_after_the_team_failed_is_refunded():
    merchant, variant_id = seed()
    with merchant:
        campaign = create_campaign(campaign_input(variant_id, team_size=2))
        leader = seat(campaign, "lead@example.test")
        Team.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
        assert expire_team(leader.team_id) == "failed"

        assert confirm_seat_payment(leader.pk) == "refunded"
        assert confirm_seat_payment(leader.pk) == "duplicate"

        assert list(Refund.objects.values_list("amount", flat=True)) == [Decimal("30.00")]
        assert Stock.objects.get().quantity == 500
        assert TeamMember.objects.get().status == SeatStatus.REFUNDED
    day = DailyMerchantStats.objects.get(merchant=merchant)
    assert (day.gmv, day.refunds) == (Decimal("30.00"), Decimal("30.00"))


@pytest.mark.django_db
def test_a_seat_awaiting_payment_cancelled_by_hand_is_released_and_a_late_payment_refunded():
    merchant, variant_id = seed()
    with merchant:
        campaign = create_campaign(campaign_input(variant_id, team_size=3))
        leader = seat(campaign, "lead@example.test")
        friend = seat(campaign, "friend@example.test", team=leader.team)

        cancel_order(friend.order_id, reason="shopper asked", actor="owner@pin.test")

        team = Team.objects.get()
        assert (team.seats_taken, team.seats_paid) == (1, 0)
        assert TeamMember.objects.get(pk=friend.pk).status == SeatStatus.RELEASED
        assert Stock.objects.get().quantity == 499
        # The card payment was already on its way: taken on the books and given back once.
        assert confirm_seat_payment(friend.pk) == "refunded"
        assert confirm_seat_payment(friend.pk) == "duplicate"
        assert list(Refund.objects.values_list("order_id", "amount")) == [
            (friend.order_id, Decimal("35.00"))
        ]
        team.refresh_from_db()
        assert (team.status, team.seats_taken, team.seats_paid) == (TeamStatus.OPEN, 1, 0)
        assert Stock.objects.get().quantity == 499


@pytest.mark.django_db
def test_a_paid_seat_refunded_then_cancelled_by_hand_is_not_refunded_again_when_the_team_fails():
    merchant, variant_id = seed()
    with merchant:
        campaign = create_campaign(campaign_input(variant_id, team_size=3))
        leader = seat(campaign, "lead@example.test")
        friend = seat(campaign, "friend@example.test", team=leader.team)
        confirm_seat_payment(leader.pk)
        confirm_seat_payment(friend.pk)
        refund_order(
            friend.order_id, amount="35.00", reason="shopper asked", actor="owner@pin.test",
            idempotency_key="by-hand",
        )  # fmt: skip

        cancel_order(friend.order_id, reason="shopper asked", actor="owner@pin.test")

        team = Team.objects.get()
        assert (team.seats_taken, team.seats_paid) == (1, 1)
        assert TeamMember.objects.get(pk=friend.pk).status == SeatStatus.REFUNDED
        Team.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
        assert expire_team(leader.team_id) == "failed"
        assert sorted(Refund.objects.values_list("idempotency_key", "amount")) == [
            ("by-hand", Decimal("35.00")),
            (f"groupbuy:seat:{leader.pk}", Decimal("30.00")),
        ]
        assert OrderEvent.objects.filter(order_id=friend.order_id, kind="cancelled").count() == 1
        assert Stock.objects.get().quantity == 500


@pytest.mark.django_db
@pytest.mark.parametrize(("by_hand", "by_team"), [("35.00", None), ("5.00", Decimal("30.00"))])
def test_a_failed_team_refunds_only_what_staff_did_not_refund_by_hand(by_hand, by_team):
    merchant, variant_id = seed()
    with merchant:
        campaign = create_campaign(campaign_input(variant_id, team_size=3))
        leader = seat(campaign, "lead@example.test")
        friend = seat(campaign, "friend@example.test", team=leader.team)
        confirm_seat_payment(leader.pk)
        confirm_seat_payment(friend.pk)
        refund_order(
            friend.order_id, amount=by_hand, reason="goodwill", actor="owner@pin.test",
            idempotency_key="by-hand",
        )  # fmt: skip
        Team.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

        assert expire_team(leader.team_id) == "failed"
        assert expire_team(leader.team_id) == "nothing to do"

        friend_refunds = Refund.objects.filter(order_id=friend.order_id)
        assert dict(friend_refunds.values_list("idempotency_key", "amount")) == {
            "by-hand": Decimal(by_hand),
            **({f"groupbuy:seat:{friend.pk}": by_team} if by_team else {}),
        }
        order = Order.objects.get(pk=friend.order_id)
        assert (order.status, order.payment_status, order.refunded_total) == (
            "cancelled",
            "refunded",
            Decimal("35.00"),
        )
        assert TeamMember.objects.get(pk=friend.pk).status == SeatStatus.REFUNDED
        assert Stock.objects.get().quantity == 500


def campaign_form(variant_id: int, **overrides) -> dict:
    now = timezone.now()
    data = {
        "name": "Summer lychee",
        "variant": variant_id,
        "group_price": "35.00",
        "leader_price": "30.00",
        "team_size": "3",
        "team_window_hours": "24",
        "starts_at": (now - timedelta(minutes=5)).strftime("%Y-%m-%d %H:%M"),
        "ends_at": (now + timedelta(days=2)).strftime("%Y-%m-%d %H:%M"),
        "virtual_fill_max_missing": "0",
        "max_open_teams_per_customer": "1",
        "max_quantity_per_order": "1",
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_the_console_launches_campaigns_shows_live_figures_and_ends_them(owner_client):
    merchant, variant_id = seed()
    owner = owner_client(merchant)

    launched = owner.post("/manage/marketing/groupbuy/", campaign_form(variant_id))
    refused = owner.post(
        "/manage/marketing/groupbuy/", campaign_form(variant_id, team_size="101", leader_price="40")
    )

    assert launched.status_code == 302
    assert refused.status_code == 400
    assert set(refused.context["form"].errors) == {"team_size", "leader_price"}
    with merchant:
        from commerce.groupbuy.models import Campaign

        campaign = Campaign.objects.get()
        leader = seat(campaign, "lead@example.test")
        confirm_seat_payment(leader.pk)
    connection.set_schema_to_public()
    row = owner.get("/manage/marketing/groupbuy/").context["rows"][0]
    assert (row.open_teams, row.paid_seats, row.gmv, row.new_customers) == (
        1,
        1,
        Decimal("30.00"),
        1,
    )

    end_url = f"/manage/marketing/groupbuy/{campaign.pk}/end/"
    asked = owner.get(end_url)
    unconfirmed = owner.post(end_url)
    with merchant:
        assert Team.objects.get().status == TeamStatus.OPEN  # nothing ends unconfirmed

    assert asked.status_code == unconfirmed.status_code == 200
    assert asked.context["preview"].members_refunded == 1
    assert "1 paid member is refunded" in asked.content.decode()
    ended = owner.post(end_url, {"confirm": "yes"}, follow=True)

    assert "Open teams failed: 1. Paid members refunded: 1." in ended.content.decode()
    with merchant:
        assert Team.objects.get().status == TeamStatus.FAILED
        assert Refund.objects.count() == 1


@pytest.mark.django_db
def test_campaign_pages_answer_404_while_the_plugin_is_off(owner_client):
    merchant, _variant_id = seed()
    with merchant:
        from commerce.plugins.services import disable_plugin

        disable_plugin("groupbuy", actor="test")
    connection.set_schema_to_public()

    assert owner_client(merchant).get("/manage/marketing/groupbuy/").status_code == 404


@pytest.mark.django_db
def test_an_unpaid_seat_goes_back_after_its_payment_window():
    merchant, variant_id = seed()
    with merchant:
        campaign = create_campaign(campaign_input(variant_id, team_size=2))
        leader = seat(campaign, "lead@example.test")
        confirm_seat_payment(leader.pk)
        slow = seat(campaign, "slow@example.test", team=leader.team)
        with pytest.raises(SeatUnavailable, match=r"This team is full\."):
            seat(campaign, "quick@example.test", team=leader.team)
        TeamMember.objects.filter(pk=slow.pk).update(
            reserved_until=timezone.now() - timedelta(seconds=1)
        )

        quick = seat(campaign, "quick@example.test", team=leader.team)

        assert TeamMember.objects.get(pk=slow.pk).status == SeatStatus.RELEASED
        assert Order.objects.get(pk=slow.order_id).status == "cancelled"
        assert Stock.objects.get().quantity == 498
        assert confirm_seat_payment(slow.pk) == "refunded"  # the money came too late
        assert confirm_seat_payment(quick.pk) == "team_succeeded"
        assert Team.objects.get().seats_taken == 2


def leaders() -> list[str]:
    return list(
        TeamMember.objects.filter(is_leader=True).order_by("id").values_list("email", flat=True)
    )


@pytest.mark.django_db
def test_a_leaving_leader_is_refunded_once_and_the_earliest_member_leads():
    merchant, variant_id = seed()
    with merchant:
        campaign = create_campaign(campaign_input(variant_id))
        leader = seat(campaign, "lead@example.test")
        confirm_seat_payment(leader.pk)
        first = seat(campaign, "first@example.test", team=leader.team)
        second = seat(campaign, "second@example.test", team=leader.team)
        confirm_seat_payment(second.pk)

        assert leave_team(leader.pk) == "refunded"
        assert leave_team(leader.pk) == "duplicate"

        assert leaders() == ["first@example.test"]  # the earliest, paid or not
        gone = TeamMember.objects.get(pk=leader.pk)
        assert (gone.status, gone.is_leader) == (SeatStatus.REFUNDED, False)
        team = Team.objects.get()
        assert (team.status, team.seats_taken, team.seats_paid) == (TeamStatus.OPEN, 2, 1)
        assert list(Refund.objects.values_list("order_id", "amount")) == [
            (leader.order_id, Decimal("30.00"))
        ]
        assert Order.objects.get(pk=leader.order_id).status == "cancelled"
        assert Stock.objects.get().quantity == 498
        assert list(OrderEvent.objects.filter(kind="team_leader").values_list("order_id")) == [
            (first.order_id,)
        ]
        assert OrderEvent.objects.filter(kind="left_team").count() == 1
        # The new leader leaves before paying: the lead moves on, nothing is refunded.
        assert leave_team(first.pk) == "released"
        assert leaders() == ["second@example.test"]
        assert Order.objects.get(pk=first.order_id).status == "cancelled"
        assert Refund.objects.count() == 1
        assert Stock.objects.get().quantity == 499
        assert (Team.objects.get().seats_taken, Team.objects.get().seats_paid) == (1, 1)


@pytest.mark.django_db
def test_a_succeeded_team_cannot_be_left():
    merchant, variant_id = seed()
    with merchant:
        campaign = create_campaign(campaign_input(variant_id, team_size=2))
        leader = seat(campaign, "lead@example.test")
        friend = seat(campaign, "friend@example.test", team=leader.team)
        confirm_seat_payment(leader.pk)
        confirm_seat_payment(friend.pk)

        with pytest.raises(SeatUnavailable, match=r"This team has succeeded"):
            leave_team(friend.pk)

        assert set(TeamMember.objects.values_list("status", "is_leader")) == {
            (SeatStatus.PAID, True),
            (SeatStatus.PAID, False),
        }
        assert (Team.objects.get().status, Team.objects.get().seats_paid) == ("succeeded", 2)
        assert not Refund.objects.exists()
        assert not OrderEvent.objects.filter(kind__in=["left_team", "team_leader"]).exists()
        assert Stock.objects.get().quantity == 498


@pytest.mark.django_db
def test_the_last_member_leaving_closes_the_team_and_a_closed_team_cannot_be_left():
    merchant, variant_id = seed()
    with merchant:
        campaign = create_campaign(campaign_input(variant_id))
        leader = seat(campaign, "lead@example.test")
        confirm_seat_payment(leader.pk)

        assert leave_team(leader.pk) == "refunded"

        team = Team.objects.get()
        assert (team.status, team.seats_taken, team.seats_paid) == (TeamStatus.FAILED, 0, 0)
        Team.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
        assert expire_team(team.pk) == "nothing to do"
        assert Refund.objects.count() == 1
        assert Stock.objects.get().quantity == 500

        other = seat(campaign, "other@example.test")
        Team.objects.filter(pk=other.team_id).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
        with pytest.raises(SeatUnavailable, match=r"This team is closed\."):
            leave_team(other.pk)
        assert TeamMember.objects.get(pk=other.pk).status == SeatStatus.RESERVED


@pytest.mark.django_db
def test_a_leader_whose_unpaid_seat_lapses_hands_the_lead_over():
    merchant, variant_id = seed()
    with merchant:
        campaign = create_campaign(campaign_input(variant_id))
        leader = seat(campaign, "lead@example.test")
        friend = seat(campaign, "friend@example.test", team=leader.team)
        confirm_seat_payment(friend.pk)
        TeamMember.objects.filter(pk=leader.pk).update(
            reserved_until=timezone.now() - timedelta(seconds=1)
        )

        assert release_lapsed_seats(leader.team_id) == 1
        assert release_lapsed_seats(leader.team_id) == 0

        assert leaders() == ["friend@example.test"]
        assert OrderEvent.objects.filter(kind="team_leader").count() == 1
        assert Team.objects.get().seats_taken == 1


def sent(outbox) -> list[tuple[str, str]]:
    return [(message.to[0], message.subject) for message in outbox if len(message.to) == 1]


PAID = "Your group-buy seat for Lychee box is paid"
DONE = "Your group-buy team for Lychee box is complete"
BACK = "Your group-buy payment for Lychee box is refunded"


@pytest.mark.django_db
def test_three_real_members_and_a_virtual_one_get_three_success_emails_once(
    mailoutbox, django_capture_on_commit_callbacks, tasks_run_inline, settings
):
    merchant, variant_id = seed()
    with merchant, django_capture_on_commit_callbacks(execute=True):
        campaign = create_campaign(
            campaign_input(variant_id, team_size=4, virtual_fill_max_missing=1)
        )
        leader = seat(campaign, "lead@example.test")
        members = [leader] + [
            seat(campaign, f"m{number}@example.test", team=leader.team) for number in (1, 2)
        ]
        for member in members:
            assert confirm_seat_payment(member.pk) == "paid"
        assert confirm_seat_payment(leader.pk) == "duplicate"
        token = leader.team.share_token
        Team.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

        assert expire_team(leader.team_id) == "virtually_filled"
        assert expire_team(leader.team_id) == "nothing to do"

        assert TeamMember.objects.filter(is_virtual=True).count() == 1
        assert not GroupBuyNotice.objects.filter(member__is_virtual=True).exists()
        assert GroupBuyNotice.objects.count() == 6
    emails = ["lead@example.test", "m1@example.test", "m2@example.test"]
    assert len(mailoutbox) == 6
    assert sent(mailoutbox) == [(email, PAID) for email in emails] + [
        (email, DONE) for email in emails
    ]
    link = f"http://pin.{settings.SHOP_DOMAIN}/groupbuy/t/{token}/"
    assert "The team needs 3 more paid members before" in mailoutbox[0].body
    assert link in mailoutbox[0].body
    assert "needs 1 more paid members" in mailoutbox[2].body
    assert "Your order" in mailoutbox[3].body


@pytest.mark.django_db
def test_the_payment_that_fills_the_team_sends_the_success_email_only(
    mailoutbox, django_capture_on_commit_callbacks, tasks_run_inline
):
    merchant, variant_id = seed()
    with merchant, django_capture_on_commit_callbacks(execute=True):
        campaign = create_campaign(campaign_input(variant_id, team_size=2))
        leader = seat(campaign, "lead@example.test")
        friend = seat(campaign, "friend@example.test", team=leader.team)
        confirm_seat_payment(leader.pk)
        assert confirm_seat_payment(friend.pk) == "team_succeeded"
        assert confirm_seat_payment(friend.pk) == "duplicate"
    assert sent(mailoutbox) == [
        ("lead@example.test", PAID),
        ("lead@example.test", DONE),
        ("friend@example.test", DONE),
    ]


@pytest.mark.django_db
def test_a_failed_team_emails_each_refunded_member_once_and_no_unpaid_one(
    mailoutbox, django_capture_on_commit_callbacks, tasks_run_inline
):
    merchant, variant_id = seed()
    with merchant, django_capture_on_commit_callbacks(execute=True):
        campaign = create_campaign(campaign_input(variant_id))
        leader = seat(campaign, "lead@example.test")
        confirm_seat_payment(leader.pk)
        paid = seat(campaign, "paid@example.test", team=leader.team)
        confirm_seat_payment(paid.pk)
        seat(campaign, "unpaid@example.test", team=leader.team)
        Team.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

        assert expire_team(leader.team_id) == "failed"
        assert expire_team(leader.team_id) == "nothing to do"
        assert Refund.objects.count() == 2
    assert sent(mailoutbox) == [
        ("lead@example.test", PAID),
        ("paid@example.test", PAID),
        ("lead@example.test", BACK),
        ("paid@example.test", BACK),
    ]
    assert "Your payment of 30.00 CNY for order" in mailoutbox[2].body
    assert "Your payment of 35.00 CNY for order" in mailoutbox[3].body


@pytest.mark.django_db
def test_ending_a_campaign_early_emails_each_refunded_member_once(
    mailoutbox, django_capture_on_commit_callbacks, tasks_run_inline
):
    merchant, variant_id = seed()
    with merchant, django_capture_on_commit_callbacks(execute=True):
        campaign = create_campaign(campaign_input(variant_id))
        first = seat(campaign, "first@example.test")
        second = seat(campaign, "second@example.test")
        confirm_seat_payment(first.pk)
        confirm_seat_payment(second.pk)

        assert end_campaign_early(campaign.pk) == {"failed": 2}
        assert end_campaign_early(campaign.pk) == {}
    assert sent(mailoutbox)[:2] == [("first@example.test", PAID), ("second@example.test", PAID)]
    assert sorted(sent(mailoutbox)[2:]) == [
        ("first@example.test", BACK),
        ("second@example.test", BACK),
    ]


def units_sold(campaign) -> int:
    campaign.refresh_from_db()
    return campaign.units_sold


@pytest.mark.django_db
def test_a_quota_of_3_refuses_the_4th_unit_and_released_seats_give_units_back():
    merchant, variant_id = seed()
    with merchant:
        campaign = create_campaign(campaign_input(variant_id, team_size=5, quota=3))
        leader = seat(campaign, "lead@example.test")
        confirm_seat_payment(leader.pk)
        first = seat(campaign, "first@example.test", team=leader.team)
        seat(campaign, "second@example.test", team=leader.team)
        assert units_sold(campaign) == 3

        with pytest.raises(ValidationError) as refused:
            seat(campaign, "fourth@example.test", team=leader.team)
        with pytest.raises(ValidationError):
            seat(campaign, "newteam@example.test")  # a new team counts against it too

        assert refused.value.message_dict == {"quantity": ["This campaign has sold all its units."]}
        assert Order.objects.count() == 3
        assert Team.objects.count() == 1
        assert Team.objects.get().seats_taken == 3
        assert Stock.objects.get().quantity == 497
        assert units_sold(campaign) == 3

        assert leave_team(first.pk) == "released"
        assert units_sold(campaign) == 2
        fourth = seat(campaign, "fourth@example.test", team=leader.team)
        assert units_sold(campaign) == 3
        TeamMember.objects.filter(pk=fourth.pk).update(
            reserved_until=timezone.now() - timedelta(seconds=1)
        )
        assert release_lapsed_seats(leader.team_id) == 1
        assert units_sold(campaign) == 2

        Team.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
        assert expire_team(leader.team_id) == "failed"
        assert expire_team(leader.team_id) == "nothing to do"
        assert units_sold(campaign) == 0
        assert Stock.objects.get().quantity == 500


@pytest.mark.django_db
def test_a_succeeded_team_keeps_its_units_and_a_late_payment_gives_none_back_twice():
    merchant, variant_id = seed()
    with merchant:
        campaign = create_campaign(campaign_input(variant_id, team_size=2, quota=4))
        leader = seat(campaign, "lead@example.test")
        friend = seat(campaign, "friend@example.test", team=leader.team)
        confirm_seat_payment(leader.pk)
        assert confirm_seat_payment(friend.pk) == "team_succeeded"
        assert units_sold(campaign) == 2

        late = seat(campaign, "late@example.test")
        Team.objects.filter(pk=late.team_id).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
        assert expire_team(late.team_id) == "failed"
        assert units_sold(campaign) == 2
        assert confirm_seat_payment(late.pk) == "refunded"  # released already: no units twice
        assert units_sold(campaign) == 2


@pytest.mark.django_db
def test_the_console_sets_a_quota_and_shows_the_units_taken(owner_client):
    merchant, variant_id = seed()
    owner = owner_client(merchant)

    refused = owner.post("/manage/marketing/groupbuy/", campaign_form(variant_id, quota="0"))
    launched = owner.post("/manage/marketing/groupbuy/", campaign_form(variant_id, quota="10"))

    assert refused.status_code == 400
    assert set(refused.context["form"].errors) == {"quota"}
    assert launched.status_code == 302
    with merchant:
        from commerce.groupbuy.models import Campaign

        campaign = Campaign.objects.get()
        assert (campaign.quota, campaign.units_sold) == (10, 0)
        seat(campaign, "lead@example.test")
    connection.set_schema_to_public()
    listing = owner.get("/manage/marketing/groupbuy/").content.decode()
    detail = owner.get(f"/manage/marketing/groupbuy/{campaign.pk}/").content.decode()
    assert '<td class="units">1 / 10</td>' in listing
    assert '<span id="campaign-units">1 of 10 units taken</span>' in detail


@pytest.mark.django_db
def test_the_console_sets_the_open_teams_and_units_limits(owner_client):
    from commerce.groupbuy.models import Campaign

    merchant, variant_id = seed()
    owner = owner_client(merchant)
    form = owner.get("/manage/marketing/groupbuy/").context["form"]
    assert (form["max_open_teams_per_customer"].label, form["max_quantity_per_order"].label) == (
        "Open teams one shopper may lead",
        "Units per member",
    )
    assert (
        form["max_open_teams_per_customer"].initial,
        form["max_quantity_per_order"].initial,
    ) == (
        1,
        1,
    )

    refused = owner.post(
        "/manage/marketing/groupbuy/",
        campaign_form(
            variant_id,
            max_open_teams_per_customer="21",
            max_quantity_per_order=str(MAX_LINE_QUANTITY + 1),
        ),
    )
    missing = owner.post(
        "/manage/marketing/groupbuy/",
        campaign_form(variant_id, max_open_teams_per_customer="", max_quantity_per_order=""),
    )
    with merchant:
        assert not Campaign.objects.exists()
    connection.set_schema_to_public()
    launched = owner.post(
        "/manage/marketing/groupbuy/",
        campaign_form(variant_id, max_open_teams_per_customer="3", max_quantity_per_order="5"),
    )

    assert refused.status_code == missing.status_code == 400
    assert refused.context["form"].errors == {
        "max_open_teams_per_customer": [TEAMS_LIMIT],
        "max_quantity_per_order": [UNITS_LIMIT],
    }
    assert set(missing.context["form"].errors) == {
        "max_open_teams_per_customer",
        "max_quantity_per_order",
    }
    assert launched.status_code == 302
    with merchant:
        campaign = Campaign.objects.get()
        assert (campaign.max_open_teams_per_customer, campaign.max_quantity_per_order) == (3, 5)


@pytest.mark.django_db
def test_without_a_quota_seats_leave_the_campaign_row_alone_and_the_console_counts_them(
    owner_client,
):
    merchant, variant_id = seed()
    owner = owner_client(merchant)
    with merchant:
        campaign = create_campaign(campaign_input(variant_id))
        leader = seat(campaign, "lead@example.test")
        seat(campaign, "friend@example.test", team=leader.team)
        gone = seat(campaign, "gone@example.test", team=leader.team)
        assert leave_team(gone.pk) == "released"
        assert units_sold(campaign) == 0
    connection.set_schema_to_public()

    listing = owner.get("/manage/marketing/groupbuy/").content.decode()
    detail = owner.get(f"/manage/marketing/groupbuy/{campaign.pk}/").content.decode()

    assert '<td class="units">2 / no limit</td>' in listing
    assert '<span id="campaign-units">2 units taken (no quota)</span>' in detail


@pytest.mark.django_db
def test_a_delivered_seat_pays_the_shops_rate_and_needs_an_address():
    merchant, variant_id = seed()
    with merchant:
        from commerce.groupbuy.seats import SeatDetails
        from commerce.store.selectors import store_settings

        settings = store_settings()
        settings.shipping_flat_rate = Decimal("12.00")
        settings.free_shipping_over = Decimal("60.00")
        settings.save()
        campaign = create_campaign(campaign_input(variant_id))
        address = {"line1": "1 Bund", "city": "Shanghai", "postcode": "200000"}

        with pytest.raises(ValidationError) as refused:
            take_seat(
                campaign_id=campaign.pk,
                email="far@example.test",
                payment_method=OFFLINE,
                details=SeatDetails(shipping_method="flat", shipping_address={"city": "X"}),
            )
        leader = take_seat(
            campaign_id=campaign.pk,
            email="lead@example.test",
            payment_method=OFFLINE,
            details=SeatDetails(shipping_method="flat", shipping_address=address),
        )
        pair = take_seat(
            campaign_id=campaign.pk,
            email="pair@example.test",
            team_id=leader.team_id,
            quantity=1,
            payment_method=OFFLINE,
            details=SeatDetails(shipping_method="pickup"),
        )

        assert refused.value.message_dict == {"address_line1": ["Needed for delivery."]}
        assert TeamMember.objects.count() == 2
        assert (leader.order.shipping_total, leader.order.total) == (
            Decimal("12.00"),
            Decimal("42.00"),
        )
        assert leader.order.shipping_address == address
        assert (pair.order.shipping_method, pair.order.total) == ("pickup", Decimal("35.00"))
    connection.set_schema_to_public()


@pytest.mark.django_db
def test_a_team_queues_its_expiry_and_one_release_check_not_one_per_seat(
    django_capture_on_commit_callbacks,
):
    merchant, variant_id = seed()
    with merchant:
        campaign = create_campaign(campaign_input(variant_id))
        with django_capture_on_commit_callbacks() as queued:
            leader = seat(campaign, "lead@example.test")
            for number in (1, 2, 3):
                seat(campaign, f"m{number}@example.test", team=leader.team)

        assert len(queued) == 2  # the team's expiry, the release check at the first deadline
        assert Team.objects.get().release_check_at == leader.reserved_until


@pytest.mark.django_db
def test_the_release_check_releases_what_lapsed_then_waits_for_the_next_unpaid_seat():
    merchant, variant_id = seed()
    with merchant:
        campaign = create_campaign(campaign_input(variant_id))
        leader = seat(campaign, "lead@example.test")
        early = seat(campaign, "early@example.test", team=leader.team)
        late = seat(campaign, "late@example.test", team=leader.team)
        confirm_seat_payment(leader.pk)
        first_deadline = timezone.now() + timedelta(minutes=15)
        TeamMember.objects.filter(pk=early.pk).update(reserved_until=first_deadline)
        TeamMember.objects.filter(pk=late.pk).update(
            reserved_until=first_deadline + timedelta(minutes=4)
        )
        team = Team.objects.get()

        on_time = release_lapsed_seats(
            team.pk, now=first_deadline + timedelta(seconds=1), scheduled_for=first_deadline
        )
        team.refresh_from_db()
        assert on_time == 1
        assert team.release_check_at == first_deadline + timedelta(minutes=4)
        assert team.seats_taken == 2
        assert TeamMember.objects.get(pk=early.pk).status == SeatStatus.RELEASED
        assert TeamMember.objects.get(pk=late.pk).status == SeatStatus.RESERVED

        last = release_lapsed_seats(
            team.pk,
            now=first_deadline + timedelta(minutes=5),
            scheduled_for=team.release_check_at,
        )
        team.refresh_from_db()
        assert last == 1
        assert team.release_check_at is None
        assert list(TeamMember.objects.values_list("status", flat=True)) == [
            SeatStatus.PAID,
            SeatStatus.RELEASED,
            SeatStatus.RELEASED,
        ]


@pytest.mark.django_db
def test_a_release_check_run_before_its_time_releases_nothing_and_schedules_nothing(
    django_capture_on_commit_callbacks,
):
    merchant, variant_id = seed()
    with merchant:
        campaign = create_campaign(campaign_input(variant_id))
        leader = seat(campaign, "lead@example.test")
        with django_capture_on_commit_callbacks() as queued:
            released = release_lapsed_seats(leader.team_id, scheduled_for=leader.reserved_until)

        assert released == 0
        assert queued == []
        assert Team.objects.get().release_check_at is None
        assert TeamMember.objects.get().status == SeatStatus.RESERVED
        with django_capture_on_commit_callbacks() as queued:
            seat(campaign, "next@example.test", team=leader.team)
        assert len(queued) == 1  # nothing was pending: this seat schedules the check again


@pytest.mark.django_db(transaction=True)
def test_one_shopper_joining_a_team_twice_at_once_gets_one_seat():
    merchant, variant_id = seed()
    with merchant:
        campaign = create_campaign(campaign_input(variant_id))
        leader = seat(campaign, "lead@example.test")
        team = leader.team
    connection.set_schema_to_public()
    barrier = threading.Barrier(6)
    outcome: list[str] = []

    def join() -> None:
        try:
            connection.set_tenant(merchant)
            barrier.wait(timeout=30)
            seat(campaign, "Twice@Example.test", team=team)
            outcome.append("seat")
        except SeatUnavailable as refused:
            outcome.append(str(refused))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=join) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcome) == ["You are in this team already."] * 5 + ["seat"]
    with merchant:
        assert TeamMember.objects.filter(email="twice@example.test").count() == 1
        assert Team.objects.get().seats_taken == 2
        assert Order.objects.count() == 2
        assert Stock.objects.get().quantity == 498


def queued_tasks() -> list[str]:
    """Names of the tasks waiting in this test run's Celery queue (real Redis)."""
    import json

    import redis
    from django.conf import settings

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    messages = client.lrange(settings.CELERY_TASK_DEFAULT_QUEUE, 0, -1)
    return sorted(json.loads(message)["headers"]["task"] for message in messages)


@pytest.mark.django_db
def test_a_team_of_three_paid_seats_queues_one_notice_run_that_emails_each_once(
    mailoutbox, django_capture_on_commit_callbacks
):
    merchant, variant_id = seed()

    before = queued_tasks()
    with merchant, django_capture_on_commit_callbacks(execute=True):
        campaign = create_campaign(campaign_input(variant_id))
        leader = seat(campaign, "lead@example.test")
        for email in ("a@example.test", "b@example.test"):
            seat(campaign, email, team=leader.team)
        for member in TeamMember.objects.order_by("id"):
            assert confirm_seat_payment(member.pk) == "paid"
    new = list(queued_tasks())
    for name in before:
        new.remove(name)
    assert new == [
        "commerce.groupbuy.tasks.expire_team",
        "commerce.groupbuy.tasks.release_lapsed_seats",
        "commerce.groupbuy.tasks.send_notices",
    ]
    assert mailoutbox == []

    with merchant:
        assert send_notices() == 3
        assert send_notices() == 0
        assert not GroupBuyNotice.objects.filter(sent_at__isnull=True).exists()
    assert mailoutbox == []  # in the outbox, sent on its delivery
    assert (deliver_outbox(), deliver_outbox()) == (3, 0)
    assert sent(mailoutbox) == [
        ("lead@example.test", PAID),
        ("a@example.test", PAID),
        ("b@example.test", PAID),
    ]
    assert "The team needs 4 more paid members" in mailoutbox[0].body
    assert "The team needs 2 more paid members" in mailoutbox[2].body


@pytest.mark.django_db(transaction=True)
def test_two_notice_runs_at_once_send_each_email_once(mailoutbox):
    merchant, variant_id = seed()

    with merchant:
        campaign = create_campaign(campaign_input(variant_id, team_size=20))
        leader = seat(campaign, "lead@example.test")
        members = [leader] + [
            seat(campaign, f"m{number}@example.test", team=leader.team) for number in range(11)
        ]
        for member in members:
            confirm_seat_payment(member.pk)
        assert GroupBuyNotice.objects.filter(sent_at__isnull=True).count() == 12
    connection.set_schema_to_public()
    barrier = threading.Barrier(2)
    counts: list[int] = []

    def run() -> None:
        try:
            connection.set_tenant(merchant)
            barrier.wait(timeout=30)
            counts.append(send_notices(batch_size=3))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sum(counts) == 12
    assert (deliver_outbox(), deliver_outbox()) == (12, 0)
    assert len(mailoutbox) == 12
    assert len({message.to[0] for message in mailoutbox}) == 12
