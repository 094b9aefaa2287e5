"""A seat's order cancelled or refunded in full by hand after its team succeeded: the team
stays as it was (it did fill; the other members' orders ship), the stock comes back with
the cancellation as for any order, and the seat's units go back to the campaign's quota,
exactly once, whichever comes first, twice or at the same time. A partial refund keeps
them."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.test import Client

from commerce.catalog.models import Stock
from commerce.groupbuy import hooks as groupbuy_hooks
from commerce.groupbuy.campaigns import create_campaign
from commerce.groupbuy.models import Campaign, SeatStatus, Team, TeamMember, TeamStatus
from commerce.groupbuy.seat_payments import confirm_seat_payment, take_offline_seat
from commerce.groupbuy.selectors import team_detail, units_taken
from commerce.groupbuy.teams import (
    give_up_seat_of_cancelled_order,
    give_up_seat_of_refunded_order,
)
from commerce.orders.models import Order, OrderEvent
from commerce.orders.services import cancel_order, fulfil_order
from commerce.payments.services import refund_order
from tests.conftest import on_host
from tests.test_groupbuy import campaign_input, seat, seed
from tests.test_groupbuy_offline import launch, offline_shop

UNITS_EVENTS = ("refunded", "cancelled", "units_given_back", "seat_given_back")


def by_hand(order_id: int, amount: str, key: str = "by-hand"):
    return refund_order(
        order_id, amount=amount, reason="shopper asked", actor="owner@pin.test", idempotency_key=key
    )


def cancel_by_hand(order_id: int) -> Order:
    return cancel_order(order_id, reason="shopper asked", actor="owner@pin.test")


def units_sold() -> int:
    return Campaign.objects.get().units_sold


def stock() -> int:
    return Stock.objects.get().quantity


def timeline(order_id: int) -> list[str]:
    return list(
        OrderEvent.objects.filter(order_id=order_id, kind__in=UNITS_EVENTS)
        .order_by("id")
        .values_list("kind", flat=True)
    )


def paid_succeeded_trio(quota: int | None = 10):
    """Shop "pin": a team of three, paid (leader 30.00, two friends 35.00), succeeded."""
    merchant, variant_id = seed()
    with merchant:
        campaign = create_campaign(campaign_input(variant_id, team_size=3, quota=quota))
        leader = seat(campaign, "lead@example.test")
        friend = seat(campaign, "friend@example.test", team=leader.team)
        third = seat(campaign, "third@example.test", team=leader.team)
        for member in (leader, friend, third):
            confirm_seat_payment(member.pk)
        assert Team.objects.get().status == TeamStatus.SUCCEEDED
    connection.set_schema_to_public()
    return merchant, campaign, leader, friend, third


def assert_team_as_it_succeeded(leader) -> None:
    team = Team.objects.get(pk=leader.team_id)
    assert (team.status, team.seats_taken, team.seats_paid) == (TeamStatus.SUCCEEDED, 3, 3)
    assert TeamMember.objects.get(pk=leader.pk).is_leader


@pytest.mark.django_db
def test_a_held_order_cancelled_after_success_gives_its_units_back_once_for_sale_again(
    owner_client,
):
    """Cash on delivery: the member who took two units changes their mind after the team
    filled; staff cancel the order. Its two units are for sale again at the group price."""
    merchant, variant_id = offline_shop()
    with merchant:
        campaign = launch(variant_id, quota=5, max_quantity_per_order=2)
        leader = take_offline_seat(
            campaign_id=campaign.pk,
            email="lead@example.test",
            payment_method="cash_on_delivery",
            quantity=2,
        )
        for email in ("b@example.test", "c@example.test"):
            take_offline_seat(
                campaign_id=campaign.pk,
                email=email,
                team_id=leader.team_id,
                payment_method="cash_on_delivery",
            )
        assert_team_as_it_succeeded(leader)
        assert (units_sold(), stock()) == (4, 96)
        # One unit left: two are refused.
        with pytest.raises(ValidationError) as short:
            take_offline_seat(
                campaign_id=campaign.pk,
                email="new@example.test",
                payment_method="cash_on_delivery",
                quantity=2,
            )
        assert short.value.message_dict == {"quantity": ["Only 1 units of this campaign are left."]}

        cancel_by_hand(leader.order_id)

        assert (units_sold(), stock()) == (2, 98)
        assert units_taken(Campaign.objects.get()) == 2  # the console counts the same
        assert TeamMember.objects.get(pk=leader.pk).status == SeatStatus.RELEASED
        assert_team_as_it_succeeded(leader)
        assert timeline(leader.order_id) == ["units_given_back", "cancelled"]
        assert OrderEvent.objects.get(kind="units_given_back").message == (
            "Units given back to the group-buy campaign: the order was cancelled"
        )
        # Again: refused as any cancelled order is, and nothing comes back twice.
        with pytest.raises(ValidationError):
            cancel_by_hand(leader.order_id)
        assert give_up_seat_of_cancelled_order(leader.order_id) is False
        assert (units_sold(), stock()) == (2, 98)
        assert timeline(leader.order_id) == ["units_given_back", "cancelled"]

        # The two units sell again.
        again = take_offline_seat(
            campaign_id=campaign.pk,
            email="new@example.test",
            payment_method="cash_on_delivery",
            quantity=2,
        )
        assert units_sold() == 4
        entries = [(entry.who, str(entry.what)) for entry in team_detail(leader.team_id).timeline]
        assert entries[-3:] == [
            ("", "Team succeeded: its orders ship"),
            ("lead@example.test", "Units given back to the campaign"),
            ("lead@example.test", "Seat given back (order cancelled)"),
        ]
    connection.set_schema_to_public()
    page = owner_client(merchant).get(f"/manage/marketing/groupbuy/{campaign.pk}/")
    assert '<span id="campaign-units">4 of 5 units taken</span>' in page.content.decode()
    product = on_host(Client(), "cod.localhost").get("/p/lychee/").content.decode()
    assert "1 unit left at this price" in product
    assert again.status == SeatStatus.COMMITTED


@pytest.mark.django_db
def test_a_full_refund_after_success_gives_the_units_back_once_and_leaves_the_order_to_staff(
    django_capture_on_commit_callbacks,
):
    merchant, _campaign, leader, friend, _third = paid_succeeded_trio()
    with merchant:
        assert (units_sold(), stock()) == (3, 497)
        with django_capture_on_commit_callbacks(execute=True):
            by_hand(friend.order_id, "35.00")

        assert (units_sold(), stock()) == (2, 497)
        assert TeamMember.objects.get(pk=friend.pk).status == SeatStatus.REFUNDED
        assert_team_as_it_succeeded(leader)
        order = Order.objects.get(pk=friend.order_id)
        # Refunded, not cancelled: shipped anyway, or cancelled by staff for its stock.
        assert (order.status, order.payment_status) == ("unfulfilled", "refunded")
        assert timeline(friend.order_id) == ["refunded", "units_given_back"]
        assert give_up_seat_of_refunded_order(friend.order_id) is False

        # Staff then cancel it: the stock comes back, the units do not come back twice.
        with django_capture_on_commit_callbacks(execute=True):
            cancel_by_hand(friend.order_id)

        assert (units_sold(), stock()) == (2, 498)
        assert timeline(friend.order_id) == ["refunded", "units_given_back", "cancelled"]
        # The other members' orders are untouched and ship.
        assert sorted(Order.objects.values_list("status", "payment_status")) == [
            ("cancelled", "refunded"),
            ("unfulfilled", "paid"),
            ("unfulfilled", "paid"),
        ]


@pytest.mark.django_db
def test_a_shipped_order_refunded_in_full_after_success_gives_its_units_back(
    django_capture_on_commit_callbacks,
):
    merchant, _campaign, leader, _friend, third = paid_succeeded_trio()
    with merchant:
        fulfil_order(third.order_id, carrier="SF", tracking_number="SF1", actor="owner")
        with django_capture_on_commit_callbacks(execute=True):
            by_hand(third.order_id, "35.00")

        assert (units_sold(), stock()) == (2, 497)  # the goods are gone; the units are back
        assert Order.objects.get(pk=third.order_id).status == "fulfilled"
        assert TeamMember.objects.get(pk=third.pk).status == SeatStatus.REFUNDED
        assert_team_as_it_succeeded(leader)


@pytest.mark.django_db
def test_a_partial_refund_after_success_keeps_the_units_until_the_rest_is_refunded(
    django_capture_on_commit_callbacks,
):
    merchant, _campaign, leader, friend, _third = paid_succeeded_trio()
    with merchant:
        with django_capture_on_commit_callbacks(execute=True):
            by_hand(friend.order_id, "5.00", key="part")

        assert units_sold() == 3
        assert TeamMember.objects.get(pk=friend.pk).status == SeatStatus.PAID
        assert timeline(friend.order_id) == ["refunded"]

        with django_capture_on_commit_callbacks(execute=True):
            by_hand(friend.order_id, "30.00", key="rest")
        with django_capture_on_commit_callbacks(execute=True):
            by_hand(friend.order_id, "30.00", key="rest")  # the same refund again: nothing

        assert units_sold() == 2
        assert TeamMember.objects.get(pk=friend.pk).status == SeatStatus.REFUNDED
        assert timeline(friend.order_id) == ["refunded", "refunded", "units_given_back"]
        assert_team_as_it_succeeded(leader)


@pytest.mark.django_db
def test_without_a_quota_the_campaign_row_is_left_alone_and_the_console_counts_the_seats(
    django_capture_on_commit_callbacks,
):
    merchant, campaign, leader, friend, _third = paid_succeeded_trio(quota=None)
    with merchant:
        assert units_taken(campaign) == 3
        with django_capture_on_commit_callbacks(execute=True):
            by_hand(friend.order_id, "35.00")

        assert units_sold() == 0
        assert units_taken(campaign) == 2
        assert_team_as_it_succeeded(leader)


@pytest.mark.django_db(transaction=True)
def test_a_cancellation_and_a_refunds_step_at_once_give_the_units_back_once(monkeypatch):
    """Four succeeded teams of two; in each, a member's order refunded in full by hand.
    The refund's after-commit step (which gives the units back) runs while two staff
    cancel the same order: each order's units come back once, its stock once, and no
    path deadlocks (team, seat, order, stock, campaign on each)."""
    merchant, variant_id = seed(units=100)
    with merchant:
        campaign = create_campaign(campaign_input(variant_id, team_size=2, quota=20))
        refunded = []
        for index in range(4):
            leader = seat(campaign, f"lead{index}@example.test")
            friend = seat(campaign, f"friend{index}@example.test", team=leader.team)
            confirm_seat_payment(leader.pk)
            assert confirm_seat_payment(friend.pk) == "team_succeeded"
            # The refund commits; its after-commit step is held back, to race below.
            with monkeypatch.context() as held_back:
                held_back.setattr(
                    groupbuy_hooks, "give_up_seat_after_refund_commits", lambda order: None
                )
                by_hand(friend.order_id, "35.00", key=f"by-hand-{index}")
            refunded.append(friend.order_id)
        assert (units_sold(), stock()) == (8, 92)
    connection.set_schema_to_public()
    outcomes: list[str] = []
    failures: list[BaseException] = []

    def run(step, order_id: int, barrier: threading.Barrier) -> None:
        connection.set_tenant(merchant)
        try:
            barrier.wait(timeout=30)
            outcomes.append(step(order_id))
        except ValidationError as refused:
            outcomes.append(f"refused: {refused.messages[0]}")
        except BaseException as error:  # a deadlock or anything else fails the test
            failures.append(error)
        finally:
            connections.close_all()

    def give_back(order_id: int) -> str:
        return f"given back: {give_up_seat_of_refunded_order(order_id)}"

    def cancel(order_id: int) -> str:
        cancel_by_hand(order_id)
        return "cancelled"

    for order_id in refunded:
        barrier = threading.Barrier(3)
        threads = [
            threading.Thread(target=run, args=(step, order_id, barrier))
            for step in (give_back, cancel, cancel)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not any(thread.is_alive() for thread in threads)

    assert failures == []
    assert outcomes.count("cancelled") == 4
    assert outcomes.count("refused: Only unfulfilled orders can be cancelled.") == 4
    with merchant:
        assert (units_sold(), stock()) == (4, 96)
        for order_id in refunded:
            assert timeline(order_id).count("units_given_back") == 1
            assert timeline(order_id).count("cancelled") == 1
            assert Order.objects.get(pk=order_id).status == "cancelled"
        assert TeamMember.objects.filter(status=SeatStatus.REFUNDED).count() == 4
        assert set(Team.objects.values_list("status", "seats_paid")) == {("succeeded", 2)}
