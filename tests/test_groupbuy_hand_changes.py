"""Group-buy and what staff or the shop's settings change by hand: where a seat is picked up
(the checkout's pickup places; none when the shop has pickup off), a seat's order refunded
in full by hand, the lead handed over saying why, and the repair of seats left counted by
orders cancelled or refunded before group-buy heard of it, and of units left taken by such
seats of succeeded teams (`repair_groupbuy_seats`)."""

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from commerce.catalog.models import Stock
from commerce.groupbuy import hooks as groupbuy_hooks
from commerce.groupbuy.campaigns import create_campaign
from commerce.groupbuy.models import (
    Campaign,
    GroupBuyNotice,
    SeatStatus,
    Team,
    TeamMember,
    TeamStatus,
)
from commerce.groupbuy.seat_payments import confirm_seat_payment, take_offline_seat
from commerce.groupbuy.seats import SeatDetails, take_seat
from commerce.groupbuy.teams import expire_team, give_up_seat_of_refunded_order, leave_team
from commerce.orders.models import Order, OrderEvent
from commerce.orders.services import cancel_order
from commerce.payments.models import Refund
from commerce.payments.services import refund_order
from commerce.plugins.services import disable_plugin
from commerce.store.models import Outlet
from commerce.store.selectors import online_outlet, store_settings
from tests.conftest import on_host
from tests.test_groupbuy import OFFLINE, campaign_input, seat, seed
from tests.test_groupbuy_offline import launch, offline_shop

pytestmark = pytest.mark.django_db


def shopper() -> Client:
    return on_host(Client(), "cod.localhost")


def two_stores(merchant) -> tuple[int, int]:
    """Two more stores to collect from; neither holds stock (the warehouse ships to them)."""
    with merchant:
        jingan = Outlet.objects.create(name="Jing'an store", address="1 Nanjing Rd", kind="store")
        xuhui = Outlet.objects.create(name="Xuhui store", address="9 Hengshan Rd", kind="store")
    connection.set_schema_to_public()
    return jingan.pk, xuhui.pk


# -- 1. where a seat is picked up -------------------------------------------------------------


def test_a_multi_store_shops_seat_form_offers_its_pickup_places_and_the_seat_is_collected_there():
    merchant, variant_id = offline_shop()
    jingan, xuhui = two_stores(merchant)
    with merchant:
        campaign = launch(variant_id)
        warehouse = online_outlet().pk
    connection.set_schema_to_public()
    url = f"/groupbuy/{campaign.pk}/seat/"
    seat_post = {"email": "lead@example.test", "payment_method": "cash_on_delivery"}

    page = shopper().get("/p/lychee/").content.decode()
    unchosen = shopper().post(url, {**seat_post, "shipping_method": "pickup"})
    unknown = shopper().post(
        url, {**seat_post, "shipping_method": "pickup", "pickup_outlet": str(warehouse + 999)}
    )
    taken = shopper().post(
        url, {**seat_post, "shipping_method": "pickup", "pickup_outlet": str(xuhui)}
    )

    assert 'name="pickup_outlet"' in page
    # The stores, by name (the warehouse is no pickup place), the first preselected.
    assert f'<option value="{jingan}" selected>Jing&#39;an store · 1 Nanjing Rd</option>' in page
    assert f'<option value="{xuhui}">Xuhui store · 9 Hengshan Rd</option>' in page
    assert unchosen.status_code == 400
    assert unchosen.context["form"].errors == {
        "pickup_outlet": ["Choose where you collect your order."]
    }
    assert unknown.status_code == 400
    assert list(unknown.context["form"].errors) == ["pickup_outlet"]
    assert taken.status_code == 302
    with merchant:
        order = Order.objects.get()  # the two refusals wrote nothing
        assert (order.shipping_method, order.outlet_id) == ("pickup", xuhui)
        # The units come from the online warehouse, to be brought to the store.
        assert list(order.lines.values_list("outlet_id", "quantity")) == [(warehouse, 1)]
        assert Team.objects.count() == 1


