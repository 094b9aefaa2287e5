"""Shoppers start and join teams on the storefront and pay their seats by card (fake Stripe)."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from commerce.catalog.models import Variant
from commerce.groupbuy.models import Team, TeamMember, TeamStatus
from commerce.groupbuy.teams import expire_team
from tenants.models import Merchant
from tests.card_shop import launch_duo_campaign
from tests.conftest import on_host
from tests.stripe_events import WEBHOOK_SECRET, payment_intent_event, sign

pytestmark = pytest.mark.django_db


@pytest.fixture
def team_shop(selling_shop, fake_stripe, settings):
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    account = fake_stripe.create_account({"type": "express"}, {})[1]
    Merchant.objects.filter(pk=selling_shop.merchant.pk).update(
        stripe_account_id=account["id"], stripe_charges_enabled=True
    )
    merchant = Merchant.objects.get(pk=selling_shop.merchant.pk)
    with merchant:
        launch_duo_campaign(Variant.objects.get(sku="OOL-100").pk, group_price=Decimal("25.00"))
    connection.set_schema_to_public()
    return merchant


def shopper() -> Client:
    return on_host(Client(), "alpha.localhost")


@dataclass(frozen=True)
class Seat:
    pk: int
    token: str


def take_and_pay(
    client: Client,
    fake_stripe,
    email: str,
    team_token: str | None = None,
    quantity: int | None = None,
) -> Seat:
    page = client.get(f"/groupbuy/t/{team_token}/" if team_token else "/p/oolong/")
    assert "Group-buy" in page.content.decode()
    campaign_id = page.context["campaign"].pk
    data = {"email": email, **({"team": team_token} if team_token else {})}
    if quantity is not None:
        data["quantity"] = str(quantity)
    taken = client.post(f"/groupbuy/{campaign_id}/seat/", data)
    assert taken.status_code == 302, taken.content.decode()[-1500:]
    token = taken["Location"].split("/")[3]
    card_page = client.get(taken["Location"])
    assert card_page.status_code == 200  # the card page: intent created
    intent_id = card_page.context["client_secret"].split("_secret")[0]
    return Seat(pk=int(fake_stripe.intents[intent_id]["metadata"]["groupbuy_seat"]), token=token)


def seat_paid_webhook(merchant, event_id: str, intent_id: str, seat: Seat, paid: dict):
    """Stripe tells the platform a seat's PaymentIntent succeeded (signed like Stripe)."""
    payload = payment_intent_event(
        event_id=event_id,
        account=merchant.stripe_account_id,
        intent_id=intent_id,
        reference="",
        amount=paid["amount"],
    ).replace(b'"checkout_reference": ""', f'"groupbuy_seat": "{seat.pk}"'.encode())
    return on_host(Client(), "localhost").post(
        "/webhooks/stripe/",
        payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(payload),
    )


def test_two_shoppers_fill_a_team_paying_by_card(team_shop, fake_stripe):
    leader = shopper()
    leader_seat = take_and_pay(leader, fake_stripe, "lead@example.test")
    (intent_id,) = fake_stripe.intents
    assert fake_stripe.intents[intent_id]["metadata"]["groupbuy_seat"] == str(leader_seat.pk)
    assert fake_stripe.intents[intent_id]["amount"] == 2500
    fake_stripe.pay(intent_id)
    back = leader.get(f"/groupbuy/seats/{leader_seat.token}/return/")
    team_page = leader.get(back["Location"]).content.decode()
    assert "1 of 2 paid" in team_page
    token = back["Location"].split("/")[3]

    friend = shopper()
    friend_seat = take_and_pay(friend, fake_stripe, "friend@example.test", team_token=token)
    friend_intent = next(i for i in fake_stripe.intents if i != intent_id)
    paid = fake_stripe.pay(friend_intent)
    hook = seat_paid_webhook(team_shop, "evt_seat_friend", friend_intent, friend_seat, paid)

    assert hook.json()["result"] == "processed"
    with team_shop:
        team = Team.objects.get()
        assert (team.status, team.seats_paid) == (TeamStatus.SUCCEEDED, 2)
    assert "Succeeded" in friend.get(f"/groupbuy/t/{token}/").content.decode()


