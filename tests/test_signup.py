import pytest
from django.contrib.auth.hashers import make_password
from django.db import DataError, connection

from accounts.models import User
from tenants.models import Domain, Membership, MembershipRole, Merchant
from tenants.services import open_shop
from tests.factories import ShopFactory

pytestmark = pytest.mark.django_db


def schema_names() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'm\\_%%'")
        return {row[0] for row in cursor.fetchall()}


def signup_data(**overrides) -> dict:
    return {
        "shop_name": "Jade Tea",
        "slug": "jade-tea",
        "email": "Owner@Jade.test",
        "password": "a-long-unusual-passphrase",
        "currency": "CNY",
        **overrides,
    }


def test_signup_opens_a_shop_and_hands_the_owner_to_its_console(platform_client, client):
    response = platform_client.post("/signup/", signup_data())

    assert response.status_code == 302
    assert response["Location"].startswith("http://jade-tea.localhost/accounts/handoff/")
    merchant = Merchant.objects.get(slug="jade-tea")
    assert merchant.name == "Jade Tea"
    assert merchant.schema_name in schema_names()
    assert list(Domain.objects.filter(tenant=merchant).values_list("domain", "is_primary")) == [
        ("jade-tea.localhost", True)
    ]
    owner = User.objects.get(email="owner@jade.test")
    assert owner.check_password("a-long-unusual-passphrase")
    assert Membership.objects.get(merchant=merchant).role == MembershipRole.OWNER

    handoff_path = response["Location"].removeprefix("http://jade-tea.localhost")
    client.defaults["HTTP_HOST"] = "jade-tea.localhost"
    landed = client.get(handoff_path, follow=True)
    assert landed.redirect_chain == [("/manage/", 302)]
    assert landed.status_code == 200
    assert b"Welcome to Jade Tea" in landed.content


def test_the_handoff_link_works_once(platform_client, client):
    response = platform_client.post("/signup/", signup_data())
    handoff_path = response["Location"].removeprefix("http://jade-tea.localhost")
    client.defaults["HTTP_HOST"] = "jade-tea.localhost"
    assert client.get(handoff_path).status_code == 302
    client.logout()

    replay = client.get(handoff_path)

    assert replay.status_code == 400
    assert b"expired" in replay.content
    assert client.get("/manage/").status_code == 302  # still anonymous: sent to login


def test_a_handoff_token_does_not_open_another_shop(platform_client, client, other_shop):
    response = platform_client.post("/signup/", signup_data())
    handoff_path = response["Location"].removeprefix("http://jade-tea.localhost")
    client.defaults["HTTP_HOST"] = "bravo.localhost"

    assert client.get(handoff_path).status_code == 400
    assert client.get("/manage/").status_code == 302


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"slug": "admin"}, "slug", "is reserved"),
        ({"slug": "ab"}, "slug", "Use 3-40 lowercase letters"),
        ({"slug": "-jade"}, "slug", "Use 3-40 lowercase letters"),
        ({"slug": "jade_tea"}, "slug", "Use 3-40 lowercase letters"),
        ({"slug": "茶馆"}, "slug", "Use 3-40 lowercase letters"),
        ({"shop_name": ""}, "shop_name", "This field is required"),
        ({"email": "not-an-email"}, "email", "Enter a valid email address"),
        ({"password": "123"}, "password", "too short"),
        ({"currency": "XXX"}, "currency", "Select a valid choice"),
    ],
)
def test_bad_signup_input_names_the_field_and_writes_nothing(
    platform_client, overrides, field, message
):
    schemas_before = schema_names()

    response = platform_client.post("/signup/", signup_data(**overrides))

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == [field]
    assert message in " ".join(errors[field])
    assert f'data-field="{field}"'.encode() in response.content
    assert Merchant.objects.count() == 0
    assert User.objects.count() == 0
    assert schema_names() == schemas_before


def test_a_taken_slug_is_refused_with_a_clear_message(platform_client, shop):
    response = platform_client.post("/signup/", signup_data(slug="alpha"))

    assert response.status_code == 400
    assert response.context["form"].errors["slug"] == [
        "“alpha” is already taken. Please choose another address."
    ]
    assert Merchant.objects.filter(slug="alpha").count() == 1


def test_an_existing_account_email_opens_nothing_and_says_only_check_your_email(
    platform_client, shop
):
    response = platform_client.post("/signup/", signup_data(email="OWNER@alpha.test"))

    assert response.status_code == 302
    assert response["Location"] == "/signup/check-email/"
    assert "_auth_user_id" not in platform_client.session
    assert not Merchant.objects.filter(slug="jade-tea").exists()
    assert User.objects.filter(email="owner@alpha.test").count() == 1
    assert shop.owner.memberships.count() == 1
    page = platform_client.get(response["Location"])
    assert page.status_code == 200
    assert "Check your email" in page.content.decode()
    assert "already" not in page.content.decode()


def test_a_failure_midway_leaves_no_schema_merchant_or_domain():
    schemas_before = schema_names()

    with pytest.raises(DataError):
        open_shop(
            shop_name="Jade Tea",
            slug="jade-tea",
            owner_email=f"{'x' * 300}@jade.test",  # longer than the email column
            owner_password_hash=make_password("a-long-unusual-passphrase"),
        )

    assert not Merchant.objects.filter(slug="jade-tea").exists()
    assert not Domain.objects.filter(domain="jade-tea.localhost").exists()
    assert schema_names() == schemas_before


def test_signup_takes_a_schema_from_the_pool_when_one_is_ready():
    from tenants.models import PooledSchema
    from tenants.schemas import add_pooled_schema

    pooled = add_pooled_schema()

    opened = ShopFactory(slug="from-pool")

    assert opened.merchant.schema_name == pooled
    assert not PooledSchema.objects.exists()


def test_bulk_creation_command_opens_numbered_shops_and_skips_existing(capsys):
    from django.core.management import call_command

    call_command("create_merchants", 3, prefix="demo")
    call_command("create_merchants", 4, prefix="demo")

    assert sorted(Merchant.objects.values_list("slug", flat=True)) == [
        "demo-1",
        "demo-2",
        "demo-3",
        "demo-4",
    ]
    assert "Created 1 merchants (3 existed already)." in capsys.readouterr().out
