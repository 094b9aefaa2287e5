"""Group-buy in a shop without a Stripe account: seats held for cash on delivery or pay in
store count towards the team at once; a full team ships, a failed one cancels each order
once and returns the stock once (invariant 5 for offline seats)."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.utils import timezone

from analytics.models import DailyMerchantStats
from commerce.catalog.models import Product, Stock, Variant
from commerce.groupbuy.campaigns import create_campaign, end_campaign_early
from commerce.groupbuy.models import (
    Campaign,
    GroupBuyNotice,
    SeatStatus,
    Team,
    TeamMember,
    TeamStatus,
)
from commerce.groupbuy.seat_payments import commit_offline_seat, take_offline_seat
from commerce.groupbuy.selectors import end_preview
from commerce.groupbuy.teams import SeatUnavailable, expire_team, leave_team
from commerce.orders.models import Order, OrderEvent
from commerce.orders.services import HELD_TAG, cancel_order, fulfil_order, record_offline_payment
from commerce.payments.models import Refund
from commerce.plugins.services import enable_plugin
from commerce.store.selectors import online_outlet, store_settings
from outbox.models import OutboxMessage
from tests.factories import ShopFactory
from tests.outbox import deliver_outbox
from tests.test_groupbuy import campaign_input

COD = "cash_on_delivery"
IN_STORE = "pay_in_store"

HELD = "Your group-buy seat for Lychee box is held"
DONE = "Your group-buy team for Lychee box is complete"
CANCELLED = "Your group-buy order for Lychee box is cancelled"


def offline_shop(units: int = 100, *, cash_on_delivery=True, pay_in_store=True):
    """A shop with no Stripe account that takes cash on delivery and pay in store, selling
    a lychee box (50.00) with group-buy switched on."""
    merchant = ShopFactory(slug="cod").merchant
    assert not merchant.stripe_charges_enabled
    with merchant:
        settings = store_settings()
        settings.accepts_cash_on_delivery = cash_on_delivery
        settings.accepts_pay_in_store = pay_in_store
        settings.local_pickup = True
        settings.save()
        enable_plugin("groupbuy", actor="test")
        product = Product.objects.create(title="Lychee box", slug="lychee", is_published=True)
        variant = Variant.objects.create(
            product=product, sku="LYC-1", name="2 kg", price=Decimal("50.00")
        )
        Stock.objects.create(variant=variant, outlet=online_outlet(), quantity=units)
    connection.set_schema_to_public()
    return merchant, variant.pk


def launch(variant_id: int, **overrides) -> Campaign:
    """A trio with a leader price (tests.test_groupbuy's campaign, in teams of three)."""
    return create_campaign(
        campaign_input(variant_id, **{"name": "Lychee trio", "team_size": 3, **overrides})
    )


def hold(campaign: Campaign, email: str, team: Team | None = None, method: str = COD):
    return take_offline_seat(
        campaign_id=campaign.pk,
        email=email,
        team_id=team.pk if team else None,
        payment_method=method,
    )


def sent(outbox) -> list[tuple[str, str]]:
    return [(message.to[0], message.subject) for message in outbox]


def stock() -> int:
    return Stock.objects.get().quantity


@pytest.mark.django_db
def test_a_team_held_on_cash_completes_on_commitment_and_ships_when_paid_on_delivery(
    mailoutbox, django_capture_on_commit_callbacks, tasks_run_inline
):
    merchant, variant_id = offline_shop()
    with merchant, django_capture_on_commit_callbacks(execute=True):
        campaign = launch(variant_id)
        leader = hold(campaign, "lead@example.test")
        second = hold(campaign, "second@example.test", team=leader.team, method=IN_STORE)

        assert (leader.status, second.status) == (SeatStatus.COMMITTED, SeatStatus.COMMITTED)
        assert leader.reserved_until is None
        team = Team.objects.get()
        assert (team.status, team.seats_taken, team.seats_paid) == (TeamStatus.OPEN, 2, 2)
        leader_order = Order.objects.get(pk=leader.order_id)
        assert HELD_TAG in leader_order.tags
        assert (leader_order.total, leader_order.payment_status) == (Decimal("30.00"), "pending")
        assert Order.objects.get(pk=second.order_id).total == Decimal("35.00")
        assert commit_offline_seat(leader.pk) == "duplicate"

        last = hold(campaign, "last@example.test", team=leader.team)

        team.refresh_from_db()
        assert (team.status, team.seats_paid) == (TeamStatus.SUCCEEDED, 3)
        assert last.status == SeatStatus.COMMITTED
        orders = Order.objects.order_by("id")
        assert [HELD_TAG in order.tags for order in orders] == [False, False, False]
        assert [order.payment_status for order in orders] == ["pending"] * 3
        assert stock() == 97
        assert not Refund.objects.exists()
        with pytest.raises(SeatUnavailable, match=r"This team is closed\."):
            hold(campaign, "late@example.test", team=leader.team)
        # The rider collects the cash, then the order is handed over.
        record_offline_payment(leader.order_id, actor="owner@cod.test")
        fulfil_order(leader.order_id, carrier="SF", tracking_number="SF1", actor="owner")
        assert GroupBuyNotice.objects.count() == 5
    assert deliver_outbox() == 0  # sent inline after each commit, once
    # The shop's own order email for the handed-over order (commerce.orders.notifications),
    # apart from the group-buy notices.
    order_emails = [message for message in mailoutbox if "#1001" in message.subject]
    notices = [message for message in mailoutbox if message not in order_emails]
    assert [(to, subject.split("：", 1)[1]) for to, subject in sent(order_emails)] == [
        ("lead@example.test", "订单 #1001 可以自提了")
    ]
    assert sent(notices) == [
        ("lead@example.test", HELD),
        ("second@example.test", HELD),
        ("lead@example.test", DONE),
        ("second@example.test", DONE),
        ("last@example.test", DONE),
    ]
    assert "Nothing to pay now: you pay 30.00 CNY (Cash on delivery)" in notices[0].body
    assert "The team needs 2 more members before" in notices[0].body
    assert "needs 1 more members" in notices[1].body
    # Written when sent: the leader has paid the rider by then, the second has not.
    assert "You pay" not in notices[2].body
    assert "You pay 35.00 CNY (Pay in store) when you receive it." in notices[3].body
    day = DailyMerchantStats.objects.get(merchant=merchant)
    assert (day.gmv, day.groupbuy_orders) == (Decimal("30.00"), 1)  # cash taken for one


@pytest.mark.django_db
def test_a_failed_cash_team_cancels_each_order_once_returns_stock_and_quota_once(
    mailoutbox, django_capture_on_commit_callbacks, tasks_run_inline
):
    merchant, variant_id = offline_shop(units=10)
    with merchant, django_capture_on_commit_callbacks(execute=True):
        campaign = launch(variant_id, quota=5)
        leader = hold(campaign, "lead@example.test")
        friend = hold(campaign, "friend@example.test", team=leader.team, method=IN_STORE)
        assert stock() == 8
        assert Campaign.objects.get().units_sold == 2
        Team.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

        assert expire_team(leader.team_id) == "failed"
        assert expire_team(leader.team_id) == "nothing to do"

        assert Team.objects.get().status == TeamStatus.FAILED
        assert set(TeamMember.objects.values_list("status", flat=True)) == {SeatStatus.RELEASED}
        assert stock() == 10
        assert Campaign.objects.get().units_sold == 0
        for member in (leader, friend):
            order = Order.objects.get(pk=member.order_id)
            assert (order.status, order.payment_status) == ("cancelled", "voided")
            assert OrderEvent.objects.filter(order=order, kind="cancelled").count() == 1
        assert not Refund.objects.exists()
        assert GroupBuyNotice.objects.filter(kind="seat_cancelled").count() == 2
    assert deliver_outbox() == 0
    assert sent(mailoutbox) == [
        ("lead@example.test", HELD),
        ("friend@example.test", HELD),
        ("lead@example.test", CANCELLED),
        ("friend@example.test", CANCELLED),
    ]
    assert "there is nothing to pay" in mailoutbox[2].body
    day = DailyMerchantStats.objects.get(merchant=merchant)
    assert (day.gmv, day.refunds, day.cancelled_orders) == (Decimal("0"), Decimal("0"), 2)


@pytest.mark.django_db
def test_an_order_staff_cancelled_early_is_not_cancelled_again_when_the_team_fails():
    merchant, variant_id = offline_shop(units=10)
    with merchant:
        campaign = launch(variant_id)
        leader = hold(campaign, "lead@example.test")
        friend = hold(campaign, "friend@example.test", team=leader.team)
        cancel_order(friend.order_id, reason="customer phoned", actor="owner")
        assert stock() == 9
        Team.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

        assert expire_team(leader.team_id) == "failed"

        assert stock() == 10
        assert OrderEvent.objects.filter(kind="cancelled").count() == 2


def seats() -> dict[str, str]:
    return dict(TeamMember.objects.values_list("email", "status"))


def cancelled_emails(member: TeamMember) -> int:
    """The shop's own "order cancelled" emails written for the member's order."""
    reference = Order.objects.get(pk=member.order_id).reference
    return OutboxMessage.objects.filter(
        dedupe_key__endswith=f":shopper-email:{reference}:cancelled"
    ).count()


@pytest.mark.django_db
def test_staff_cancelling_a_held_seats_order_frees_the_seat_once():
    merchant, variant_id = offline_shop(units=10)
    with merchant:
        campaign = launch(variant_id, quota=5)
        leader = hold(campaign, "lead@example.test")
        friend = hold(campaign, "friend@example.test", team=leader.team)
        assert (stock(), Campaign.objects.get().units_sold) == (8, 2)

        cancel_order(friend.order_id, reason="customer phoned", actor="owner@cod.test")

        team = Team.objects.get()
        assert (team.status, team.seats_taken, team.seats_paid) == (TeamStatus.OPEN, 1, 1)
        assert seats() == {
            "lead@example.test": SeatStatus.COMMITTED,
            "friend@example.test": SeatStatus.RELEASED,
        }
        assert (stock(), Campaign.objects.get().units_sold) == (9, 1)
        order = Order.objects.get(pk=friend.order_id)
        assert (order.status, order.payment_status) == ("cancelled", "voided")
        assert list(
            OrderEvent.objects.filter(order=order).order_by("id").values_list("kind", "actor")
        ) == [
            ("placed", ""),
            ("seat_held", "group-buy"),
            ("seat_given_back", "group-buy"),
            ("cancelled", "owner@cod.test"),
        ]
        # The shop's cancellation email tells the member; no group-buy notice on top.
        assert cancelled_emails(friend) == 1
        assert not GroupBuyNotice.objects.filter(kind="seat_cancelled").exists()
        # A second cancellation is refused and gives nothing back twice.
        with pytest.raises(ValidationError) as refused:
            cancel_order(friend.order_id, reason="again", actor="owner@cod.test")
        assert refused.value.message_dict == {
            "status": ["Only unfulfilled orders can be cancelled."]
        }
        team.refresh_from_db()
        assert (team.seats_taken, team.seats_paid) == (1, 1)
        assert (stock(), Campaign.objects.get().units_sold) == (9, 1)
        assert (
            OrderEvent.objects.filter(
                order=order, kind__in=["cancelled", "seat_given_back"]
            ).count()
            == 2
        )


@pytest.mark.django_db
def test_a_seat_cancelled_by_hand_is_left_alone_when_the_team_later_fails():
    merchant, variant_id = offline_shop(units=10)
    with merchant:
        campaign = launch(variant_id, quota=5)
        leader = hold(campaign, "lead@example.test")
        friend = hold(campaign, "friend@example.test", team=leader.team)
        cancel_order(friend.order_id, reason="customer phoned", actor="owner@cod.test")
        Team.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

        assert expire_team(leader.team_id) == "failed"

        assert seats() == {
            "lead@example.test": SeatStatus.RELEASED,
            "friend@example.test": SeatStatus.RELEASED,
        }
        assert (stock(), Campaign.objects.get().units_sold) == (10, 0)
        assert OrderEvent.objects.filter(order_id=friend.order_id, kind="cancelled").count() == 1
        assert OrderEvent.objects.filter(order_id=leader.order_id, kind="cancelled").count() == 1
        assert cancelled_emails(friend) == 1
        assert list(
            GroupBuyNotice.objects.filter(kind="seat_cancelled").values_list("member__email")
        ) == [("lead@example.test",)]
        assert not Refund.objects.exists()
        day = DailyMerchantStats.objects.get(merchant=merchant)
        assert day.cancelled_orders == 2


@pytest.mark.django_db
def test_a_team_fills_with_another_shopper_after_a_seat_is_cancelled_by_hand():
    merchant, variant_id = offline_shop(units=10)
    with merchant:
        campaign = launch(variant_id)  # teams of three
        leader = hold(campaign, "lead@example.test")
        friend = hold(campaign, "friend@example.test", team=leader.team)
        cancel_order(friend.order_id, reason="customer phoned", actor="owner@cod.test")

        second = hold(campaign, "second@example.test", team=leader.team)

        team = Team.objects.get()  # two seats count: the cancelled one does not fill it
        assert (team.status, team.seats_taken, team.seats_paid) == (TeamStatus.OPEN, 2, 2)

        third = hold(campaign, "third@example.test", team=leader.team)

        team.refresh_from_db()
        assert (team.status, team.seats_taken, team.seats_paid) == (TeamStatus.SUCCEEDED, 3, 3)
        assert third.status == SeatStatus.COMMITTED
        shipping = [leader.order_id, second.order_id, third.order_id]
        assert all(HELD_TAG not in order.tags for order in Order.objects.filter(pk__in=shipping))
        cancelled = Order.objects.get(pk=friend.order_id)
        assert cancelled.status == "cancelled"
        assert not OrderEvent.objects.filter(order=cancelled, kind="team_succeeded").exists()
        assert not GroupBuyNotice.objects.filter(
            member_id=friend.pk, kind="team_succeeded"
        ).exists()
        assert stock() == 7


@pytest.mark.django_db
def test_a_leader_whose_order_is_cancelled_by_hand_hands_the_lead_on_and_a_lone_one_closes_the_team():
    merchant, variant_id = offline_shop(units=10)
    with merchant:
        campaign = launch(variant_id, max_open_teams_per_customer=2)
        leader = hold(campaign, "lead@example.test")
        friend = hold(campaign, "friend@example.test", team=leader.team)
        alone = hold(campaign, "lead@example.test")  # a second team, led alone

        cancel_order(leader.order_id, reason="customer phoned", actor="owner@cod.test")
        cancel_order(alone.order_id, reason="customer phoned", actor="owner@cod.test")

        assert dict(TeamMember.objects.values_list("pk", "is_leader")) == {
            leader.pk: False,
            friend.pk: True,
            alone.pk: False,
        }
        first, second = Team.objects.order_by("id")
        assert (first.status, first.seats_taken, first.seats_paid) == (TeamStatus.OPEN, 1, 1)
        assert (second.status, second.seats_taken) == (TeamStatus.FAILED, 0)
        assert second.closed_at is not None
        assert stock() == 9


@pytest.mark.django_db
def test_a_refused_cancellation_leaves_the_seat_in_its_team():
    merchant, variant_id = offline_shop(units=10)
    with merchant:
        campaign = launch(variant_id)
        leader = hold(campaign, "lead@example.test", method=IN_STORE)
        record_offline_payment(leader.order_id, actor="owner")  # paid at the till up front

        with pytest.raises(ValidationError) as refused:
            cancel_order(leader.order_id, reason="customer phoned", actor="owner@cod.test")

        assert refused.value.message_dict == {"status": ["Refund the payment before cancelling."]}
        team = Team.objects.get()
        assert (team.status, team.seats_taken, team.seats_paid) == (TeamStatus.OPEN, 1, 1)
        assert seats() == {"lead@example.test": SeatStatus.COMMITTED}
        assert Order.objects.get().status == "unfulfilled"
        assert not OrderEvent.objects.filter(kind="seat_given_back").exists()
        assert stock() == 9


@pytest.mark.django_db
def test_the_console_cancel_frees_a_held_seat(owner_client):
    merchant, variant_id = offline_shop(units=10)
    with merchant:
        campaign = launch(variant_id)
        leader = hold(campaign, "lead@example.test")
        friend = hold(campaign, "friend@example.test", team=leader.team)

    page = owner_client(merchant).post(
        f"/manage/orders/{friend.order_id}/cancel/", {"reason": "Customer phoned"}, follow=True
    )

    assert page.status_code == 200
    with merchant:
        team = Team.objects.get()
        assert (team.seats_taken, team.seats_paid) == (1, 1)
        assert TeamMember.objects.get(pk=friend.pk).status == SeatStatus.RELEASED
        assert Order.objects.get(pk=friend.order_id).status == "cancelled"
        assert stock() == 9


@pytest.mark.django_db
def test_cash_taken_before_the_team_failed_is_refunded_once():
    merchant, variant_id = offline_shop()
    with merchant:
        campaign = launch(variant_id)
        leader = hold(campaign, "lead@example.test", method=IN_STORE)
        record_offline_payment(leader.order_id, actor="owner")  # paid at the till up front
        Team.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

        assert expire_team(leader.team_id) == "failed"
        assert expire_team(leader.team_id) == "nothing to do"

        refund = Refund.objects.get()
        assert (refund.amount, refund.status) == (Decimal("30.00"), "succeeded")
        assert TeamMember.objects.get().status == SeatStatus.REFUNDED
        assert Order.objects.get().status == "cancelled"
        assert stock() == 100


@pytest.mark.django_db
def test_a_member_leaving_a_cash_team_cancels_the_order_and_frees_the_seat():
    merchant, variant_id = offline_shop()
    with merchant:
        campaign = launch(variant_id)
        leader = hold(campaign, "lead@example.test")
        friend = hold(campaign, "friend@example.test", team=leader.team)

        assert leave_team(friend.pk) == "cancelled"
        assert leave_team(friend.pk) == "duplicate"

        team = Team.objects.get()
        assert (team.seats_taken, team.seats_paid, team.status) == (1, 1, TeamStatus.OPEN)
        assert Order.objects.get(pk=friend.order_id).status == "cancelled"
        assert stock() == 99
        assert list(GroupBuyNotice.objects.values_list("member__email", "kind")) == [
            ("lead@example.test", "seat_held"),
            ("friend@example.test", "seat_held"),
            ("friend@example.test", "seat_cancelled"),
        ]
        # The seat is free again, for anyone (the friend too).
        again = hold(campaign, "friend@example.test", team=leader.team)
        assert again.status == SeatStatus.COMMITTED


@pytest.mark.django_db
def test_ending_a_campaign_says_what_it_will_do_then_does_exactly_that():
    merchant, variant_id = offline_shop()
    with merchant:
        campaign = launch(variant_id)
        first = hold(campaign, "a@example.test")
        hold(campaign, "b@example.test", team=first.team)
        paid_early = hold(campaign, "c@example.test", method=IN_STORE)
        record_offline_payment(paid_early.order_id, actor="owner")

        preview = end_preview(campaign)

        assert (preview.open_teams, preview.teams_failing, preview.teams_filled_virtually) == (
            2,
            2,
            0,
        )
        assert (preview.members_refunded, preview.members_cancelled) == (1, 2)
        assert preview.seats_released == 0
        assert end_campaign_early(campaign.pk) == {"failed": 2}
        assert stock() == 100
        assert Order.objects.filter(status="cancelled").count() == 3
        assert Refund.objects.get().order_id == paid_early.order_id
        assert end_preview(campaign).open_teams == 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_cash_joins_never_hold_more_seats_than_the_team_has():
    merchant, variant_id = offline_shop(units=50)
    with merchant:
        campaign = launch(variant_id, team_size=4)
        leader = hold(campaign, "lead@example.test")
        team = leader.team
    connection.set_schema_to_public()
    outcome = {"held": 0, "refused": 0, "errors": []}
    lock = threading.Lock()
    barrier = threading.Barrier(12)

    def joiner(index: int) -> None:
        try:
            connection.set_tenant(merchant)
            barrier.wait(timeout=30)
            hold(campaign, f"joiner{index}@example.test", team=team)
            with lock:
                outcome["held"] += 1
        except SeatUnavailable:
            with lock:
                outcome["refused"] += 1
        except Exception as error:  # collected and asserted empty below
            with lock:
                outcome["errors"].append(repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=joiner, args=(index,)) for index in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert outcome == {"held": 3, "refused": 9, "errors": []}
    with merchant:
        team = Team.objects.get()
        assert (team.status, team.seats_taken, team.seats_paid) == (TeamStatus.SUCCEEDED, 4, 4)
        assert TeamMember.objects.filter(status=SeatStatus.COMMITTED).count() == 4
        assert Order.objects.count() == 4
        assert stock() == 46


@pytest.mark.django_db(transaction=True)
def test_seats_cancelled_by_hand_while_others_start_teams_give_back_each_seat_once():
    """Staff cancelling seat orders while shoppers start teams in the same quota campaign:
    both lock stock and the campaign row, in one order, so neither deadlocks the other."""
    merchant, variant_id = offline_shop(units=50)
    with merchant:
        campaign = launch(variant_id, quota=40, max_open_teams_per_customer=5)
        friends = []
        for index in range(3):
            leader = hold(campaign, f"lead{index}@example.test")
            friends.append(hold(campaign, f"friend{index}@example.test", team=leader.team))
    connection.set_schema_to_public()
    errors: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(12)

    def run(work) -> None:
        try:
            connection.set_tenant(merchant)
            barrier.wait(timeout=30)
            work()
        except Exception as error:  # collected and asserted empty below
            with lock:
                errors.append(repr(error))
        finally:
            connections.close_all()

    work = [
        lambda order_id=friend.order_id: cancel_order(order_id, reason="phoned", actor="owner")
        for friend in friends
    ] + [lambda index=index: hold(campaign, f"new{index}@example.test") for index in range(9)]
    threads = [threading.Thread(target=run, args=(job,)) for job in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    with merchant:
        assert set(
            TeamMember.objects.filter(email__startswith="friend").values_list("status", flat=True)
        ) == {SeatStatus.RELEASED}
        assert TeamMember.objects.filter(status=SeatStatus.COMMITTED).count() == 12
        assert sorted(Team.objects.values_list("seats_taken", "seats_paid")) == [(1, 1)] * 12
        assert Campaign.objects.get().units_sold == 12
        assert stock() == 38
        assert Order.objects.filter(status="cancelled").count() == 3