def test_a_card_team_that_does_not_fill_is_refunded_through_stripe(team_shop, fake_stripe):
    leader = shopper()
    taken_seat = take_and_pay(leader, fake_stripe, "lead@example.test")
    fake_stripe.pay(next(iter(fake_stripe.intents)))
    leader.get(f"/groupbuy/seats/{taken_seat.token}/return/")
    with team_shop:
        Team.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
        assert expire_team(Team.objects.get().pk) == "failed"
        assert TeamMember.objects.get().status == "refunded"

    (refund,) = fake_stripe.calls("POST", "/v1/refunds")
    assert (refund.params["amount"], refund.stripe_account) == ("2500", team_shop.stripe_account_id)
    assert refund.idempotency_key == f"refund:groupbuy:seat:{taken_seat.pk}"


def test_joining_twice_or_a_full_team_is_refused_on_the_page(team_shop, fake_stripe):
    leader = shopper()
    take_and_pay(leader, fake_stripe, "lead@example.test")
    with team_shop:
        token = Team.objects.get().share_token
        campaign_id = Team.objects.get().campaign_id
    connection.set_schema_to_public()

    again = shopper().post(
        f"/groupbuy/{campaign_id}/seat/", {"email": "LEAD@example.test", "team": token}
    )
    bad_email = shopper().post(f"/groupbuy/{campaign_id}/seat/", {"email": "nope", "team": token})

    assert again.status_code == bad_email.status_code == 400
    assert "You are in this team already." in again.content.decode()
    assert "email" in bad_email.context["form"].errors


def qr_modules(svg: bytes) -> list[list[bool]]:
    """Read the dark modules back out of segno's SVG path (`M x y` then `h n` / `m dx dy`,
    one unit per module, rows at y + 0.5), without the 4-module quiet zone."""
    import re

    path = re.search(rb'class="qrline" stroke="#000" d="([^"]+)"', svg).group(1).decode()
    size = int(re.search(rb'viewBox="0 0 (\d+) \d+"', svg).group(1)) // 4
    grid = [[False] * size for _ in range(size)]
    x = y = 0.0
    for command, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?", path):
        if command == "M":
            x, y = float(a), float(b)
        elif command == "m":
            x, y = x + float(a), y + float(b)
        else:
            for column in range(int(x), int(x) + int(a)):
                grid[int(y - 0.5)][column] = True
            x += int(a)
    return [row[4:-4] for row in grid[4:-4]]


def test_the_team_page_shows_a_qr_code_of_its_share_link(team_shop, fake_stripe):
    import segno

    leader = shopper()
    take_and_pay(leader, fake_stripe, "lead@example.test")
    with team_shop:
        token = Team.objects.get().share_token
    connection.set_schema_to_public()
    page = leader.get(f"/groupbuy/t/{token}/").content.decode()
    share = f"http://alpha.localhost/groupbuy/t/{token}/"

    qr = leader.get(f"/groupbuy/t/{token}/qr.svg")

    assert f'<code id="share-link">{share}</code>' in page
    assert f'<img id="share-qr" src="/groupbuy/t/{token}/qr.svg"' in page
    assert qr.status_code == 200
    assert qr["Content-Type"] == "image/svg+xml"
    assert qr.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>\n<svg xmlns=')
    expected = [[bool(module) for module in row] for row in segno.make(share, error="m").matrix]
    assert qr_modules(qr.content) == expected
    other = [[bool(m) for m in row] for row in segno.make(share + "x", error="m").matrix]
    assert qr_modules(qr.content) != other
    assert leader.get("/groupbuy/t/no-such-team/qr.svg").status_code == 404


def test_the_team_page_and_the_product_page_show_the_time_left(team_shop, fake_stripe):
    leader = shopper()
    take_and_pay(leader, fake_stripe, "lead@example.test")
    expires = timezone.now() + timedelta(hours=5, minutes=12, seconds=30)
    with team_shop:
        Team.objects.update(expires_at=expires)
        token = Team.objects.get().share_token
    connection.set_schema_to_public()
    iso = expires.replace(microsecond=0).isoformat()
    time_left = (
        f'<time class="countdown" datetime="{iso}" data-countdown '
        'data-pattern-hours="{h} h {m} min {s} s left" '
        'data-pattern-minutes="{m} min {s} s left" data-done="closing now">5 h 12 min left</time>'
    )
    script = '<script src="/static/js/countdown.js" defer></script>'

    team_page = shopper().get(f"/groupbuy/t/{token}/").content.decode()
    product_page = shopper().get("/p/oolong/").content.decode()

    assert f'<span id="team-time-left">{time_left}</span>' in team_page
    assert team_page.count(script) == 1
    assert "Join a team (1 of 2 taken)</a> · 1 seat left · " + time_left in product_page
    assert product_page.count(script) == 1
    assert product_page.count("<time ") == 1


