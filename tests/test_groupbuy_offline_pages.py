"""The pages of group-buy without cards: the seat form offers the shop's payment methods,
the console says how seats are paid (and warns when they cannot be), the leader price and
the variant are shown, held orders cannot be fulfilled, ending a campaign asks first, and
its dates are typed in the shop's timezone."""

import html
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from commerce.groupbuy.models import Campaign, SeatStatus, Team, TeamMember, TeamStatus
from commerce.orders.models import Order
from commerce.store.selectors import store_settings
from tenants.models import Merchant
from tests.conftest import on_host
from tests.test_groupbuy_offline import hold, launch, offline_shop

pytestmark = pytest.mark.django_db


def shopper() -> Client:
    return on_host(Client(), "cod.localhost")


def running_campaign(**overrides):
    merchant, variant_id = offline_shop()
    with merchant:
        campaign = launch(variant_id, **overrides)
    connection.set_schema_to_public()
    return merchant, campaign


def test_the_product_page_offers_cash_and_in_store_seats_with_the_leader_price_and_variant():
    running_campaign()

    page = shopper().get("/p/lychee/").content.decode()

    assert 'name="payment_method" value="cash_on_delivery"' in page
    assert 'name="payment_method" value="pay_in_store"' in page
    assert 'value="stripe"' not in page
    assert "For: Lychee box 2 kg" in page
    assert "Start a team and pay the leader price: 30.00 CNY." in page
    assert "you pay on delivery or in store once the team is full" in page
    assert "card payments" not in page


def test_two_shoppers_form_a_cash_team_from_the_pages_without_stripe(fake_stripe):
    merchant, campaign = running_campaign(team_size=2)
    leader, friend = shopper(), shopper()

    started = leader.post(
        f"/groupbuy/{campaign.pk}/seat/",
        {"email": "lead@example.test", "payment_method": "cash_on_delivery"},
        follow=True,
    )
    token = started.context["team"].share_token
    page = started.content.decode()
    assert started.redirect_chain[0][0] == f"/groupbuy/t/{token}/"
    assert "Your seat is held: you pay when the team is complete." in page
    assert "you pay 30.00 CNY (Cash on delivery) once the team is complete" in page
    assert "1 of 2 seats filled" in page

    joined = friend.post(
        f"/groupbuy/{campaign.pk}/seat/",
        {"email": "friend@example.test", "team": token, "payment_method": "pay_in_store"},
        follow=True,
    )

    assert "the team is complete: you pay when you get your order" in joined.content.decode()
    assert "Succeeded" in joined.content.decode()
    assert fake_stripe.calls("POST", "/v1/payment_intents") == []
    with merchant:
        assert Team.objects.get().status == TeamStatus.SUCCEEDED
        assert sorted(Order.objects.values_list("payment_method", "total")) == [
            ("cash_on_delivery", Decimal("30.00")),
            ("pay_in_store", Decimal("35.00")),
        ]
        seat = TeamMember.objects.get(email="lead@example.test")
    # The pay page of an offline seat leads back to the team (nothing to pay online).
    assert leader.get(f"/groupbuy/seats/{seat.seat_token}/pay/")["Location"] == (
        f"/groupbuy/t/{token}/"
    )


@pytest.mark.parametrize("method", ["stripe", "bitcoin", "🍒", "<b>cash</b>", "x" * 10_000])
def test_a_payment_method_the_shop_does_not_take_is_refused_naming_the_field(method):
    merchant, campaign = running_campaign()

    refused = shopper().post(
        f"/groupbuy/{campaign.pk}/seat/", {"email": "a@example.test", "payment_method": method}
    )

    assert refused.status_code == 400
    assert "payment_method" in refused.context["form"].errors
    with merchant:
        assert not Order.objects.exists()
        assert not Team.objects.exists()


