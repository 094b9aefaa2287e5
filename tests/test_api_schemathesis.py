"""The API keeps its OpenAPI schema's word: schemathesis generates requests for every
operation from the schema a shop host serves (as an integrator calls it: with an API key of
the shop holding every scope, through Django's WSGI app) and checks that none answers 5xx
and that every answer - its status code and its body - is one the schema documents."""

from collections import Counter

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from django.test import Client
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from tests.api_keys import make_key
from tests.conftest import on_host

pytestmark = pytest.mark.django_db

SHOP_HOST = "alpha.localhost"
EXAMPLES_PER_OPERATION = 80
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


@pytest.fixture
def owner_client(selling_shop) -> Client:
    client = on_host(Client(), SHOP_HOST)
    client.force_login(selling_shop.owner)
    return client


@pytest.fixture
def owner_app(selling_shop):
    """Django's WSGI app as an integrator's program calls it on the shop host: with a key
    of the shop that holds every scope (no session, no CSRF)."""
    browser = {
        "HTTP_HOST": SHOP_HOST,
        "HTTP_AUTHORIZATION": f"Bearer {make_key(selling_shop.merchant)}",
    }
    handler = WSGIHandler()

    def app(environ, start_response):
        # The test's transaction must survive each request, as with Django's test client
        # (which connects these again after each of its own requests).
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        return handler({**environ, **browser}, start_response)

    yield app
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def exercise(operation, answers: Counter) -> None:
    """Send the operation's generated cases and check each answer against the schema."""

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def send(case):
        try:
            response = case.call_and_validate(checks=CHECKS)
        finally:
            connection.set_schema_to_public()
        answers[(operation.label, response.status_code)] += 1

    send()


def test_every_api_operation_answers_as_its_schema_says(owner_app, owner_client):
    served = owner_client.get("/api/schema/", {"format": "json"})
    connection.set_schema_to_public()
    assert served.status_code == 200
    schema = schemathesis.openapi.from_dict(served.json())
    schema.app = owner_app  # requests go through Django's WSGI handler, in this test's transaction
    answers: Counter = Counter()
    operations = [result.ok() for result in schema.get_all_operations()]

    for operation in operations:
        exercise(operation, answers)

    assert {label for label, _status in answers} == {operation.label for operation in operations}
    assert sum(answers.values()) >= 1000
    # Signed in for real: every list the owner may read answered 200 at least once.
    lists = {op.label for op in operations if op.method == "get" and "{" not in op.path}
    assert lists and lists <= {label for label, status in answers if status == 200}