@pytest.mark.parametrize(
    ("left", "text"),
    [
        (timedelta(hours=29, minutes=5), "29 h 5 min left"),
        (timedelta(hours=1), "1 h 0 min left"),
        (timedelta(minutes=59, seconds=59), "59 min left"),
        (timedelta(seconds=59), "less than a minute left"),
        (timedelta(0), "closing now"),
        (timedelta(seconds=-5), "closing now"),
    ],
)
def test_time_left_text(left, text):
    from commerce.groupbuy.templatetags.groupbuy import time_left_text

    now = timezone.now()
    assert time_left_text(now + left, now) == text


def test_a_closed_team_shows_no_countdown_and_a_page_without_teams_loads_no_script(
    team_shop, fake_stripe
):
    leader = shopper()
    take_and_pay(leader, fake_stripe, "lead@example.test")
    with team_shop:
        Team.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
        expire_team(Team.objects.get().pk)
        token = Team.objects.get().share_token
    connection.set_schema_to_public()

    team_page = shopper().get(f"/groupbuy/t/{token}/").content.decode()
    product_page = shopper().get("/p/oolong/").content.decode()

    assert "<time " not in team_page
    assert 'id="share-qr"' not in team_page
    assert "<time " not in product_page
    assert "countdown.js" not in product_page


def test_the_seat_owner_leaves_from_the_team_page_and_is_refunded_once(team_shop, fake_stripe):
    leader = shopper()
    taken_seat = take_and_pay(leader, fake_stripe, "lead@example.test")
    fake_stripe.pay(next(iter(fake_stripe.intents)))
    leader.get(f"/groupbuy/seats/{taken_seat.token}/return/")
    with team_shop:
        token = Team.objects.get().share_token
    connection.set_schema_to_public()
    friend = shopper()
    friend_seat = take_and_pay(friend, fake_stripe, "friend@example.test", team_token=token)

    page = leader.get(f"/groupbuy/t/{token}/").content.decode()
    stranger_page = shopper().get(f"/groupbuy/t/{token}/").content.decode()
    stranger = shopper().post(f"/groupbuy/seats/{taken_seat.token}/leave/")
    left = leader.post(f"/groupbuy/seats/{taken_seat.token}/leave/")
    again = leader.post(f"/groupbuy/seats/{taken_seat.token}/leave/")

    assert f'action="/groupbuy/seats/{taken_seat.token}/leave/"' in page
    assert 'id="take-seat"' not in page
    assert "leave/" not in stranger_page
    assert stranger.status_code == 404
    assert left.status_code == again.status_code == 302
    assert left["Location"] == f"/groupbuy/t/{token}/"
    (refund,) = fake_stripe.calls("POST", "/v1/refunds")
    assert refund.idempotency_key == f"refund:groupbuy:seat:{taken_seat.pk}"
    assert refund.params["amount"] == "2500"
    with team_shop:
        team = Team.objects.get()
        assert (team.status, team.seats_taken, team.seats_paid) == ("open", 1, 0)
        assert TeamMember.objects.get(pk=taken_seat.pk).status == "refunded"
        assert TeamMember.objects.get(pk=friend_seat.pk).is_leader
    connection.set_schema_to_public()
    after = leader.get(f"/groupbuy/t/{token}/").content.decode()
    assert "leave/" not in after
    assert 'id="take-seat"' in after  # the seat is free again, they may rejoin


def test_leaving_a_succeeded_team_is_refused_on_the_page(team_shop, fake_stripe):
    leader = shopper()
    taken_seat = take_and_pay(leader, fake_stripe, "lead@example.test")
    with team_shop:
        from commerce.groupbuy.seat_payments import confirm_seat_payment

        member = TeamMember.objects.get()
        confirm_seat_payment(member.pk)
        token = member.team.share_token
    connection.set_schema_to_public()
    friend = shopper()
    friend_seat = take_and_pay(friend, fake_stripe, "friend@example.test", team_token=token)
    with team_shop:
        assert confirm_seat_payment(friend_seat.pk) == "team_succeeded"
    connection.set_schema_to_public()

    refused = leader.post(f"/groupbuy/seats/{taken_seat.token}/leave/")

    assert refused.status_code == 400
    assert (
        '<ul class="errorlist" role="alert" id="seat-error"><li>This team has succeeded: your '
        "order is on its way and cannot be left.</li></ul>"
    ) in refused.content.decode()
    assert fake_stripe.calls("POST", "/v1/refunds") == []
    with team_shop:
        assert TeamMember.objects.get(pk=taken_seat.pk).status == "paid"