def test_a_seat_without_a_pickup_place_named_goes_where_the_checkout_would_send_it():
    merchant, variant_id = offline_shop()
    with merchant:
        campaign = launch(variant_id)
        leader = take_offline_seat(
            campaign_id=campaign.pk, email="lead@example.test", payment_method="pay_in_store"
        )

        assert Order.objects.get(pk=leader.order_id).outlet_id == online_outlet().pk


def test_a_shop_with_pickup_off_offers_no_pickup_and_refuses_it_posted_naming_the_field():
    merchant, variant_id = offline_shop()
    two_stores(merchant)
    with merchant:
        settings = store_settings()
        settings.local_pickup = False
        settings.shipping_flat_rate = Decimal("8.00")
        settings.save()
        campaign = launch(variant_id)
    connection.set_schema_to_public()
    url = f"/groupbuy/{campaign.pk}/seat/"
    seat_post = {"email": "lead@example.test", "payment_method": "cash_on_delivery"}

    page = shopper().get("/p/lychee/").content.decode()
    posted = shopper().post(url, {**seat_post, "shipping_method": "pickup"})
    no_address = shopper().post(url, seat_post)  # no method: delivery, the one offered
    delivered = shopper().post(
        url,
        {**seat_post, "shipping_method": "flat", "address_line1": "2 Bund", "address_city": "SH"},
    )

    assert 'value="pickup"' not in page
    assert 'name="pickup_outlet"' not in page
    assert 'value="flat"' in page
    assert posted.status_code == 400
    assert posted.context["form"].errors == {
        "shipping_method": ["This shop does not offer pickup."]
    }
    assert "This shop does not offer pickup." in posted.content.decode()
    assert no_address.status_code == 400
    assert set(no_address.context["form"].errors) == {"address_line1", "address_city"}
    assert delivered.status_code == 302
    with merchant:
        order = Order.objects.get()
        assert (order.shipping_method, order.shipping_total) == ("flat", Decimal("8.00"))
        # The service refuses a pickup seat too, whoever calls it, and writes nothing.
        with pytest.raises(ValidationError) as refused:
            take_offline_seat(
                campaign_id=campaign.pk,
                email="other@example.test",
                payment_method="pay_in_store",
                details=SeatDetails(shipping_method="pickup"),
            )
        assert refused.value.message_dict == {
            "shipping_method": ["This shop does not offer pickup."]
        }
        assert Order.objects.count() == 1
        assert TeamMember.objects.count() == 1


def test_a_shop_with_neither_pickup_nor_delivery_takes_no_seat():
    merchant, variant_id = offline_shop()
    with merchant:
        settings = store_settings()
        settings.local_pickup = False
        settings.save()
        campaign = launch(variant_id)
    connection.set_schema_to_public()

    page = shopper().get("/p/lychee/").content.decode()
    refused = shopper().post(
        f"/groupbuy/{campaign.pk}/seat/",
        {"email": "a@example.test", "payment_method": "cash_on_delivery"},
    )

    assert "This shop is not taking group-buy seats at the moment." in page
    assert 'id="start-team"' not in page
    assert refused.status_code == 400
    assert "This shop offers neither pickup nor delivery at the moment." in (
        refused.content.decode()
    )
    with merchant:
        assert not Order.objects.exists()
        assert not Team.objects.exists()


# -- 3. a seat's order refunded in full by hand -------------------------------------------


def paid_trio(quota: int | None = None):
    """A team of three in shop "pin": the leader (30.00) and a friend (35.00) paid."""
    merchant, variant_id = seed()
    with merchant:
        campaign = create_campaign(campaign_input(variant_id, team_size=3, quota=quota))
        leader = seat(campaign, "lead@example.test")
        friend = seat(campaign, "friend@example.test", team=leader.team)
        confirm_seat_payment(leader.pk)
        confirm_seat_payment(friend.pk)
    connection.set_schema_to_public()
    return merchant, campaign, leader, friend


def by_hand(order_id: int, amount: str, key: str = "by-hand") -> Refund:
    return refund_order(
        order_id, amount=amount, reason="shopper asked", actor="owner@pin.test", idempotency_key=key
    )


