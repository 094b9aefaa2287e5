"""Shopper accounts: optional, per shop, signed in by an emailed single-use link; the
orders of the verified address (guest orders included), saved addresses at checkout."""

import hashlib
import re
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from commerce.catalog.models import Stock, Variant
from commerce.checkout.services import CheckoutRequest, place_order
from commerce.orders.models import Order
from commerce.orders.services import LineRequest
from commerce.shoppers.models import SavedAddress, ShopperAccount, SignInLink
from commerce.shoppers.services import LINKS_PER_EMAIL_PER_HOUR
from outbox.models import OutboxMessage
from tests.conftest import on_host
from tests.outbox import deliver_outbox

pytestmark = pytest.mark.django_db

LINK = re.compile(r"http://(?P<host>[a-z.]+)/account/sign-in/(?P<token>[A-Za-z0-9_-]+)/")


def browser(host: str = "alpha.localhost", address: str = "198.51.100.4") -> Client:
    client = on_host(Client(), host)
    client.defaults["REMOTE_ADDR"] = address
    return client


def without_csrf(response) -> str:
    """The page as every visitor sees it (the CSRF token is each browser's own)."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


def guest_order(shop, email: str) -> Order:
    with shop.merchant:
        order = place_order(
            CheckoutRequest(
                reference=str(uuid.uuid4()),
                lines=[LineRequest(Variant.objects.get(sku="OOL-100").pk, 1)],
                email=email,
                contact_name="Mei",
                payment_method="cash_on_delivery",
                shipping_method="pickup",
            )
        )
    connection.set_schema_to_public()
    return order


def ask_for_link(client: Client, email: str, mailoutbox) -> str:
    """Ask for a sign-in link and return the token of the email that arrived."""
    sent_before = len(mailoutbox)
    response = client.post("/account/sign-in/", {"email": email})
    assert response.status_code == 200
    assert deliver_outbox() >= 1
    [mail] = [mail for mail in mailoutbox[sent_before:] if LINK.search(mail.body)]
    assert mail.to == [email.strip().lower()]
    return LINK.search(mail.body)["token"]


def sign_in(client: Client, email: str, mailoutbox) -> None:
    token = ask_for_link(client, email, mailoutbox)
    assert client.post(f"/account/sign-in/{token}/").status_code == 302


def test_a_shopper_signs_in_by_link_and_sees_their_guest_orders(selling_shop, mailoutbox):
    first = guest_order(selling_shop, "Mei@Example.test")
    second = guest_order(selling_shop, "mei@example.test")
    guest_order(selling_shop, "li@example.test")  # someone else's
    client = browser()

    token = ask_for_link(client, " Mei@Example.TEST ", mailoutbox)
    link_mail = mailoutbox[-1]
    assert LINK.search(link_mail.body)["host"] == "alpha.localhost"
    assert "15" in link_mail.body
    # Opening the link (as a mail scanner would) does not use it up.
    assert client.get(f"/account/sign-in/{token}/").status_code == 200
    assert client.get("/account/").status_code == 302
    response = client.post(f"/account/sign-in/{token}/")
    assert response.status_code == 302 and response["Location"] == "/account/"

    page = client.get("/account/")
    assert page.status_code == 200
    assert [order.number for order in page.context["orders"]] == [second.number, first.number]
    assert page.context["account"].email == "mei@example.test"
    assert f"/orders/{first.status_token}/" in page.content.decode()
    # Single use: the same link again signs nobody in.
    again = browser().post(f"/account/sign-in/{token}/")
    assert again.status_code == 400
    assert "This sign-in link no longer works" in again.content.decode()


def test_the_account_page_costs_the_same_queries_for_two_orders_or_twenty(
    selling_shop, mailoutbox, django_assert_max_num_queries
):
    with selling_shop.merchant:
        Stock.objects.update(quantity=50)
    connection.set_schema_to_public()
    client = browser()
    sign_in(client, "mei@example.test", mailoutbox)
    for _order in range(2):
        guest_order(selling_shop, "mei@example.test")
    with django_assert_max_num_queries(8):
        assert len(client.get("/account/").context["orders"]) == 2
    for _order in range(18):
        guest_order(selling_shop, "mei@example.test")
    with django_assert_max_num_queries(8):
        assert len(client.get("/account/").context["orders"]) == 20


def test_the_answer_is_the_same_whether_or_not_the_address_is_known(selling_shop, mailoutbox):
    guest_order(selling_shop, "mei@example.test")
    with selling_shop.merchant:
        ShopperAccount.objects.create(email="mei@example.test")
    connection.set_schema_to_public()
    deliver_outbox()  # the order's confirmation
    known = browser().post("/account/sign-in/", {"email": "mei@example.test"})
    unknown = browser().post("/account/sign-in/", {"email": "nobody@example.test"})
    assert known.status_code == unknown.status_code == 200
    assert without_csrf(known) == without_csrf(unknown)
    assert deliver_outbox() == 2


def test_an_address_gets_a_bounded_number_of_links_and_the_same_answer_past_it(
    selling_shop, mailoutbox
):
    answers = set()
    for attempt in range(LINKS_PER_EMAIL_PER_HOUR + 2):
        # From a different client address each time: the per-address limit is the database's.
        response = browser(address=f"198.51.100.{attempt + 10}").post(
            "/account/sign-in/", {"email": "mei@example.test"}
        )
        answers.add((response.status_code, without_csrf(response)))
    assert len(answers) == 1
    with selling_shop.merchant:
        assert SignInLink.objects.count() == LINKS_PER_EMAIL_PER_HOUR
    assert deliver_outbox() == LINKS_PER_EMAIL_PER_HOUR


def test_sign_in_requests_over_the_client_limit_are_429_and_send_nothing(selling_shop, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "shopper_sign_in": "2/h"}
    client = browser()
    for email in ("a@example.test", "b@example.test"):
        assert client.post("/account/sign-in/", {"email": email}).status_code == 200
    over = client.post("/account/sign-in/", {"email": "c@example.test"})
    assert over.status_code == 429 and over["Retry-After"]
    assert client.get("/account/sign-in/").status_code == 200  # showing the form is free
    with selling_shop.merchant:
        assert sorted(SignInLink.objects.values_list("email", flat=True)) == [
            "a@example.test",
            "b@example.test",
        ]


def test_only_the_hash_of_the_token_is_stored_and_the_sent_email_is_blanked(
    selling_shop, mailoutbox
):
    token = ask_for_link(browser(), "mei@example.test", mailoutbox)
    with selling_shop.merchant:
        link = SignInLink.objects.get()
        assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert link.expires_at - link.created_at == timedelta(minutes=15)
    message = OutboxMessage.objects.get(dedupe_key__contains="shopper-sign-in")
    assert message.payload["body"] == "" and message.payload["sensitive"] is True


def test_an_expired_link_signs_nobody_in_and_makes_no_account(selling_shop, mailoutbox):
    client = browser()
    token = ask_for_link(client, "mei@example.test", mailoutbox)
    with selling_shop.merchant:
        SignInLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    connection.set_schema_to_public()
    assert client.post(f"/account/sign-in/{token}/").status_code == 400
    assert client.post("/account/sign-in/not-a-token/").status_code == 400
    assert client.get("/account/").status_code == 302
    with selling_shop.merchant:
        assert ShopperAccount.objects.count() == 0


def test_a_shopper_of_one_shop_is_unknown_to_another(selling_shop, other_shop, mailoutbox):
    guest_order(selling_shop, "mei@example.test")
    alpha = browser()
    token = ask_for_link(alpha, "mei@example.test", mailoutbox)
    # Alpha's link on Bravo's host: no such link there.
    bravo = browser("bravo.localhost")
    assert bravo.post(f"/account/sign-in/{token}/").status_code == 400
    with other_shop.merchant:
        assert ShopperAccount.objects.count() == 0
    connection.set_schema_to_public()
    assert alpha.post(f"/account/sign-in/{token}/").status_code == 302
    assert alpha.get("/account/").status_code == 200
    # Alpha's signed-in session cookie carried to Bravo's host signs nobody in there.
    bravo.cookies = alpha.cookies
    response = bravo.get("/account/")
    assert response.status_code == 302 and response["Location"] == "/account/sign-in/"


def test_the_shopper_session_is_apart_from_staff_login(selling_shop, mailoutbox):
    client = browser()
    sign_in(client, "owner@alpha.test", mailoutbox)
    # A shopper with the owner's email is no staff member.
    assert client.get("/manage/").status_code == 302
    client.force_login(selling_shop.owner)
    assert client.get("/manage/").status_code == 200
    assert client.get("/account/").status_code == 200
    assert client.post("/account/sign-out/").status_code == 302
    assert client.get("/account/").status_code == 302
    assert client.get("/manage/").status_code == 200  # staff login untouched


def test_saved_addresses_fill_the_checkout_and_another_accounts_are_not_offered(
    selling_shop, mailoutbox
):
    client = browser()
    sign_in(client, "mei@example.test", mailoutbox)
    home = {"label": "Home", "contact_name": "Mei Lin", "phone": "138", "line1": "1 Bund",
            "city": "Shanghai", "postcode": "200000"}  # fmt: skip
    office = {**home, "label": "Office", "line1": "88 Century Ave", "city": "Pudong"}
    assert client.post("/account/addresses/new/", home).status_code == 302
    assert client.post("/account/addresses/new/", office).status_code == 302
    with selling_shop.merchant:
        home_row, office_row = SavedAddress.objects.order_by("id")
        assert (home_row.is_default, office_row.is_default) == (True, False)
        stranger = ShopperAccount.objects.create(email="li@example.test")
        theirs = SavedAddress.objects.create(
            account=stranger, contact_name="Li", line1="9 Elsewhere", city="Beijing"
        )
        variant_id = Variant.objects.get(sku="OOL-100").pk
    connection.set_schema_to_public()
    client.post("/cart/add/", {"variant": variant_id, "quantity": "1"})

    page = client.get("/checkout/")
    initial = page.context["form"].initial
    assert (initial["email"], initial["address_line1"], initial["contact_name"]) == (
        "mei@example.test",
        "1 Bund",
        "Mei Lin",
    )
    assert "88 Century Ave" in page.content.decode()
    chosen = client.get(f"/checkout/?address={office_row.pk}").context["form"].initial
    assert (chosen["address_line1"], chosen["address_city"]) == ("88 Century Ave", "Pudong")
    stolen = client.get(f"/checkout/?address={theirs.pk}")
    assert stolen.context["form"].initial["address_line1"] == "1 Bund"
    assert "9 Elsewhere" not in stolen.content.decode()

    placed = client.post(
        "/checkout/",
        {
            "reference": str(chosen["reference"]),
            "contact_name": "Mei Lin",
            "email": "mei@example.test",
            "shipping_method": "flat",
            "address_line1": chosen["address_line1"],
            "address_city": chosen["address_city"],
            "address_postcode": chosen["address_postcode"],
            "payment_method": "cash_on_delivery",
        },
    )
    assert placed.status_code == 302
    with selling_shop.merchant:
        assert Order.objects.get().shipping_address == {
            "line1": "88 Century Ave",
            "city": "Pudong",
            "postcode": "200000",
        }
    connection.set_schema_to_public()
    # Deleting the default makes the remaining address the default.
    assert client.post(f"/account/addresses/{home_row.pk}/delete/").status_code == 302
    assert client.post(f"/account/addresses/{theirs.pk}/delete/").status_code == 302
    with selling_shop.merchant:
        assert list(SavedAddress.objects.values_list("line1", "is_default").order_by("id")) == [
            ("88 Century Ave", True),
            ("9 Elsewhere", False),
        ]


def test_a_visitor_who_is_not_signed_in_sees_only_the_sign_in_offer_at_checkout(selling_shop):
    client = browser()
    with selling_shop.merchant:
        variant_id = Variant.objects.get(sku="OOL-100").pk
    connection.set_schema_to_public()
    client.post("/cart/add/", {"variant": variant_id, "quantity": "1"})
    page = client.get("/checkout/?address=1")
    assert 'id="checkout-sign-in"' in page.content.decode()
    assert "email" not in page.context["form"].initial


@pytest.mark.parametrize(
    "value",
    ["x" * 1_000_000, "<script>alert(1)</script>" * 10, "   ", "🍵" * 300, "1e309"],
    ids=["megabyte", "html", "blank", "emoji", "number"],
)
def test_bad_address_input_is_a_400_naming_the_field_and_saves_nothing(
    selling_shop, mailoutbox, value
):
    client = browser()
    sign_in(client, "mei@example.test", mailoutbox)
    data = {"label": "", "contact_name": "Mei", "line1": value, "city": "Shanghai"}
    response = client.post("/account/addresses/new/", data)
    if value == "1e309":
        assert response.status_code == 302  # a street called "1e309" is an address
        return
    assert response.status_code == 400
    assert 'data-field="line1"' in response.content.decode()
    with selling_shop.merchant:
        assert SavedAddress.objects.count() == 0


def test_bad_sign_in_input_is_a_400_naming_the_field_and_writes_nothing(selling_shop):
    client = browser()
    for value in ("not an email", "a@" + "b" * 300 + ".test", "<b>@x.test", ""):
        response = client.post("/account/sign-in/", {"email": value})
        assert response.status_code == 400
        assert 'data-field="email"' in response.content.decode()
    assert client.post("/account/sign-in/", {"email": "a\x00@x.test"}).status_code == 400
    with selling_shop.merchant:
        assert SignInLink.objects.count() == 0
    assert not OutboxMessage.objects.exists()


def test_signing_in_from_the_checkout_comes_back_to_it_and_only_to_this_shop(
    selling_shop, mailoutbox
):
    client = browser()
    with selling_shop.merchant:
        variant_id = Variant.objects.get(sku="OOL-100").pk
    connection.set_schema_to_public()
    client.post("/cart/add/", {"variant": variant_id, "quantity": "1"})
    offer = client.get("/checkout/").content.decode()
    assert 'href="/account/sign-in/?next=/checkout/"' in offer
    form = client.get("/account/sign-in/?next=/checkout/").context["form"]
    assert form.initial["next"] == "/checkout/"
    assert client.post("/account/sign-in/", {"email": "mei@example.test", "next": "/checkout/"})
    deliver_outbox()
    token = LINK.search(mailoutbox[-1].body)["token"]
    response = client.post(f"/account/sign-in/{token}/")
    assert response["Location"] == "/checkout/"
    assert client.get("/checkout/").context["form"].initial["email"] == "mei@example.test"

    for elsewhere in ("https://evil.test/", "//evil.test/x", "/\\evil.test", "/" + "x" * 300):
        other = browser(address="198.51.100.99")
        assert other.post("/account/sign-in/", {"email": "li@example.test", "next": elsewhere})
        deliver_outbox()
        token = LINK.search(mailoutbox[-1].body)["token"]
        assert other.post(f"/account/sign-in/{token}/")["Location"] == "/account/"
