"""API keys for tests: made through the service, as the console makes them."""

from django.db import connection
from django.test import Client

from commerce.developers.keys import create_api_key
from commerce.developers.models import Access, Resource
from tests.conftest import on_host

EVERYTHING = {resource.value: Access.WRITE for resource in Resource}
READ_ONLY = {resource.value: Access.READ for resource in Resource}


def make_key(merchant, scopes: dict[str, str] | None = None, **kwargs) -> str:
    """A new key of `merchant` (all scopes, write, unless told); returns its secret."""
    with merchant:
        created = create_api_key(
            name=kwargs.pop("name", "Test integration"),
            scopes=EVERYTHING if scopes is None else scopes,
            expires_at=kwargs.pop("expires_at", None),
            actor="owner@test",
        )
    connection.set_schema_to_public()
    return created.secret


def key_client(secret: str, host: str) -> Client:
    """A client that sends `Authorization: Bearer <secret>` to `host`, no session."""
    client = on_host(Client(), host)
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    return client