def test_a_full_refund_by_hand_gives_the_seat_back_once_and_the_failed_team_refunds_no_more(
    django_capture_on_commit_callbacks,
):
    merchant, _campaign, leader, friend = paid_trio(quota=10)
    with merchant:
        assert Campaign.objects.get().units_sold == 2
        with django_capture_on_commit_callbacks(execute=True):
            by_hand(friend.order_id, "35.00")

        team = Team.objects.get()
        assert (team.status, team.seats_taken, team.seats_paid) == (TeamStatus.OPEN, 1, 1)
        assert TeamMember.objects.get(pk=friend.pk).status == SeatStatus.REFUNDED
        order = Order.objects.get(pk=friend.order_id)
        assert (order.status, order.payment_status) == ("cancelled", "refunded")
        assert Stock.objects.get().quantity == 499  # the friend's unit is back
        assert Campaign.objects.get().units_sold == 1
        kinds = list(
            OrderEvent.objects.filter(
                order_id=friend.order_id, kind__in=("refunded", "seat_given_back", "cancelled")
            )
            .order_by("id")
            .values_list("kind", flat=True)
        )
        assert kinds == ["refunded", "seat_given_back", "cancelled"]
        # Once: again, it finds no seat to give back.
        assert give_up_seat_of_refunded_order(friend.order_id) is False
        assert (Team.objects.get().seats_taken, Stock.objects.get().quantity) == (1, 499)

        Team.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
        assert expire_team(leader.team_id) == "failed"

        assert sorted(Refund.objects.values_list("idempotency_key", "amount")) == [
            ("by-hand", Decimal("35.00")),
            (f"groupbuy:seat:{leader.pk}", Decimal("30.00")),
        ]
        # The shop's refund email told the friend; group-buy sends no refund notice of its own.
        assert not GroupBuyNotice.objects.filter(member_id=friend.pk, kind="refunded").exists()
        assert OrderEvent.objects.filter(order_id=friend.order_id, kind="cancelled").count() == 1
        assert Stock.objects.get().quantity == 500
        assert Campaign.objects.get().units_sold == 0


def test_a_partial_refund_by_hand_keeps_the_seat(django_capture_on_commit_callbacks):
    merchant, _campaign, _leader, friend = paid_trio()
    with merchant:
        with django_capture_on_commit_callbacks(execute=True):
            by_hand(friend.order_id, "5.00")

        team = Team.objects.get()
        assert (team.status, team.seats_taken, team.seats_paid) == (TeamStatus.OPEN, 2, 2)
        assert TeamMember.objects.get(pk=friend.pk).status == SeatStatus.PAID
        order = Order.objects.get(pk=friend.order_id)
        assert (order.status, order.payment_status) == ("unfulfilled", "partially_refunded")
        assert not OrderEvent.objects.filter(kind="seat_given_back").exists()
        assert Stock.objects.get().quantity == 498


def test_a_full_refund_frees_the_seat_in_a_shop_that_switched_groupbuy_off(
    django_capture_on_commit_callbacks,
):
    merchant, _campaign, _leader, friend = paid_trio()
    with merchant:
        disable_plugin("groupbuy", actor="test")
        with django_capture_on_commit_callbacks(execute=True):
            by_hand(friend.order_id, "35.00")

        assert TeamMember.objects.get(pk=friend.pk).status == SeatStatus.REFUNDED
        assert (Team.objects.get().seats_taken, Team.objects.get().seats_paid) == (1, 1)


# -- 4. the lead handed over, saying why ------------------------------------------------------


@pytest.mark.parametrize(
    ("how", "entry"),
    [
        ("leave", "Now leads the group-buy team (the leader left)"),
        ("cancel", "Now leads the group-buy team (the leader's order was cancelled)"),
        ("refund", "Now leads the group-buy team (the leader's order was refunded in full)"),
    ],
)
def test_the_new_leaders_timeline_says_what_happened_to_the_leader(
    how, entry, django_capture_on_commit_callbacks
):
    merchant, _campaign, leader, friend = paid_trio()
    with merchant:
        if how == "leave":
            leave_team(leader.pk)
        elif how == "cancel":
            by_hand(leader.order_id, "30.00")  # its after-commit step not run: the seat holds
            cancel_order(leader.order_id, reason="shopper asked", actor="owner@pin.test")
        else:
            with django_capture_on_commit_callbacks(execute=True):
                by_hand(leader.order_id, "30.00")

        handed = OrderEvent.objects.get(kind="team_leader")
        assert (handed.order_id, handed.message) == (friend.order_id, entry)
        assert TeamMember.objects.get(is_leader=True).pk == friend.pk


