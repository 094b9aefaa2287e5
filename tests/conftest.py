import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client

from tenants import schemas
from tests.factories import TEST_PASSWORD, PlatformStaffFactory, ShopFactory


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database, plus the tenant template every test shop is cloned from."""
    with django_db_blocker.unblock():
        schemas.ensure_template_schema()
        connection.set_schema_to_public()


@pytest.fixture(autouse=True)
def _fresh_cache_and_schema():
    cache.clear()
    yield
    connection.set_schema_to_public()


@pytest.fixture
def password() -> str:
    return TEST_PASSWORD


@pytest.fixture
def shop(db):
    return ShopFactory(slug="alpha", shop_name="Alpha Tea")


@pytest.fixture
def other_shop(db):
    return ShopFactory(slug="bravo", shop_name="Bravo Noodles")


def on_host(client, host: str):
    """A test client whose requests all go to `host`."""
    client.defaults["HTTP_HOST"] = host
    return client


@pytest.fixture
def platform_client():
    """A browser on the platform host, apart from the `client` fixture's session."""
    return on_host(Client(), "localhost")


@pytest.fixture
def make_staff(db):
    def make(*roles: str):
        return PlatformStaffFactory(platform_roles=list(roles))

    return make
