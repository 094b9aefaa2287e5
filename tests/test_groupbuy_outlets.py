"""Group-buy seats take stock the way checkout does: from the shop's online outlets in the
merchant's order, an item the first cannot fill split over the next, each order line
recording its outlet; a seat given back (left, lapsed, failed team) returns each unit to
the outlet it came from, once."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from commerce.catalog.models import Product, Stock, Variant
from commerce.groupbuy.campaigns import create_campaign
from commerce.groupbuy.models import Campaign, SeatStatus, Team, TeamMember, TeamStatus
from commerce.groupbuy.seat_payments import confirm_seat_payment, take_offline_seat
from commerce.groupbuy.seats import take_seat
from commerce.groupbuy.teams import expire_team, leave_team, release_lapsed_seats
from commerce.orders.models import Order, OrderEvent, OrderLine
from commerce.orders.services import OutOfStock
from commerce.payments.models import Refund
from commerce.plugins.services import enable_plugin
from commerce.store.models import Outlet
from commerce.store.selectors import store_settings
from tests.factories import ShopFactory
from tests.test_groupbuy import campaign_input

pytestmark = pytest.mark.django_db

BUND = "Bund Store"
PUDONG = "Pudong Warehouse"


def two_outlet_shop(*, bund: int, pudong: int):
    """A shop selling a lychee box online from two outlets, Bund Store first (`bund`
    units), then Pudong Warehouse (`pudong` units), plus 7 at a store that does not sell
    online; group-buy on, cash on delivery accepted."""
    merchant = ShopFactory(slug="split").merchant
    with merchant:
        settings = store_settings()
        settings.accepts_cash_on_delivery = True
        settings.local_pickup = True
        settings.save()
        enable_plugin("groupbuy", actor="test")
        product = Product.objects.create(title="Lychee box", slug="lychee", is_published=True)
        variant = Variant.objects.create(product=product, sku="LYC-1", price=Decimal("50.00"))
        first = Outlet.objects.create(
            name=BUND, address="1 Bund", fulfils_online=True, online_rank=1
        )
        second = Outlet.objects.create(
            name=PUDONG, address="9 Pudong", kind="warehouse", fulfils_online=True, online_rank=2
        )
        offline = Outlet.objects.create(name="Jing'an Store", address="3 Jing'an")
        Outlet.objects.exclude(pk__in=[first.pk, second.pk, offline.pk]).update(
            fulfils_online=False, is_active=False
        )
        Outlet.objects.get(pk=first.pk).save()  # drops the cached online routing
        Stock.objects.create(variant=variant, outlet=first, quantity=bund)
        Stock.objects.create(variant=variant, outlet=second, quantity=pudong)
        Stock.objects.create(variant=variant, outlet=offline, quantity=7)
    connection.set_schema_to_public()
    return merchant, variant.pk


def stock_by_outlet() -> dict[str, int]:
    return dict(Stock.objects.values_list("outlet__name", "quantity"))


def lines_of(member: TeamMember) -> list[tuple[int, str, Decimal]]:
    return list(
        OrderLine.objects.filter(order_id=member.order_id)
        .order_by("id")
        .values_list("quantity", "outlet__name", "unit_price")
    )


def launch(variant_id: int, **overrides) -> Campaign:
    return create_campaign(
        campaign_input(variant_id, team_size=3, max_quantity_per_order=5, **overrides)
    )


def card_seat(campaign: Campaign, email: str, quantity: int, team: Team | None = None):
    return take_seat(
        campaign_id=campaign.pk,
        email=email,
        team_id=team.pk if team else None,
        payment_method="pay_in_store",  # confirmed directly below; refunds need no Stripe
        quantity=quantity,
    )


def test_a_seat_the_first_outlet_cannot_fill_takes_the_rest_from_the_next():
    merchant, variant_id = two_outlet_shop(bund=1, pudong=5)
    with merchant:
        campaign = launch(variant_id)

        leader = card_seat(campaign, "lead@example.test", 3)

        assert leader.status == SeatStatus.RESERVED
        # Priced at the seat's price (the leader's), not the variant's.
        assert lines_of(leader) == [(1, BUND, Decimal("30.00")), (2, PUDONG, Decimal("30.00"))]
        order = Order.objects.get(pk=leader.order_id)
        assert (order.subtotal, order.total) == (Decimal("90.00"), Decimal("90.00"))
        assert order.outlet.name == BUND  # collected at the store that fulfils online
        assert stock_by_outlet() == {BUND: 0, PUDONG: 3, "Jing'an Store": 7}


def test_a_seat_the_first_outlet_can_fill_takes_it_all_there():
    merchant, variant_id = two_outlet_shop(bund=4, pudong=5)
    with merchant:
        campaign = launch(variant_id)

        leader = card_seat(campaign, "lead@example.test", 3)

        assert lines_of(leader) == [(3, BUND, Decimal("30.00"))]
        assert stock_by_outlet() == {BUND: 1, PUDONG: 5, "Jing'an Store": 7}


def test_a_seat_for_more_than_the_online_outlets_hold_together_is_refused_and_writes_nothing():
    merchant, variant_id = two_outlet_shop(bund=1, pudong=2)
    with merchant:
        campaign = launch(variant_id)

        with pytest.raises(OutOfStock) as refused:
            card_seat(campaign, "lead@example.test", 4)  # 3 online; the 7 offline do not count

        assert refused.value.available == 3
        assert stock_by_outlet() == {BUND: 1, PUDONG: 2, "Jing'an Store": 7}
        assert not Team.objects.exists()
        assert not TeamMember.objects.exists()
        assert not Order.objects.exists()


def test_a_held_seat_is_split_too_and_leaving_returns_each_unit_to_its_outlet():
    merchant, variant_id = two_outlet_shop(bund=2, pudong=5)
    with merchant:
        campaign = launch(variant_id)
        leader = card_seat(campaign, "lead@example.test", 1)
        friend = take_offline_seat(
            campaign_id=campaign.pk,
            email="friend@example.test",
            team_id=leader.team_id,
            payment_method="cash_on_delivery",
            quantity=3,
        )
        assert friend.status == SeatStatus.COMMITTED
        assert lines_of(friend) == [(1, BUND, Decimal("35.00")), (2, PUDONG, Decimal("35.00"))]
        assert stock_by_outlet() == {BUND: 0, PUDONG: 3, "Jing'an Store": 7}

        assert leave_team(friend.pk) == "cancelled"
        assert leave_team(friend.pk) == "duplicate"

        assert stock_by_outlet() == {BUND: 1, PUDONG: 5, "Jing'an Store": 7}
        team = Team.objects.get()
        assert (team.seats_taken, team.seats_paid) == (1, 0)


def test_a_lapsed_seat_returns_each_unit_to_its_outlet():
    merchant, variant_id = two_outlet_shop(bund=1, pudong=5)
    with merchant:
        campaign = launch(variant_id)
        leader = card_seat(campaign, "lead@example.test", 1)
        friend = card_seat(campaign, "friend@example.test", 2, team=leader.team)
        assert lines_of(friend) == [(2, PUDONG, Decimal("35.00"))]
        TeamMember.objects.filter(pk=friend.pk).update(
            reserved_until=timezone.now() - timedelta(seconds=1)
        )
        confirm_seat_payment(leader.pk)

        assert release_lapsed_seats(leader.team_id) == 1
        assert release_lapsed_seats(leader.team_id) == 0

        assert stock_by_outlet() == {BUND: 0, PUDONG: 5, "Jing'an Store": 7}


def test_a_failed_team_returns_each_unit_to_its_own_outlet_exactly_once():
    merchant, variant_id = two_outlet_shop(bund=1, pudong=5)
    with merchant:
        campaign = launch(variant_id, quota=10)
        leader = card_seat(campaign, "lead@example.test", 3)  # 1 at Bund, 2 at Pudong
        assert confirm_seat_payment(leader.pk) == "paid"
        friend = take_offline_seat(
            campaign_id=campaign.pk,
            email="friend@example.test",
            team_id=leader.team_id,
            payment_method="cash_on_delivery",
            quantity=2,
        )
        assert lines_of(friend) == [(2, PUDONG, Decimal("35.00"))]
        assert stock_by_outlet() == {BUND: 0, PUDONG: 1, "Jing'an Store": 7}
        Team.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

        assert expire_team(leader.team_id) == "failed"
        assert expire_team(leader.team_id) == "nothing to do"

        assert Team.objects.get().status == TeamStatus.FAILED
        assert stock_by_outlet() == {BUND: 1, PUDONG: 5, "Jing'an Store": 7}
        assert Campaign.objects.get().units_sold == 0
        assert dict(TeamMember.objects.values_list("email", "status")) == {
            "lead@example.test": SeatStatus.REFUNDED,
            "friend@example.test": SeatStatus.RELEASED,
        }
        assert list(Refund.objects.values_list("order_id", "amount")) == [
            (leader.order_id, Decimal("90.00"))
        ]
        for member in (leader, friend):
            assert (
                OrderEvent.objects.filter(order_id=member.order_id, kind="cancelled").count() == 1
            )
