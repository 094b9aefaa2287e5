"""Group-buy seats and how their goods reach the member: a seat is collected (pickup) or
delivered, as the shop offers. With neither on, every seat is refused by the seat service,
and the pages say so before anyone tries: the console warns on every campaign page and on
the marketing card (with the shipping settings), and the shopper's pages show no seat form.
The service, the form and the warning read one rule (`selectors.seat_delivery_methods`),
so they cannot disagree."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client

from commerce.groupbuy.models import Campaign, Team, TeamMember
from commerce.groupbuy.seat_payments import take_offline_seat
from commerce.groupbuy.seats import SeatDetails
from commerce.groupbuy.selectors import seat_delivery_methods
from commerce.groupbuy.storefront import SeatForm
from commerce.orders.models import Order
from commerce.store.selectors import store_settings
from tenants.models import Membership, MembershipRole
from tests.conftest import on_host
from tests.factories import UserFactory
from tests.test_groupbuy import campaign_form
from tests.test_groupbuy_offline import hold, launch, offline_shop

pytestmark = pytest.mark.django_db

WARNING = (
    "Seats cannot be taken: this shop offers neither delivery nor pickup — turn one on in "
    "Store › Shipping."
)
LINK = '<a href="/manage/store/shipping/">Shipping settings</a>'
BANNER = f'<p id="seat-delivery" class="banner warn" role="alert">{WARNING} {LINK}</p>'
REFUSED = "This shop offers neither pickup nor delivery at the moment."
CLOSED = "This shop is not taking group-buy seats at the moment."


def shopper() -> Client:
    return on_host(Client(), "cod.localhost")


def ship(merchant, *, pickup: bool, rate: str | None) -> None:
    """Set how the shop gets its goods to shoppers (pickup, a delivery rate, both or none)."""
    with merchant:
        settings = store_settings()
        settings.local_pickup = pickup
        settings.shipping_flat_rate = Decimal(rate) if rate is not None else None
        settings.save()
    connection.set_schema_to_public()


def console_pages(client, campaign: Campaign) -> dict[str, str]:
    return {
        "marketing": client.get("/manage/marketing/").content.decode(),
        "campaigns": client.get("/manage/marketing/groupbuy/").content.decode(),
        "campaign": client.get(f"/manage/marketing/groupbuy/{campaign.pk}/").content.decode(),
    }


def test_the_console_warns_on_every_campaign_page_until_pickup_or_delivery_is_on(owner_client):
    merchant, variant_id = offline_shop()
    ship(merchant, pickup=False, rate=None)
    owner = owner_client(merchant)

    # Before any campaign: the list and its launch form say it, and so does a launch.
    before = owner.get("/manage/marketing/groupbuy/").content.decode()
    refused_launch = owner.post("/manage/marketing/groupbuy/", {"name": ""})
    launched = owner.post("/manage/marketing/groupbuy/", campaign_form(variant_id), follow=True)
    with merchant:
        campaign = Campaign.objects.get()
    connection.set_schema_to_public()
    pages = console_pages(owner, campaign)

    assert BANNER in before
    assert before.index(BANNER) < before.index("Launch a campaign")
    assert refused_launch.status_code == 400
    assert BANNER in refused_launch.content.decode()
    assert launched.redirect_chain == [("/manage/marketing/groupbuy/", 302)]
    assert BANNER in launched.content.decode()
    assert BANNER in pages["campaigns"]
    assert BANNER in pages["campaign"]
    # The marketing card: how seats are paid, then why none can be taken, and where to fix it.
    assert (
        '<p class="banner warn" role="alert" id="plugin-groupbuy-notice">Seats are held without '
        "card payment (the shop has no Stripe account yet): shoppers pay once their team is "
        "complete, by: Cash on delivery, Pay in store. A team that does not fill cancels its "
        f"orders: nothing to refund. {WARNING} {LINK}</p>"
    ) in pages["marketing"]

    # The merchant follows the link and turns pickup on: no warning anywhere.
    saved = owner.post(
        "/manage/store/shipping/",
        {"shipping_flat_rate": "", "free_shipping_over": "", "local_pickup": "on"},
    )
    assert saved.status_code == 302
    for name, page in console_pages(owner, campaign).items():
        assert WARNING not in page, name
        assert 'id="seat-delivery"' not in page, name
    assert (
        '<p class="muted" id="plugin-groupbuy-notice">Seats are held without card payment'
        in console_pages(owner, campaign)["marketing"]
    )


def test_a_shop_with_delivery_only_or_pickup_only_gets_no_warning(owner_client):
    merchant, variant_id = offline_shop()
    with merchant:
        campaign = launch(variant_id)
    connection.set_schema_to_public()
    owner = owner_client(merchant)

    for pickup, rate in ((True, None), (False, "8.00")):
        ship(merchant, pickup=pickup, rate=rate)
        for name, page in console_pages(owner, campaign).items():
            assert WARNING not in page, (pickup, rate, name)


def test_a_shop_taking_no_payment_and_offering_no_delivery_is_told_both_with_both_links(
    owner_client,
):
    merchant, variant_id = offline_shop(cash_on_delivery=False, pay_in_store=False)
    ship(merchant, pickup=False, rate=None)
    with merchant:
        campaign = launch(variant_id)
    connection.set_schema_to_public()

    pages = console_pages(owner_client(merchant), campaign)

    no_payment = (
        "Shoppers cannot take seats: this shop takes no payment yet. Connect Stripe for card "
        "payments, or accept cash on delivery or pay in store."
    )
    assert (
        f'id="plugin-groupbuy-notice">{no_payment} {WARNING} '
        '<a href="/manage/store/payments/">Payment settings</a> '
        f"{LINK}</p>"
    ) in pages["marketing"]
    for name in ("campaigns", "campaign"):
        assert f"{no_payment} " in pages[name]
        assert BANNER in pages[name]


def test_a_marketing_member_reads_the_warning_without_a_link_to_pages_they_cannot_open():
    merchant, variant_id = offline_shop()
    ship(merchant, pickup=False, rate=None)
    with merchant:
        campaign = launch(variant_id)
    connection.set_schema_to_public()
    marketer = UserFactory()
    Membership.objects.create(user=marketer, merchant=merchant, role=MembershipRole.MARKETING)
    client = on_host(Client(), "cod.localhost")
    client.force_login(marketer)

    pages = console_pages(client, campaign)

    assert client.get("/manage/store/shipping/").status_code == 403
    assert (
        f'<p id="seat-delivery" class="banner warn" role="alert">{WARNING}</p>' in pages["campaign"]
    )
    assert f"{WARNING}</p>" in pages["marketing"]
    assert "/manage/store/shipping/" not in pages["campaigns"] + pages["marketing"]


def test_the_shoppers_pages_offer_no_seat_form_while_the_shop_offers_neither():
    merchant, variant_id = offline_shop()
    with merchant:
        campaign = launch(variant_id)
        leader = hold(campaign, "lead@example.test")  # taken while pickup was on
        token = leader.team.share_token
    ship(merchant, pickup=False, rate=None)

    product = shopper().get("/p/lychee/").content.decode()
    team = shopper().get(f"/groupbuy/t/{token}/").content.decode()
    refused = shopper().post(
        f"/groupbuy/{campaign.pk}/seat/",
        {"email": "friend@example.test", "team": token, "payment_method": "cash_on_delivery"},
    )

    assert f'<p class="muted" id="groupbuy-closed">{CLOSED}</p>' in product
    assert 'id="start-team"' not in product
    assert 'name="email"' not in product
    assert f'<p class="muted" id="groupbuy-closed">{CLOSED}</p>' in team
    assert 'id="take-seat"' not in team
    assert refused.status_code == 400
    assert REFUSED in refused.content.decode()
    with merchant:
        assert TeamMember.objects.count() == 1
        assert Team.objects.get().seats_taken == 1


@pytest.mark.parametrize(
    ("pickup", "rate"), [(False, None), (True, None), (False, "8.00"), (True, "8.00")]
)
def test_the_seat_service_refuses_exactly_what_the_console_warns_about(pickup, rate, owner_client):
    """Every setting of pickup and delivery: the form offers the selector's methods, the
    service takes a seat by each of them and refuses any other (naming `shipping_method`),
    and the console warns exactly when it would refuse every seat."""
    merchant, variant_id = offline_shop()
    ship(merchant, pickup=pickup, rate=rate)
    with merchant:
        campaign = launch(variant_id)
        offered = seat_delivery_methods()
        form_choices = [value for value, _label in SeatForm().fields["shipping_method"].choices]
        outcomes = {}
        for method in ("pickup", "flat"):
            try:
                take_offline_seat(
                    campaign_id=campaign.pk,
                    email=f"{method}@example.test",
                    payment_method="cash_on_delivery",
                    details=SeatDetails(
                        shipping_method=method,
                        shipping_address={"line1": "2 Bund", "city": "Shanghai"},
                    ),
                )
            except ValidationError as refused:
                outcomes[method] = refused.message_dict
            else:
                outcomes[method] = "taken"
        orders = Order.objects.count()
    connection.set_schema_to_public()
    page = owner_client(merchant).get("/manage/marketing/groupbuy/").content.decode()

    expected = [method for method, on in (("pickup", pickup), ("flat", rate)) if on]
    assert offered == expected
    assert form_choices == expected
    assert [method for method, outcome in outcomes.items() if outcome == "taken"] == expected
    assert orders == len(expected)  # a refusal writes nothing
    for method, outcome in outcomes.items():
        if method in expected:
            continue
        if not expected:
            assert outcome == {"shipping_method": [REFUSED]}
        elif method == "pickup":
            assert outcome == {"shipping_method": ["This shop does not offer pickup."]}
        else:
            assert outcome == {"shipping_method": ["Choose a shipping method."]}
    assert (WARNING in page) is (not expected)
