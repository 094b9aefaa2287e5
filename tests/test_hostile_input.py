"""Invariant 8 swept: bad input gets a 4xx naming the field, nothing half-written, never a 5xx.

Every URL of both URLconfs is found by walking the resolvers (tests/routes.py), fetched as
the shop owner (shop host) or a platform admin (platform host), and every form in the HTML
it answers is submitted with hostile values: a NUL byte, 1e309, forty 9s, a negative
number, a 1 MB string, emoji, HTML. The API's writable serializer fields and query
parameters come from its OpenAPI schema and get the same values as JSON, plus a wrong type
and a document nested 5,000 deep. A new URL, form or field is covered without editing
this file.

Each submission must answer below 500. A 4xx must leave every table as it was and, when it
is a 400, name a field it was sent (or, for the whole request, the problem). A value that
is accepted (emoji in a name) must come back escaped: no page may show the HTML raw.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from html.parser import HTMLParser
from urllib.parse import quote, urljoin, urlsplit

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.urls.converters import IntConverter, UUIDConverter
from drf_spectacular.generators import SchemaGenerator

from accounts.models import PlatformRole
from commerce.catalog.models import Product, Variant
from commerce.checkout.services import CheckoutRequest, place_order
from commerce.orders.services import LineRequest
from commerce.plugins.registry import REGISTRY
from commerce.plugins.services import enable_plugin
from commerce.store.models import Outlet, StoreSettings
from tests.conftest import on_host
from tests.factories import PlatformStaffFactory
from tests.routes import Route, routes

pytestmark = pytest.mark.django_db

SHOP_HOST = "alpha.localhost"
PLATFORM_HOST = "localhost"
HTML_MARKER = '<b id="hostile">x</b>'
HOSTILE_VALUES = {
    "nul": "tea\x00leaf",
    "huge_float": "1e309",
    "forty_nines": "9" * 40,
    "negative": "-1",
    "emoji": "茶🍵",
    "html": HTML_MARKER,
}
MEGABYTE = "x" * 1_000_000
# Fields sent 1 MB each per request: two of them stay under DATA_UPLOAD_MAX_MEMORY_SIZE.
MEGABYTE_FIELDS_PER_REQUEST = 2
# Forms whose acceptance would end the sweep's session or shop, or that leave the host.
SKIPPED_ACTIONS = ("/accounts/logout/", "/i18n/setlang/")
# Health checks answer 503 by design when a dependency (a Celery worker) is not there.
SKIPPED_ROUTES = ("healthz", "shop_healthz")
# Tables that change on any request (sessions, login bookkeeping), not business rows.
VOLATILE_TABLES = re.compile(r"^(django_session|axes_.*|django_admin_log)$")


@dataclass
class Form:
    page: str
    action: str
    method: str
    values: dict[str, str] = field(default_factory=dict)  # as the page filled them in
    hidden: set[str] = field(default_factory=set)
    files: set[str] = field(default_factory=set)


class FormFinder(HTMLParser):
    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.page = page
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form":
            self._form = Form(
                page=self.page,
                action=urljoin(self.page, attributes.get("action") or self.page),
                method=(attributes.get("method") or "get").lower(),
            )
            self.forms.append(self._form)
            return
        if self._form is None or not attributes.get("name"):
            return
        name = attributes["name"]
        if tag == "input":
            kind = attributes.get("type", "text").lower()
            if kind in ("submit", "button", "reset", "image"):
                return
            if kind == "file":
                self._form.files.add(name)
                return
            if kind == "hidden":
                self._form.hidden.add(name)
            if kind in ("checkbox", "radio") and "checked" not in attributes:
                self._form.values.setdefault(name, "")
                return
            self._form.values[name] = attributes.get("value", "on" if kind == "checkbox" else "")
        elif tag in ("select", "textarea"):
            self._form.values.setdefault(name, "")
            if tag == "textarea":
                self._textarea = name

    def handle_data(self, data):
        if self._form is not None and self._textarea:
            self._form.values[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "textarea":
            self._textarea = None


def forms_in(page: str, html: str) -> list[Form]:
    finder = FormFinder(page)
    finder.feed(html)
    return finder.forms


@dataclass
class Sweep:
    client: Client
    user: object
    host: str
    schemas: tuple[str, ...]
    findings: list[str] = field(default_factory=list)
    checked: set[str] = field(default_factory=set)  # the URL paths sent hostile input
    accepted_html_on: set[str] = field(default_factory=set)

    def fresh_client(self) -> Client:
        # An accepted form may have ended the session (a password change): log in again.
        if "_auth_user_id" not in self.client.session:
            self.client.force_login(self.user)
        return self.client

    def table_counts(self) -> dict[str, int]:
        parts = []
        with connection.cursor() as cursor:
            for schema in self.schemas:
                cursor.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = %s ORDER BY tablename",
                    [schema],
                )
                for (table,) in cursor.fetchall():
                    if not VOLATILE_TABLES.match(table):
                        parts.append(
                            f'SELECT \'{schema}.{table}\', count(*) FROM "{schema}"."{table}"'
                        )
            cursor.execute(" UNION ALL ".join(parts))
            return dict(cursor.fetchall())

    def check(self, label: str, fields: list[str], send) -> None:
        before = self.table_counts()
        self.checked.add(label.split()[1].split("?")[0])
        response = send()
        connection.set_schema_to_public()
        status = response.status_code
        where = f"{label} {fields[:6]}"
        if status >= 500:
            self.findings.append(f"{where}: {status}")
            return
        if 400 <= status < 500:
            after = self.table_counts()
            changed = {t: (before[t], after.get(t)) for t in before if before[t] != after.get(t)}
            if changed:
                self.findings.append(f"{where}: {status} but wrote {changed}")
            if status == 400 and not names_a_field(response, fields):
                self.findings.append(f"{where}: 400 names none of the fields it was sent")


def body_text(response) -> str:
    content = getattr(response, "content", b"")
    return content.decode("utf-8", "replace") if isinstance(content, bytes) else ""


def names_a_field(response, fields: list[str]) -> bool:
    """A 400 names a field it was sent (its name, its error next to it) or the request's
    problem as a whole (non_field_errors / detail / a form-wide error)."""
    text = body_text(response)
    if response.get("Content-Type", "").startswith("application/json"):
        try:
            body = json.loads(text)
        except ValueError:
            return False
        keys = json.dumps(body)
        return any(f'"{name.split("-")[-1]}"' in keys for name in fields) or any(
            key in keys for key in ('"non_field_errors"', '"detail"')
        )
    # A form re-rendered with its fields, or a page saying why the action cannot be done
    # (the order was fulfilled by an earlier, accepted value).
    return any(name in text for name in fields) or 'class="error' in text or "errorlist" in text


def url_for(route: Route, ids: dict[str, object]) -> str | None:
    if any(name == "format" for name, _converter in route.params):
        return None  # the `.json` twins of API routes answer what their routes answer
    kwargs = {}
    for name, converter in route.params:
        if isinstance(converter, UUIDConverter):
            kwargs[name] = ids.get(name, uuid.uuid4())
        elif isinstance(converter, IntConverter) or name == "pk":
            kwargs[name] = ids.get(name, 1)
        else:
            kwargs[name] = ids.get(name, "not-a-real-value")
    return reverse(route.name, kwargs=kwargs, urlconf=route_urlconf(route))


_URLCONF_OF: dict[str, str] = {}


def route_urlconf(route: Route) -> str:
    return _URLCONF_OF[route.name]


def pages(urlconf: str, ids: dict[str, object]) -> list[tuple[str, str]]:
    found = []
    for route in routes(urlconf, skip_namespaces=("admin",)):
        if route.name in SKIPPED_ROUTES:
            continue
        _URLCONF_OF[route.name] = urlconf
        url = url_for(route, ids)
        if url is not None:
            found.append((route.name, url))
    return found


def hostile_forms(sweep: Sweep, urlconf: str, ids: dict[str, object]) -> None:
    """Fetch every page, then send every form found hostile values; forms that switch a
    plugin off go last, so the plugin's own pages and forms are swept while it is on."""
    seen: set[tuple[str, str, tuple]] = set()
    found: list[tuple[str, Form]] = []
    for name, url in pages(urlconf, ids):
        response = sweep.fresh_client().get(url)
        connection.set_schema_to_public()
        if response.status_code >= 500:
            sweep.findings.append(f"GET {url}: {response.status_code}")
            continue
        sweep.check(
            f"GET {url}%00", ["path"], lambda url=url: sweep.fresh_client().get(url + "%00")
        )
        if not response.get("Content-Type", "").startswith("text/html"):
            continue
        for form in forms_in(url, body_text(response)):
            action = urlsplit(form.action)
            if action.netloc and action.netloc.split(":")[0] != sweep.host:
                continue
            if action.path in SKIPPED_ACTIONS:
                continue
            key = (form.method, action.path, tuple(sorted(form.values)))
            if key not in seen:
                seen.add(key)
                found.append((name, form))
    found.sort(key=lambda item: urlsplit(item[1].action).path.endswith("/switch/"))
    for name, form in found:
        submit_hostile(sweep, name, form)