# -- 2. the repair of seats stranded before the hooks -------------------------------------


def stranded_shop():
    """Shop "pin" as it may be on deploy day (a quota of 10): in an open team of three, a
    paid friend's order refunded in full by hand (the seat still paid: the after-commit step
    never ran) and a third member's order cancelled by hand before the fix (the stock
    returned then, the seat still held); in a succeeded team, the leader's order cancelled
    before such seats gave their units back (its seat still paid, its unit still taken)."""
    merchant, campaign, leader, friend = paid_trio(quota=10)
    with merchant:
        by_hand(friend.order_id, "35.00")  # no on-commit callbacks run here: stranded
        third = seat(campaign, "third@example.test", team=leader.team)
        Order.objects.filter(pk=third.order_id).update(status="cancelled")
        done_leader = seat(campaign, "a@example.test")
        for email in ("b@example.test", "c@example.test"):
            confirm_seat_payment(seat(campaign, email, team=done_leader.team).pk)
        confirm_seat_payment(done_leader.pk)
        assert Team.objects.get(pk=done_leader.team_id).status == TeamStatus.SUCCEEDED
        Order.objects.filter(pk=done_leader.order_id).update(status="cancelled")
        assert Stock.objects.get().quantity == 494
        assert Campaign.objects.get().units_sold == 6
    connection.set_schema_to_public()
    return merchant, leader, friend, third, done_leader


def run(*args: str) -> list[str]:
    out = StringIO()
    call_command("repair_groupbuy_seats", *args, stdout=out)
    return out.getvalue().splitlines()


def test_the_repair_lists_stranded_seats_then_gives_each_back_once():
    merchant, leader, friend, third, done_leader = stranded_shop()
    with merchant:
        friend_no = Order.objects.get(pk=friend.order_id).number
        third_no = Order.objects.get(pk=third.order_id).number
        done_no = Order.objects.get(pk=done_leader.order_id).number
        campaign = Campaign.objects.get().pk
        events = OrderEvent.objects.count()
    connection.set_schema_to_public()
    team = leader.team_id
    done = done_leader.team_id
    friend_line = f"pin: team {team}, order {friend_no} (friend@example.test): order refunded"
    third_line = f"pin: team {team}, order {third_no} (third@example.test): order cancelled"
    done_line = (
        f"pin: campaign {campaign}, team {done} (succeeded), seat {done_leader.pk}, "
        f"order {done_no} (a@example.test): order cancelled by hand"
    )

    dry = run()
    with merchant:
        assert (Team.objects.get(pk=team).seats_taken, Team.objects.get(pk=team).seats_paid) == (
            3,
            2,
        )
        assert OrderEvent.objects.count() == events  # the dry run changed nothing
        assert Campaign.objects.get().units_sold == 6
    applied = run("pin", "--apply")
    again = run("--apply")

    assert dry == [
        f"{friend_line} in full by hand: would give the seat back",
        f"{third_line} by hand: would give the seat back",
        f"{done_line}: would give 1 unit(s) back to the campaign",
        "2 seat(s) of open teams to give back; 1 unit(s) of 1 seat(s) of succeeded teams to "
        "give back; in 1 shop(s). Dry run: nothing changed (--apply gives them back).",
    ]
    assert applied == [
        f"{friend_line} in full by hand: seat given back",
        f"{third_line} by hand: seat given back",
        f"{done_line}: 1 unit(s) given back to the campaign",
        "2 seat(s) of open teams given back of 2 found; 1 unit(s) of 1 seat(s) of succeeded "
        "teams given back of 1 found; in 1 shop(s).",
    ]
    assert again == ["Nothing to repair in 1 shop(s): nothing changed."]
    with merchant:
        open_team = Team.objects.get(pk=team)
        assert (open_team.status, open_team.seats_taken, open_team.seats_paid) == ("open", 1, 1)
        assert dict(TeamMember.objects.filter(team_id=team).values_list("email", "status")) == {
            "lead@example.test": "paid",
            "friend@example.test": "refunded",
            "third@example.test": "released",
        }
        # The refunded order is cancelled now (its unit back); the ones cancelled before
        # gave their stock back then, and get none twice.
        assert Order.objects.get(pk=friend.order_id).status == "cancelled"
        assert Stock.objects.get().quantity == 495
        assert Campaign.objects.get().units_sold == 3  # the three seats' units, once
        assert OrderEvent.objects.filter(kind="seat_given_back").count() == 2
        assert OrderEvent.objects.filter(kind="units_given_back").count() == 1
        # Two seats and one seat's units given back, one cancel.
        assert OrderEvent.objects.count() == events + 4
        assert Refund.objects.count() == 1  # nothing refunded by the repair
        # The succeeded team stays as it filled; only its cancelled seat let go.
        succeeded = Team.objects.get(pk=done)
        assert (succeeded.status, succeeded.seats_taken, succeeded.seats_paid) == (
            "succeeded",
            3,
            3,
        )
        assert TeamMember.objects.get(pk=done_leader.pk).status == "released"
        assert TeamMember.objects.get(pk=done_leader.pk).is_leader
        assert TeamMember.objects.filter(team_id=done, status="paid").count() == 2


