"""Shop addresses: reserved words (every routed first path segment, mail/DNS names), look-alikes
of existing shops, signups that do not reveal which emails have accounts, signup throttling."""

import threading
import time

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection
from django.test import Client
from django.urls import include, path

from accounts.models import User
from outbox.models import OutboxMessage
from outbox.services import deliver_due_messages
from tenants import slugs
from tenants.models import Merchant
from tests.conftest import on_host
from tests.factories import ShopFactory

pytestmark = pytest.mark.django_db

# A public URLconf with one route more than the real one (see the test using it).
urlpatterns = [
    path("loyalty/", lambda request: None, name="loyalty"),
    path("", include("config.urls_public")),
]


def signup_data(**overrides) -> dict:
    return {
        "shop_name": "Tea House",
        "slug": "tea-house",
        "email": "owner@teahouse.test",
        "password": "a-long-unusual-passphrase",
        "currency": "CNY",
        **overrides,
    }


def slug_errors(response) -> list[str]:
    return response.context["form"].errors.get("slug", [])


@pytest.fixture
def routes_read_afresh():
    slugs.routed_words.cache_clear()
    slugs.reserved_skeletons.cache_clear()
    yield
    slugs.routed_words.cache_clear()
    slugs.reserved_skeletons.cache_clear()


@pytest.mark.parametrize(
    "slug",
    [
        # Routed by the platform or a shop host (read from the URL resolvers).
        "accounts", "checkout", "webhooks", "healthz", "i18n", "groupbuy", "manage", "orders",
        "cart", "console", "signup", "shops", "admin", "static", "media",
        # Mail, DNS and infrastructure names.
        "auth", "oauth", "pay", "payments", "stripe", "secure", "localhost", "smtp", "ftp",
        "ns1", "ns9", "www", "mail", "imap", "pop", "api", "support", "help", "status",
        "docs", "blog", "cdn", "assets", "billing", "shop", "store", "app", "dashboard",
        "login",
        # Reserved words in disguise.
        "adm1n", "str1pe", "s-t-r-i-p-e", "paypa1", "check-out", "rnail",
        # Our schema names and punycode.
        "m-shop", "xn--tea-house",
    ],
)  # fmt: skip
def test_reserved_addresses_are_refused_and_nothing_is_written(platform_client, slug):
    response = platform_client.post("/signup/", signup_data(slug=slug))

    assert response.status_code == 400
    assert slug_errors(response) == [f"“{slug}” is reserved. Please choose another address."]
    assert Merchant.objects.count() == 0
    assert User.objects.count() == 0


def test_a_route_added_to_a_urlconf_is_reserved_without_listing_it(settings, routes_read_afresh):
    assert slugs.is_reserved("loyalty") is False

    settings.PUBLIC_SCHEMA_URLCONF = "tests.test_signup_addresses"
    slugs.routed_words.cache_clear()
    slugs.reserved_skeletons.cache_clear()

    assert slugs.is_reserved("loyalty") is True
    assert slugs.is_reserved("l0yalty") is True


@pytest.mark.parametrize(
    "lookalike",
    ["tea--house", "tea-h0use", "teahouse", "tea-hou5e", "t3a-h0u5e", "tea-house-", "te-ahouse"],
)
def test_look_alikes_of_an_existing_shop_are_refused(platform_client, lookalike):
    ShopFactory(slug="tea-house")

    response = platform_client.post("/signup/", signup_data(slug=lookalike, email="b@x.test"))

    assert response.status_code == 400
    if lookalike == "tea-house-":
        assert "Use 3-40 lowercase letters" in slug_errors(response)[0]
    else:
        assert slug_errors(response) == [
            f"“{lookalike}” looks too much like the address of an existing shop. "
            "Please choose another address."
        ]
    assert list(Merchant.objects.values_list("slug", flat=True)) == ["tea-house"]
    assert not User.objects.filter(email="b@x.test").exists()


def test_letter_pairs_that_read_as_one_letter_are_look_alikes(platform_client):
    ShopFactory(slug="modern-tea")

    response = platform_client.post("/signup/", signup_data(slug="rnodern-tea"))

    assert response.status_code == 400
    assert "looks too much like" in slug_errors(response)[0]


def test_unicode_letters_posing_as_latin_ones_are_named(platform_client):
    response = platform_client.post("/signup/", signup_data(slug="t\u0435a-house"))

    assert response.status_code == 400
    assert slug_errors(response) == [
        "“\u0435” only look like Latin letters. Use a-z, 0-9 and hyphens."
    ]
    assert Merchant.objects.count() == 0


@pytest.mark.parametrize("slug", ["tea-houses", "tea-home", "house-tea", "one", "two"])
def test_addresses_that_merely_resemble_are_accepted(platform_client, slug):
    ShopFactory(slug="tea-house")

    response = platform_client.post("/signup/", signup_data(slug=slug, email=f"{slug}@x.test"))

    assert response.status_code == 302
    merchant = Merchant.objects.get(slug=slug)
    assert merchant.slug_skeleton == slugs.slug_skeleton(slug)