def fillable(form: Form) -> list[str]:
    return [name for name in form.values if name != "csrfmiddlewaretoken"]


def submit_hostile(sweep: Sweep, url_name: str, form: Form) -> None:
    names = fillable(form)
    if not names:
        return
    path = urlsplit(form.action).path

    def send(values: dict[str, str]):
        data = {**form.values, **values}
        client = sweep.fresh_client()
        if form.method == "get":
            return client.get(path, data)
        return client.post(path, data)

    for kind, value in HOSTILE_VALUES.items():
        values = dict.fromkeys(names, value)
        label = f"{form.method.upper()} {path} ({kind}, from {form.page})"
        sweep.check(label, names, lambda values=values: send(values))
    for start in range(0, len(names), MEGABYTE_FIELDS_PER_REQUEST):
        chunk = names[start : start + MEGABYTE_FIELDS_PER_REQUEST]
        label = f"{form.method.upper()} {path} (1 MB, from {form.page})"
        sweep.check(label, chunk, lambda chunk=chunk: send(dict.fromkeys(chunk, MEGABYTE)))


def assert_html_escaped(sweep: Sweep, urlconf: str, ids: dict[str, object]) -> None:
    """Values the forms accepted come back escaped on every page."""
    for _name, url in pages(urlconf, ids):
        response = sweep.fresh_client().get(url)
        connection.set_schema_to_public()
        if HTML_MARKER in body_text(response):
            sweep.findings.append(f"GET {url} shows {HTML_MARKER} unescaped")