def succeeded_trio_changed_by_hand(monkeypatch):
    """Shop "pin" (a quota of 10): a team of three that succeeded (the leader took two
    units), then changed by hand before such seats gave their units back. The leader's
    order was refunded in full and cancelled (its stock came back, its units did not: the
    cancellation's hook then left a succeeded team's seat alone); the friend's refunded in
    full and not cancelled (left to staff, as now); the third's refunded in part."""
    merchant, variant_id = seed()
    with merchant:
        campaign = create_campaign(
            campaign_input(variant_id, team_size=3, quota=10, max_quantity_per_order=2)
        )
        leader = take_seat(
            campaign_id=campaign.pk, email="lead@example.test", payment_method=OFFLINE, quantity=2
        )
        friend = seat(campaign, "friend@example.test", team=leader.team)
        third = seat(campaign, "third@example.test", team=leader.team)
        for member in (leader, friend, third):
            confirm_seat_payment(member.pk)
        assert Team.objects.get().status == TeamStatus.SUCCEEDED
        # No on-commit callbacks run here: the refunds' after-commit steps never ran.
        by_hand(leader.order_id, str(Order.objects.get(pk=leader.order_id).total), "lead")
        with monkeypatch.context() as before:
            before.setattr(
                groupbuy_hooks, "give_up_seat_of_cancelled_order", lambda order_id: False
            )
            cancel_order(leader.order_id, reason="shopper asked", actor="owner@pin.test")
        by_hand(friend.order_id, "35.00", "friend")
        by_hand(third.order_id, "5.00", "third")
        assert (Campaign.objects.get().units_sold, Stock.objects.get().quantity) == (4, 498)
        assert set(TeamMember.objects.values_list("status", flat=True)) == {"paid"}
    connection.set_schema_to_public()
    return merchant, leader, friend, third