def test_a_spent_quota_is_refused_on_the_page_naming_the_quantity(team_shop, fake_stripe):
    with team_shop:
        from commerce.groupbuy.models import Campaign

        Campaign.objects.update(quota=1)
    connection.set_schema_to_public()
    take_and_pay(shopper(), fake_stripe, "lead@example.test")
    with team_shop:
        campaign_id = Campaign.objects.get().pk
    connection.set_schema_to_public()

    refused = shopper().post(f"/groupbuy/{campaign_id}/seat/", {"email": "b@example.test"})

    assert refused.status_code == 400
    assert "This campaign has sold all its units." in refused.content.decode()
    with team_shop:
        assert Team.objects.count() == 1
        assert TeamMember.objects.count() == 1
        assert Campaign.objects.get().units_sold == 1


def test_a_seat_can_be_delivered_at_the_shops_rate_and_the_card_pays_it(team_shop, fake_stripe):
    with team_shop:
        from commerce.store.selectors import store_settings

        settings = store_settings()
        settings.shipping_flat_rate = Decimal("8.00")
        settings.free_shipping_over = Decimal("100.00")
        settings.save()
    connection.set_schema_to_public()
    client = shopper()
    page = client.get("/p/oolong/").content.decode()
    assert '<option value="flat">Delivery, 8.00 CNY (free from 100.00)</option>' in page
    campaign_id = client.get("/p/oolong/").context["campaign"].pk

    taken = client.post(
        f"/groupbuy/{campaign_id}/seat/",
        {
            "email": "far@example.test",
            "shipping_method": "flat",
            "contact_name": "Far Away",
            "phone": "138 0000 0000",
            "address_line1": "8 Nanjing Road",
            "address_city": "Shanghai",
        },
    )
    assert taken.status_code == 302
    client.get(taken["Location"])

    with team_shop:
        order = TeamMember.objects.get(email="far@example.test").order
        assert (order.shipping_method, order.shipping_total, order.total) == (
            "flat",
            Decimal("8.00"),
            Decimal("33.00"),
        )
        assert order.shipping_address == {
            "line1": "8 Nanjing Road",
            "city": "Shanghai",
            "postcode": "",
        }
        assert (order.contact_name, order.phone) == ("Far Away", "138 0000 0000")
    (intent,) = fake_stripe.intents.values()
    assert intent["amount"] == 3300


def test_delivery_without_an_address_or_where_the_shop_does_not_deliver_writes_nothing(
    team_shop,
):
    from commerce.store.selectors import store_settings

    with team_shop:
        settings = store_settings()
        settings.shipping_flat_rate = None
        settings.save()
    connection.set_schema_to_public()
    client = shopper()
    campaign_id = client.get("/p/oolong/").context["campaign"].pk

    not_offered = client.post(
        f"/groupbuy/{campaign_id}/seat/", {"email": "far@example.test", "shipping_method": "flat"}
    )
    assert not_offered.status_code == 400
    assert list(not_offered.context["form"].errors) == ["shipping_method"]
    with team_shop:
        settings = store_settings()
        settings.shipping_flat_rate = Decimal("8.00")
        settings.save()
    connection.set_schema_to_public()
    missing = client.post(
        f"/groupbuy/{campaign_id}/seat/", {"email": "far@example.test", "shipping_method": "flat"}
    )

    assert missing.status_code == 400
    assert missing.context["form"].errors == {
        "address_line1": ["Needed for delivery."],
        "address_city": ["Needed for delivery."],
    }
    with team_shop:
        assert not TeamMember.objects.exists()
        assert not Team.objects.exists()
        from commerce.orders.models import Order

        assert not Order.objects.exists()