# --- the API, from its OpenAPI schema ------------------------------------------------------


def api_operations() -> list[tuple[str, str, dict]]:
    schema = SchemaGenerator(urlconf="config.urls_tenant").get_schema(request=None, public=True)
    operations = []
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            operations.append((path, method, operation, schema))
    return operations


def resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def example_body(schema: dict, node: dict, value, depth: int = 0):
    """A request body shaped like the schema whose every leaf is `value`."""
    node = resolve(schema, node)
    if node.get("type") == "array" or "items" in node:
        return [example_body(schema, node["items"], value, depth + 1)]
    if node.get("type") == "object" or "properties" in node:
        return {
            name: example_body(schema, prop, value, depth + 1)
            for name, prop in node.get("properties", {}).items()
            if not resolve(schema, prop).get("readOnly")
        }
    return value


def leaf_names(body) -> list[str]:
    if isinstance(body, dict):
        return [n for key, item in body.items() for n in [key, *leaf_names(item)]]
    if isinstance(body, list):
        return [n for item in body for n in leaf_names(item)]
    return []


def concrete(path: str, ids: dict[str, object]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: str(ids.get(m.group(1), 1)), path)


def send_json(client: Client, method: str, url: str, body: str):
    if method in ("get", "head", "delete", "options"):
        return getattr(client, method)(url)
    return getattr(client, method)(url, body, content_type="application/json")