def test_the_repair_gives_a_succeeded_teams_stranded_units_back_once(monkeypatch):
    merchant, leader, friend, _third = succeeded_trio_changed_by_hand(monkeypatch)
    with merchant:
        numbers = {order.pk: order.number for order in Order.objects.all()}
        campaign = Campaign.objects.get().pk
        events = OrderEvent.objects.count()
    connection.set_schema_to_public()

    def line(member, email: str, cause: str) -> str:
        return (
            f"pin: campaign {campaign}, team {leader.team_id} (succeeded), seat {member.pk}, "
            f"order {numbers[member.order_id]} ({email}): {cause}"
        )

    lead_line = line(leader, "lead@example.test", "order cancelled by hand")
    friend_line = line(friend, "friend@example.test", "order refunded in full by hand")

    def as_it_was() -> None:
        team = Team.objects.get()
        assert (team.status, team.seats_taken, team.seats_paid) == ("succeeded", 3, 3)
        assert TeamMember.objects.get(is_leader=True).pk == leader.pk
        assert Stock.objects.get().quantity == 498  # the repair moves no stock
        assert Refund.objects.count() == 3  # and refunds nothing

    assert run() == [
        f"{lead_line}: would give 2 unit(s) back to the campaign",
        f"{friend_line}: would give 1 unit(s) back to the campaign",
        "0 seat(s) of open teams to give back; 3 unit(s) of 2 seat(s) of succeeded teams to "
        "give back; in 1 shop(s). Dry run: nothing changed (--apply gives them back).",
    ]
    with merchant:  # the dry run changed nothing
        assert Campaign.objects.get().units_sold == 4
        assert set(TeamMember.objects.values_list("status", flat=True)) == {"paid"}
        assert OrderEvent.objects.count() == events
        as_it_was()

    assert run("--apply") == [
        f"{lead_line}: 2 unit(s) given back to the campaign",
        f"{friend_line}: 1 unit(s) given back to the campaign",
        "0 seat(s) of open teams given back of 0 found; 3 unit(s) of 2 seat(s) of succeeded "
        "teams given back of 2 found; in 1 shop(s).",
    ]
    with merchant:
        assert Campaign.objects.get().units_sold == 1  # the partly refunded seat's unit
        assert dict(TeamMember.objects.values_list("email", "status")) == {
            "lead@example.test": "refunded",
            "friend@example.test": "refunded",
            "third@example.test": "paid",  # refunded in part: keeps its seat and unit
        }
        # The live path's timeline entry, once each.
        given = OrderEvent.objects.filter(kind="units_given_back").order_by("id")
        assert [(e.order_id, e.message, e.data["units"]) for e in given] == [
            (
                leader.order_id,
                "Units given back to the group-buy campaign: the order was cancelled",
                2,
            ),
            (
                friend.order_id,
                "Units given back to the group-buy campaign: the order was refunded in full",
                1,
            ),
        ]
        assert OrderEvent.objects.count() == events + 2
        # The refunded order is left to staff, as a refund after success leaves it now.
        friend_order = Order.objects.get(pk=friend.order_id)
        assert (friend_order.status, friend_order.payment_status) == ("unfulfilled", "refunded")
        as_it_was()
    events += 2

    assert run("--apply") == ["Nothing to repair in 1 shop(s): nothing changed."]
    with merchant:
        assert Campaign.objects.get().units_sold == 1
        assert OrderEvent.objects.count() == events
        # Staff cancel the refunded order now: its stock comes back, its units not twice.
        cancel_order(friend.order_id, reason="shopper asked", actor="owner@pin.test")
        assert (Campaign.objects.get().units_sold, Stock.objects.get().quantity) == (1, 499)
        assert OrderEvent.objects.filter(kind="units_given_back").count() == 2


def test_the_repair_leaves_a_succeeded_teams_partly_refunded_seat_alone():
    merchant, _campaign, leader, friend = paid_trio(quota=10)
    with merchant:
        confirm_seat_payment(seat(Campaign.objects.get(), "third@example.test", leader.team).pk)
        assert Team.objects.get().status == TeamStatus.SUCCEEDED
        by_hand(friend.order_id, "5.00")
        events = OrderEvent.objects.count()
    connection.set_schema_to_public()

    assert run() == ["Nothing to repair in 1 shop(s): nothing changed."]
    assert run("--apply") == ["Nothing to repair in 1 shop(s): nothing changed."]
    with merchant:
        assert TeamMember.objects.get(pk=friend.pk).status == SeatStatus.PAID
        assert Campaign.objects.get().units_sold == 3
        assert OrderEvent.objects.count() == events


def test_the_repair_names_an_unknown_shop():
    with pytest.raises(CommandError, match="no shop with the slug or schema 'nowhere'"):
        run("nowhere")