def test_a_seat_paid_after_the_plugin_was_switched_off_still_reaches_it(team_shop, fake_stripe):
    leader = shopper()
    taken_seat = take_and_pay(leader, fake_stripe, "lead@example.test")
    (intent_id,) = fake_stripe.intents
    with team_shop:
        from commerce.plugins.services import disable_plugin

        disable_plugin("groupbuy", actor="owner")
    connection.set_schema_to_public()
    paid = fake_stripe.pay(intent_id)

    hook = seat_paid_webhook(team_shop, "evt_seat_after_off", intent_id, taken_seat, paid)

    assert hook.json()["result"] == "processed"
    with team_shop:
        assert TeamMember.objects.get(pk=taken_seat.pk).status == "paid"
    assert shopper().get("/p/oolong/").content.decode().count("groupbuy-offer") == 0


def test_the_offer_shows_the_units_its_quota_still_allows(team_shop):
    from commerce.groupbuy.models import Campaign

    without_quota = shopper().get("/p/oolong/").content.decode()
    with team_shop:
        Campaign.objects.update(quota=3, units_sold=2)
    connection.set_schema_to_public()
    with_quota = shopper().get("/p/oolong/").content.decode()

    assert "quota-left" not in without_quota
    assert '<p class="badge warn" id="quota-left">1 unit left at this price</p>' in with_quota


def offer(page: str) -> str:
    """The group-buy block of a product page, up to the end of its form."""
    start = page.index('<div class="card" id="groupbuy-offer">')
    return page[start : page.index("</form>", start)]


def oolong_stock() -> int:
    from commerce.catalog.models import Stock
    from commerce.store.selectors import online_outlet

    return Stock.objects.get(variant__sku="OOL-100", outlet=online_outlet()).quantity


def test_a_member_takes_several_units_at_the_group_price_as_one_seat(team_shop, fake_stripe):
    from commerce.groupbuy.models import Campaign
    from commerce.orders.models import Order

    with team_shop:
        Campaign.objects.update(max_quantity_per_order=3)
        campaign_id = Campaign.objects.get().pk
    connection.set_schema_to_public()
    leader = shopper()
    block = offer(leader.get("/p/oolong/").content.decode())
    assert '<label for="id_quantity">Quantity:</label>' in block
    assert 'name="quantity" value="1" min="1" max="3"' in block

    too_many = leader.post(
        f"/groupbuy/{campaign_id}/seat/", {"email": "lead@example.test", "quantity": "4"}
    )

    assert too_many.status_code == 400
    assert too_many.context["form"].errors == {
        "quantity": ["Ensure this value is less than or equal to 3."]
    }
    assert 'data-field="quantity"' in too_many.content.decode()
    assert fake_stripe.intents == {}
    with team_shop:
        assert not Order.objects.exists()
        assert not TeamMember.objects.exists()
        assert not Team.objects.exists()
        assert oolong_stock() == 5

    taken_seat = take_and_pay(leader, fake_stripe, "lead@example.test", quantity=2)

    ((intent_id, intent),) = fake_stripe.intents.items()
    assert intent["amount"] == 2 * 2500
    with team_shop:
        seat = TeamMember.objects.select_related("order", "team").get()
        assert (seat.pk, seat.quantity, seat.is_leader) == (taken_seat.pk, 2, True)
        assert list(
            seat.order.lines.values_list("sku", "quantity", "unit_price", "line_total")
        ) == [("OOL-100", 2, Decimal("25.00"), Decimal("50.00"))]
        assert (seat.order.shipping_total, seat.order.total) == (Decimal("0.00"), Decimal("50.00"))
        assert (seat.team.size, seat.team.seats_taken) == (2, 1)
        assert oolong_stock() == 3
        token = seat.team.share_token
    connection.set_schema_to_public()
    fake_stripe.pay(intent_id)
    leader.get(f"/groupbuy/seats/{taken_seat.token}/return/")
    join_page = shopper().get(f"/groupbuy/t/{token}/").content.decode()
    assert 'name="quantity" value="1" min="1" max="3"' in join_page

    friend = shopper()
    friend_id = take_and_pay(friend, fake_stripe, "friend@example.test", token, quantity=3)

    friend_intent = next(key for key in fake_stripe.intents if key != intent_id)
    assert fake_stripe.intents[friend_intent]["amount"] == 3 * 2500
    fake_stripe.pay(friend_intent)
    friend.get(f"/groupbuy/seats/{friend_id.token}/return/")
    with team_shop:
        team = Team.objects.get()
        assert (team.status, team.seats_taken, team.seats_paid) == (TeamStatus.SUCCEEDED, 2, 2)
        assert list(TeamMember.objects.order_by("id").values_list("quantity", "status")) == [
            (2, "paid"),
            (3, "paid"),
        ]
        assert oolong_stock() == 0