def test_a_shop_that_takes_no_payment_shows_no_seat_form_and_the_console_warns(owner_client):
    merchant, campaign = running_campaign()
    with merchant:
        settings = store_settings()
        settings.accepts_cash_on_delivery = settings.accepts_pay_in_store = False
        settings.save()
    connection.set_schema_to_public()
    owner = owner_client(merchant)

    product = shopper().get("/p/lychee/").content.decode()
    refused = shopper().post(f"/groupbuy/{campaign.pk}/seat/", {"email": "a@example.test"})
    marketing = owner.get("/manage/marketing/").content.decode()
    campaigns = owner.get("/manage/marketing/groupbuy/").content.decode()
    detail = owner.get(f"/manage/marketing/groupbuy/{campaign.pk}/").content.decode()

    assert "This shop is not taking group-buy seats at the moment." in product
    assert 'id="start-team"' not in product
    assert refused.status_code == 400
    assert "This shop is not taking payments at the moment." in refused.content.decode()
    warning = "Shoppers cannot take seats: this shop takes no payment yet."
    assert warning in marketing
    assert warning in campaigns
    assert warning in detail
    with merchant:
        assert not Order.objects.exists()


def test_the_console_says_which_methods_seats_use_before_and_during_a_campaign(owner_client):
    merchant, campaign = running_campaign()
    owner = owner_client(merchant)
    offline = "Seats are held without card payment (the shop has no Stripe account yet): "
    offline += "shoppers pay once their team is complete, by: Cash on delivery, Pay in store."

    assert offline in owner.get("/manage/marketing/").content.decode()
    assert offline in owner.get("/manage/marketing/groupbuy/").content.decode()
    detail = owner.get(f"/manage/marketing/groupbuy/{campaign.pk}/").content.decode()
    assert offline in detail
    assert "leader price 30.00 CNY" in detail


def test_a_card_shop_is_told_seats_are_paid_by_card_and_offline(owner_client):
    merchant, _campaign = running_campaign()
    Merchant.objects.filter(pk=merchant.pk).update(
        stripe_account_id="acct_1", stripe_charges_enabled=True
    )

    page = owner_client(merchant).get("/manage/marketing/groupbuy/").content.decode()

    assert "Shoppers pay for seats by: Card (Stripe), Cash on delivery, Pay in store." in page


def test_a_held_order_offers_no_fulfilment_until_its_team_is_complete(owner_client):
    merchant, campaign = running_campaign(team_size=2)
    with merchant:
        leader = hold(campaign, "lead@example.test")
    connection.set_schema_to_public()
    owner = owner_client(merchant)

    held = owner.get(f"/manage/orders/{leader.order_id}/").content.decode()

    assert "Mark as fulfilled" not in held
    assert "This order ships when its group-buy team is complete." in held
    with merchant:
        hold(campaign, "friend@example.test", team=leader.team)
    connection.set_schema_to_public()
    ready = owner.get(f"/manage/orders/{leader.order_id}/").content.decode()
    assert "Mark as fulfilled" in ready
    assert "ships when its group-buy team is complete" not in ready


def test_ending_a_campaign_asks_first_and_says_how_many_are_cancelled(owner_client):
    merchant, campaign = running_campaign()
    with merchant:
        first = hold(campaign, "a@example.test")
        hold(campaign, "b@example.test", team=first.team)
    connection.set_schema_to_public()
    owner = owner_client(merchant)
    url = f"/manage/marketing/groupbuy/{campaign.pk}/end/"

    detail = owner.get(f"/manage/marketing/groupbuy/{campaign.pk}/").content.decode()
    asked = owner.get(url).content.decode()
    unconfirmed = owner.post(url, {"confirm": "no"})

    assert f'href="{url}"' in detail  # a link to the question, not a button that ends it
    assert "1 open team fails" in asked
    assert "2 orders to pay on delivery or in store are cancelled (nothing to refund)" in asked
    assert "0 paid members are refunded" in asked
    assert unconfirmed.status_code == 200
    with merchant:
        assert Campaign.objects.get().ended_early_at is None
        assert Team.objects.get().status == TeamStatus.OPEN

    ended = owner.post(url, {"confirm": "yes"}, follow=True).content.decode()

    assert (
        "Campaign ended. Open teams failed: 1. Paid members refunded: 0. Orders to pay on "
        "delivery or in store cancelled: 2. Unpaid seats released: 0." in ended
    )
    assert "End the campaign now" not in ended
    with merchant:
        assert set(TeamMember.objects.values_list("status", flat=True)) == {SeatStatus.RELEASED}
    again = owner.post(url, {"confirm": "yes"}, follow=True).content.decode()
    assert "This campaign has ended already." in again