def hostile_api(sweep: Sweep, ids: dict[str, object]) -> None:
    values = {
        **HOSTILE_VALUES,
        "megabyte": "x" * 200_000,
        "wrong_type_object": {"nested": [1, 2]},
        "wrong_type_number": 1e308,
        "bool": True,
    }
    # Written out by hand: json.dumps itself gives up past ~1,000 levels.
    deep = "[" * 5000 + '"leaf"' + "]" * 5000
    for path, method, operation, schema in api_operations():
        url = concrete(path, ids)
        if method == "get":
            sweep.check(f"GET {url}", [], lambda url=url: sweep.fresh_client().get(url))
        for parameter in operation.get("parameters", []):
            if parameter.get("in") == "path":
                for kind, value in HOSTILE_VALUES.items():
                    placeholder = "{" + parameter["name"] + "}"
                    hostile_url = concrete(path.replace(placeholder, quote(value, safe="")), ids)
                    sweep.check(
                        f"{method.upper()} {hostile_url} ({kind})",
                        [parameter["name"], "path", "detail"],
                        lambda u=hostile_url, m=method: send_json(sweep.fresh_client(), m, u, "{}"),
                    )
            if parameter.get("in") != "query":
                continue
            for kind, value in HOSTILE_VALUES.items():
                label = f"GET {url}?{parameter['name']}= ({kind})"
                sweep.check(
                    label,
                    [parameter["name"]],
                    lambda url=url, p=parameter["name"], v=value: sweep.fresh_client().get(
                        url, {p: v}
                    ),
                )
        body_schema = (
            operation.get("requestBody", {}).get("content", {}).get("application/json", {})
        )
        if not body_schema:
            continue
        for kind, value in values.items():
            body = example_body(schema, body_schema["schema"], value)
            sweep.check(
                f"{method.upper()} {url} ({kind})",
                leaf_names(body),
                lambda url=url, method=method, body=body: getattr(sweep.fresh_client(), method)(
                    url, json.dumps(body), content_type="application/json"
                ),
            )
        sweep.check(
            f"{method.upper()} {url} (5,000 levels deep)",
            ["non_field_errors"],
            lambda url=url, method=method: getattr(sweep.fresh_client(), method)(
                url, deep, content_type="application/json"
            ),
        )


# --- fixtures and the sweeps ---------------------------------------------------------------


@pytest.fixture
def shop_ids(selling_shop, other_shop) -> dict[str, object]:
    with selling_shop.merchant:
        # Every plugin on, so that its pages and forms are swept too.
        for key in REGISTRY:
            enable_plugin(key, actor="test")
        order = place_order(
            CheckoutRequest(
                reference=str(uuid.uuid4()),
                lines=[LineRequest(Variant.objects.get(sku="PUER-357").pk, 1)],
                email="mei@example.test",
                contact_name="Mei",
                payment_method="pay_in_store",
                shipping_method="pickup",
            )
        )
        product = Product.objects.get(slug="oolong")
        ids = {
            "slug": product.slug,
            "token": order.status_token,
            "product_id": product.pk,
            "order_id": order.pk,
            "outlet_id": Outlet.objects.order_by("pk").first().pk,
            "pk": product.pk,
            "id": product.pk,
            "merchant_id": other_shop.merchant.pk,
            "table": "orders",
        }
    connection.set_schema_to_public()
    return ids


@pytest.fixture
def owner_sweep(selling_shop) -> Sweep:
    client = on_host(Client(), SHOP_HOST)
    return Sweep(
        client=client,
        user=selling_shop.owner,
        host=SHOP_HOST,
        schemas=("public", selling_shop.merchant.schema_name),
    )


@pytest.fixture
def admin_sweep(selling_shop, other_shop) -> Sweep:
    admin = PlatformStaffFactory(platform_roles=[PlatformRole.PLATFORM_ADMIN])
    return Sweep(
        client=on_host(Client(), PLATFORM_HOST),
        user=admin,
        host=PLATFORM_HOST,
        schemas=("public", selling_shop.merchant.schema_name, other_shop.merchant.schema_name),
    )


def test_every_form_of_a_shop_host_refuses_hostile_input_naming_the_field(owner_sweep, shop_ids):
    hostile_forms(owner_sweep, "config.urls_tenant", shop_ids)
    assert_html_escaped(owner_sweep, "config.urls_tenant", shop_ids)

    assert owner_sweep.findings == []
    assert {
        "/manage/products/new/",
        "/manage/store/shipping/",
        "/manage/marketing/groupbuy/",
        "/",
    } <= owner_sweep.checked