def test_with_one_unit_a_member_no_quantity_is_shown_and_a_seat_is_one_unit(team_shop, fake_stripe):
    client = shopper()
    product = client.get("/p/oolong/").content.decode()
    assert 'id="field-email"' in offer(product)
    assert "quantity" not in offer(product)

    # A quantity posted anyway (the page offers none) is not read: the seat is one unit.
    taken_seat = take_and_pay(client, fake_stripe, "lead@example.test", quantity=2)

    (intent,) = fake_stripe.intents.values()
    assert intent["amount"] == 2500
    with team_shop:
        seat = TeamMember.objects.select_related("order", "team").get(pk=taken_seat.pk)
        assert seat.quantity == 1
        assert list(seat.order.lines.values_list("quantity", "unit_price")) == [
            (1, Decimal("25.00"))
        ]
        assert seat.order.total == Decimal("25.00")
        assert oolong_stock() == 4
        token = seat.team.share_token
    connection.set_schema_to_public()
    team_page = shopper().get(f"/groupbuy/t/{token}/")
    assert "quantity" not in team_page.context["form"].fields
    assert "quantity" not in team_page.content.decode()


def test_a_seat_is_reached_only_by_its_token_from_the_session_that_took_it(team_shop, fake_stripe):
    leader = shopper()
    seat = take_and_pay(leader, fake_stripe, "lead@example.test")
    (intent_id,) = fake_stripe.intents
    fake_stripe.pay(intent_id)
    requests_before = len(fake_stripe.requests)
    stranger = shopper()
    stranger.get("/p/oolong/")  # a session of its own
    anonymous = shopper()

    refused = [
        stranger.get(f"/groupbuy/seats/{seat.token}/pay/").status_code,
        stranger.get(f"/groupbuy/seats/{seat.token}/return/").status_code,
        stranger.post(f"/groupbuy/seats/{seat.token}/leave/").status_code,
        anonymous.get(f"/groupbuy/seats/{seat.token}/pay/").status_code,
        anonymous.get(f"/groupbuy/seats/{seat.token}/return/").status_code,
        anonymous.post(f"/groupbuy/seats/{seat.token}/leave/").status_code,
        leader.get(f"/groupbuy/seats/{seat.pk}/pay/").status_code,  # the old id links
        leader.get(f"/groupbuy/seats/{seat.pk}/return/").status_code,
        leader.get(f"/groupbuy/seats/{seat.token[:-1]}/return/").status_code,
    ]

    assert refused == [404] * 9
    assert fake_stripe.requests[requests_before:] == []  # nobody asked Stripe anything
    with team_shop:
        member = TeamMember.objects.get()
        assert (member.status, member.seat_token) == ("reserved", seat.token)
        assert len(seat.token) == 32
    connection.set_schema_to_public()

    back = leader.get(f"/groupbuy/seats/{seat.token}/return/")

    assert back.status_code == 302
    assert [(call.method, call.path) for call in fake_stripe.requests[requests_before:]] == [
        ("GET", f"/v1/payment_intents/{intent_id}")
    ]
    with team_shop:
        assert TeamMember.objects.get().status == "paid"


def test_the_pay_page_hands_stripe_a_return_url_with_the_seat_token(team_shop, fake_stripe):
    client = shopper()
    campaign_id = client.get("/p/oolong/").context["campaign"].pk
    taken = client.post(f"/groupbuy/{campaign_id}/seat/", {"email": "lead@example.test"})
    with team_shop:
        member = TeamMember.objects.get()
    connection.set_schema_to_public()

    card_page = client.get(taken["Location"])

    assert taken["Location"] == f"/groupbuy/seats/{member.seat_token}/pay/"
    assert card_page.context["return_url"] == (
        f"http://alpha.localhost/groupbuy/seats/{member.seat_token}/return/"
    )
    assert f"/seats/{member.pk}/" not in card_page.content.decode()