def campaign_form(variant_id: int, **overrides) -> dict:
    data = {
        "name": "New year lychee",
        "variant": variant_id,
        "group_price": "35.00",
        "leader_price": "",
        "team_size": "2",
        "team_window_hours": "24",
        "starts_at": "2031-01-20T09:30",
        "ends_at": "2031-01-27T21:00",
        "virtual_fill_max_missing": "0",
        "max_open_teams_per_customer": "1",
        "max_quantity_per_order": "1",
    }
    data.update(overrides)
    return data


def test_campaign_dates_are_date_time_inputs_in_the_shops_timezone(owner_client):
    merchant, variant_id = offline_shop()
    owner = owner_client(merchant)

    form = owner.get("/manage/marketing/groupbuy/").content.decode()
    launched = owner.post("/manage/marketing/groupbuy/", campaign_form(variant_id))

    assert 'type="datetime-local" name="starts_at"' in form
    assert "In the shop's timezone (Asia/Shanghai)." in html.unescape(form)
    assert launched.status_code == 302
    with merchant:
        campaign = Campaign.objects.get()
        # 09:30 in Shanghai (UTC+8) is 01:30 UTC.
        assert campaign.starts_at == datetime(2031, 1, 20, 1, 30, tzinfo=UTC)
        assert campaign.ends_at == datetime(2031, 1, 27, 13, 0, tzinfo=UTC)
    connection.set_schema_to_public()
    detail = owner.get(f"/manage/marketing/groupbuy/{campaign.pk}/").content.decode()
    assert "From 2031-01-20 09:30 to 2031-01-27 21:00 (Asia/Shanghai)" in detail
    assert "no leader price" in detail


@pytest.mark.parametrize(
    "value", ["2031-13-01T09:00", "tomorrow", "1e309", "99999-01-01T00:00", "🍒", "9" * 40]
)
def test_a_bad_campaign_date_is_refused_naming_it_and_shown_back(owner_client, value):
    merchant, variant_id = offline_shop()
    owner = owner_client(merchant)

    refused = owner.post("/manage/marketing/groupbuy/", campaign_form(variant_id, starts_at=value))

    assert refused.status_code == 400
    assert set(refused.context["form"].errors) == {"starts_at"}
    with merchant:
        assert not Campaign.objects.exists()


def test_a_refused_campaign_shows_its_dates_back_as_typed(owner_client):
    merchant, variant_id = offline_shop()
    owner = owner_client(merchant)

    refused = owner.post(
        "/manage/marketing/groupbuy/", campaign_form(variant_id, team_size="1")
    ).content.decode()

    assert 'value="2031-01-20T09:30"' in refused
    assert 'value="2031-01-27T21:00"' in refused


def test_the_form_suggests_dates_from_now_in_the_shops_timezone(owner_client):
    merchant, _variant_id = offline_shop()

    form = owner_client(merchant).get("/manage/marketing/groupbuy/").content.decode()

    now = timezone.localtime(timezone.now(), timezone=merchant_zone(merchant))
    assert f'value="{now:%Y-%m-%dT}' in form
    assert f'value="{now + timedelta(days=7):%Y-%m-%dT}' in form


def merchant_zone(merchant):
    from zoneinfo import ZoneInfo

    return ZoneInfo(merchant.timezone)


def test_the_team_page_of_the_console_shows_seats_held_offline_and_the_failure(owner_client):
    merchant, campaign = running_campaign()
    with merchant:
        leader = hold(campaign, "lead@example.test")
        Team.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
        open_page_status = TeamMember.objects.get().get_status_display()
        from commerce.groupbuy.teams import expire_team

        expire_team(leader.team_id)
    connection.set_schema_to_public()

    page = owner_client(merchant).get(f"/manage/marketing/groupbuy/teams/{leader.team_id}/")

    assert open_page_status == "Held, pays on delivery or in store"
    timeline = [(entry.who, str(entry.what)) for entry in page.context["detail"].timeline]
    assert timeline[1:3] == [
        ("lead@example.test", "Started the team"),
        ("lead@example.test", "Seat held, pays on delivery or in store"),
    ]
    assert ("lead@example.test", "Seat given back (order cancelled)") in timeline
    assert ("", "Team failed: paid members refunded, held orders cancelled") in timeline