def test_the_database_refuses_a_second_shop_with_the_same_skeleton():
    ShopFactory(slug="tea-house")

    with pytest.raises(IntegrityError, match="merchant_slug_skeleton_unique"):
        Merchant.objects.create(
            schema_name="m_lookalike", slug="tea-h0use", slug_skeleton="teahouse", name="Copy"
        )


@pytest.mark.django_db(transaction=True)
def test_two_racing_signups_for_look_alikes_open_one_shop():
    """The first signup has inserted its merchant but not committed when the second checks
    the address: the check passes, the insert waits on the unique index, then fails. The
    loser gets the slug's field error, not a 500."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from tenants.services import open_shop
    from tests.factories import TEST_PASSWORD

    password_hash = make_password(TEST_PASSWORD)
    first_inserted = threading.Event()
    outcome: dict[str, object] = {}

    def first_signup():
        try:
            with transaction.atomic():
                open_shop(
                    shop_name="Tea House",
                    slug="tea-house",
                    owner_email="first@x.test",
                    owner_password_hash=password_hash,
                )
                first_inserted.set()
                time.sleep(1.5)  # the second signup is now waiting on the index
        finally:
            first_inserted.set()
            connection.close()

    thread = threading.Thread(target=first_signup)
    thread.start()
    first_inserted.wait(timeout=30)
    try:
        open_shop(
            shop_name="Tea H0use",
            slug="tea-h0use",
            owner_email="second@x.test",
            owner_password_hash=password_hash,
        )
    except ValidationError as error:
        outcome["error"] = error.message_dict
    thread.join(timeout=30)

    assert outcome["error"] == {
        "slug": [
            "“tea-h0use” looks too much like the address of an existing shop. "
            "Please choose another address."
        ]
    }
    assert list(Merchant.objects.values_list("slug", flat=True)) == ["tea-house"]
    assert not User.objects.filter(email="second@x.test").exists()


def test_the_backfill_gives_old_look_alikes_distinct_skeletons():
    from importlib import import_module

    backfill = import_module("tenants.migrations.0003_merchant_slug_skeleton").backfill_skeletons
    older = ShopFactory(slug="tea-house").merchant
    newer = ShopFactory(slug="tea-shop").merchant
    # As if both had been opened before look-alikes were refused.
    Merchant.objects.filter(pk=newer.pk).update(slug="tea-h0use", slug_skeleton="unset-2")
    Merchant.objects.filter(pk=older.pk).update(slug_skeleton="unset-1")

    backfill(apps, None)

    assert dict(Merchant.objects.values_list("slug", "slug_skeleton")) == {
        "tea-house": "teahouse",
        "tea-h0use": f"teahouse~{newer.pk}",
    }


def test_an_existing_address_gets_a_notice_with_configured_links_and_no_shop(shop, mailoutbox):
    # A forged Host and port on the platform: the links still use PLATFORM_HOST.
    browser = on_host(Client(), "127.0.0.1:9999")

    response = browser.post("/signup/", signup_data(email=" Owner@Alpha.test "))

    assert response.status_code == 302
    assert response["Location"] == "/signup/check-email/"
    assert not Merchant.objects.filter(slug="tea-house").exists()
    notice = OutboxMessage.objects.get()
    assert notice.payload["to"] == ["owner@alpha.test"]
    assert deliver_due_messages().sent == 1
    assert len(mailoutbox) == 1
    body = mailoutbox[0].body
    assert mailoutbox[0].subject == "Someone tried to open a shop with your email address"
    assert "no shop was opened and your account is unchanged" in body
    assert "http://localhost/accounts/login/" in body
    assert "http://localhost/accounts/password-reset/" in body
    assert "9999" not in body and "127.0.0.1" not in body


def test_repeated_attempts_on_an_existing_address_send_one_notice_an_hour(platform_client, shop):
    for slug in ("tea-house", "tea-room", "tea-bar"):
        response = platform_client.post(
            "/signup/", signup_data(slug=slug, email="owner@alpha.test")
        )
        assert response["Location"] == "/signup/check-email/"

    assert OutboxMessage.objects.count() == 1
    assert Merchant.objects.count() == 1


def test_a_new_address_and_an_existing_one_get_the_same_answers_to_mistakes(platform_client, shop):
    new = platform_client.post("/signup/", signup_data(slug="admin", email="new@x.test"))
    existing = platform_client.post("/signup/", signup_data(slug="admin", email="owner@alpha.test"))

    assert new.status_code == existing.status_code == 400
    assert new.context["form"].errors == existing.context["form"].errors
    assert OutboxMessage.objects.count() == 0


def test_signups_over_the_limit_get_429_and_write_nothing(settings, platform_client):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "signup": "2/h"}
    for _visit in range(3):
        assert platform_client.get("/signup/").status_code == 200  # GETs are not counted
    for slug in ("admin", "ab"):
        assert platform_client.post("/signup/", signup_data(slug=slug)).status_code == 400

    refused = platform_client.post("/signup/", signup_data())

    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert Merchant.objects.count() == 0
    assert User.objects.count() == 0
    assert OutboxMessage.objects.count() == 0
