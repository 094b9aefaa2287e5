"""Sessions (core/sessions.py): read from Redis, kept in the database."""

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from commerce.catalog.models import Product
from core.sessions import SessionStore
from tests.conftest import on_host

pytestmark = pytest.mark.django_db


def test_a_first_add_to_cart_writes_the_session_in_one_insert_and_asks_nothing(selling_shop):
    with selling_shop.merchant:
        variant_id = Product.objects.get(slug="oolong").variants.get().pk
    connection.set_schema_to_public()
    shopper = on_host(Client(), "alpha.localhost")

    with CaptureQueriesContext(connection) as captured:
        added = shopper.post("/cart/add/", {"variant": variant_id, "quantity": "1"})

    session_statements = [q["sql"] for q in captured if "django_session" in q["sql"]]
    assert added.status_code == 302
    assert len(session_statements) == 1
    assert session_statements[0].startswith('INSERT INTO "django_session"')
    key = shopper.cookies["sessionid"].value
    assert SessionStore(key).load() == {"cart": {str(variant_id): 1}}


class ScriptedKeys(SessionStore):
    """Draws the given keys first: a clash the random source never produces."""

    keys: list[str] = []

    def _get_new_session_key(self) -> str:
        return self.keys.pop(0) if self.keys else super()._get_new_session_key()


def test_a_drawn_key_that_is_taken_is_drawn_again_and_the_old_session_is_untouched():
    taken = SessionStore()
    taken["cart"] = {"1": 2}
    taken.create()
    ScriptedKeys.keys = [taken.session_key]

    fresh = ScriptedKeys()
    fresh["cart"] = {"7": 1}
    fresh.create()

    assert fresh.session_key != taken.session_key
    assert Session.objects.count() == 2
    assert SessionStore(taken.session_key).load() == {"cart": {"1": 2}}
    assert SessionStore(fresh.session_key).load() == {"cart": {"7": 1}}