def test_the_shared_team_page_shows_no_seat_token_nor_any_members_details(team_shop, fake_stripe):
    with team_shop:
        from commerce.store.selectors import store_settings

        settings = store_settings()
        settings.shipping_flat_rate = Decimal("8.00")
        settings.save()
    connection.set_schema_to_public()
    leader = shopper()
    campaign_id = leader.get("/p/oolong/").context["campaign"].pk
    taken = leader.post(
        f"/groupbuy/{campaign_id}/seat/",
        {
            "email": "lead.private@example.test",
            "shipping_method": "flat",
            "contact_name": "Lead Secretname",
            "phone": "138 1234 5678",
            "address_line1": "77 Hidden Lane",
            "address_city": "Hangzhou",
            "address_postcode": "310000",
        },
    )
    assert taken.status_code == 302
    with team_shop:
        member = TeamMember.objects.select_related("team").get()
        token, seat_token = member.team.share_token, member.seat_token
    connection.set_schema_to_public()

    public_page = shopper().get(f"/groupbuy/t/{token}/").content.decode()
    own_page = leader.get(f"/groupbuy/t/{token}/").content.decode()
    product_page = shopper().get("/p/oolong/").content.decode()

    for page in (public_page, product_page):
        for private in (
            seat_token,
            "lead.private",
            "Secretname",
            "1234 5678",
            "Hidden Lane",
            "Hangzhou",
            "310000",
        ):
            assert private not in page
    assert f"/groupbuy/t/{token}/" in public_page  # the share link stays shareable
    assert f'href="/groupbuy/seats/{seat_token}/pay/"' in own_page  # its owner may pay


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", "lead\x00@example.test"),
        ("contact_name", "Lead\x00"),
        ("address_line1", "8 Nanjing\x00 Road"),
        ("address_city", "Shang\x00hai"),
        ("address_postcode", "20\x000000"),
        ("phone", "138\x00"),
        ("address_line1", "x" * 100_000),
        ("quantity", "9" * 400),
        ("quantity", "-1"),
        ("quantity", "0"),
        ("quantity", "1e9"),
        ("quantity", "\x00"),
        ("shipping_method", "flat\x00"),
    ],
)
def test_hostile_seat_form_values_are_refused_naming_the_field(team_shop, field, value):
    from commerce.groupbuy.models import Campaign
    from commerce.orders.models import Order

    with team_shop:
        Campaign.objects.update(max_quantity_per_order=3)
        campaign_id = Campaign.objects.get().pk
    connection.set_schema_to_public()
    data = {
        "email": "lead@example.test",
        "shipping_method": "flat",
        "contact_name": "Lead",
        "address_line1": "8 Nanjing Road",
        "address_city": "Shanghai",
        field: value,
    }

    response = shopper().post(f"/groupbuy/{campaign_id}/seat/", data)

    assert response.status_code == 400
    if "\x00" in value:  # refused before the view by the NUL guard, which names the field
        assert response.context["field"] == field
    else:
        assert list(response.context["form"].errors) == [field]
    with team_shop:
        assert not TeamMember.objects.exists()
        assert not Order.objects.exists()
        assert oolong_stock() == 5


@pytest.mark.parametrize(
    ("path", "status"),
    [
        # A NUL byte is refused by the bad-input guard in front of every view.
        ("/groupbuy/t/%00/", 400),
        ("/groupbuy/t/abc%00def/qr.svg", 400),
        ("/groupbuy/seats/%00/pay/", 400),
        # Tokens are URL-safe base64: anything else, or a huge number, names nothing.
        ("/groupbuy/t/" + "a" * 5000 + "/", 404),
        ("/groupbuy/t/a%20b/", 404),
        ("/groupbuy/seats/" + "9" * 400 + "/return/", 404),
        ("/groupbuy/" + "9" * 400 + "/seat/", 404),
        ("/groupbuy/99999999999999999999/seat/", 404),
    ],
)
def test_hostile_team_and_seat_addresses_are_refused(team_shop, path, status):
    client = shopper()
    answer = (
        client.post(path, {"email": "a@example.test"}) if "/seat/" in path else client.get(path)
    )

    assert answer.status_code == status
    with team_shop:
        assert not TeamMember.objects.exists()


@pytest.mark.parametrize("team", ["x" * 5000, "a b", "no-such-team"])
def test_joining_a_hostile_or_unknown_team_token_is_not_found_and_writes_nothing(team_shop, team):
    with team_shop:
        from commerce.groupbuy.models import Campaign

        campaign_id = Campaign.objects.get().pk
    connection.set_schema_to_public()

    answer = shopper().post(
        f"/groupbuy/{campaign_id}/seat/", {"email": "a@example.test", "team": team}
    )

    assert answer.status_code == 404
    with team_shop:
        assert not Team.objects.exists()
        assert not TeamMember.objects.exists()