def test_every_api_field_and_filter_refuses_hostile_input_naming_the_field(owner_sweep, shop_ids):
    hostile_api(owner_sweep, shop_ids)

    assert owner_sweep.findings == []
    assert {concrete(path, shop_ids) for path, *_rest in api_operations()} <= owner_sweep.checked


def test_every_form_of_the_platform_host_refuses_hostile_input_naming_the_field(
    admin_sweep, shop_ids
):
    hostile_forms(admin_sweep, "config.urls_public", shop_ids)
    assert_html_escaped(admin_sweep, "config.urls_public", shop_ids)

    assert admin_sweep.findings == []
    assert {"/signup/", "/console/merchants/"} <= admin_sweep.checked


# --- the fixes the sweeps keep ---------------------------------------------------------------


def test_a_nul_in_a_query_parameter_is_a_400_page_naming_it(selling_shop, client):
    response = on_host(client, SHOP_HOST).get("/", {"q": "oo\x00long"})

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert "“q”" in response.content.decode()


def test_a_nul_in_a_json_value_is_a_400_naming_the_field_and_writes_nothing(
    owner_sweep, selling_shop
):
    body = {"title": "Tea", "variants": [{"sku": "T\x00-1", "price": "1.00"}]}
    with selling_shop.merchant:
        before = Product.objects.count()

    response = owner_sweep.fresh_client().post(
        "/api/v1/products/", json.dumps(body), content_type="application/json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["variants.0.sku"]
    with selling_shop.merchant:
        assert Product.objects.count() == before


def test_json_nested_5000_deep_is_a_400_naming_the_problem(owner_sweep):
    deep = "[" * 5000 + "1" + "]" * 5000

    response = owner_sweep.fresh_client().post(
        "/api/v1/products/", deep, content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["The JSON document is nested more than 32 levels deep."]
    }


def test_the_api_parser_refuses_json_deeper_than_the_cap_when_called_directly():
    from io import BytesIO

    from rest_framework.exceptions import ParseError

    from core.parsers import DepthLimitedJSONParser

    parser = DepthLimitedJSONParser()
    shallow = parser.parse(BytesIO(b'{"a": [[1]]}'))
    with pytest.raises(ParseError, match="nested more than 32 levels"):
        parser.parse(BytesIO(b"[" * 40 + b"]" * 40))

    assert shallow == {"a": [[1]]}


def test_order_search_called_directly_takes_a_nul_and_forty_digits(selling_shop):
    from commerce.orders.selectors import OrderFilters, filtered_orders

    with selling_shop.merchant:
        found = [
            list(filtered_orders(OrderFilters(query=text)))
            for text in ("me\x00i", "9" * 40, "#" + "9" * 40)
        ]

    assert found == [[], [], []]


def test_a_nul_in_the_console_merchant_search_is_a_400_naming_it(admin_sweep):
    response = admin_sweep.fresh_client().get("/console/merchants/", {"q": "al\x00pha"})

    assert response.status_code == 400
    assert "“q”" in response.content.decode()


def test_pages_forbid_a_base_element_and_foreign_form_targets(selling_shop, client):
    policy = on_host(client, SHOP_HOST).get("/")["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())

    assert directives["base-uri"] == "'none'"
    assert directives["form-action"].split()[0] == "'self'"


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("1e309", "Enter a price below 10000000000."),
        ("9" * 40, "Enter a price below 10000000000."),
        ("NaN", "Enter a number."),
        ("-Infinity", "Enter a number."),
    ],
)
def test_shipping_amounts_beyond_the_column_are_refused_naming_the_field(
    owner_sweep, selling_shop, amount, message
):
    response = owner_sweep.fresh_client().post(
        "/manage/store/shipping/", {"shipping_flat_rate": amount, "free_shipping_over": ""}
    )

    assert response.status_code == 400
    assert response.context["form"].errors["shipping_flat_rate"] == [message]
    with selling_shop.merchant:
        assert StoreSettings.objects.get().shipping_flat_rate == Decimal("10.00")
