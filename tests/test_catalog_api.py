import pytest
from django.test import Client

from commerce.catalog.models import Category, Product, Stock, Variant
from commerce.store.selectors import online_outlet
from tests.conftest import on_host

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(selling_shop):
    client = on_host(Client(), "alpha.localhost")
    client.force_login(selling_shop.owner)
    return client


def product(**changes) -> dict:
    return {
        "title": "Silver needle 白毫银针",
        "description": "White tea",
        "is_published": True,
        "variants": [
            {"sku": "SN-25", "name": "25 g", "price": "88.00", "compare_at_price": "99.00"},
            {"sku": "SN-50", "name": "50 g", "price": "160.00"},
        ],
        **changes,
    }


def post(api, path: str, data: dict):
    return api.post(path, data, content_type="application/json")


def put(api, path: str, data: dict):
    return api.put(path, data, content_type="application/json")


def test_a_product_is_created_with_variants_listed_and_updated(api, selling_shop):
    with selling_shop.merchant:
        category = Category.objects.create(name="White", slug="white")

    created = post(api, "/api/v1/products/", product(category=category.pk))

    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["slug"], body["category"], body["images"]) == (
        "silver-needle-白毫银针",
        category.pk,
        [],
    )
    assert [(v["sku"], v["price"], v["compare_at_price"]) for v in body["variants"]] == [
        ("SN-25", "88.00", "99.00"),
        ("SN-50", "160.00", None),
    ]
    small = body["variants"][0]["id"]
    updated = put(
        api,
        f"/api/v1/products/{body['id']}/",
        product(
            title="Silver needle",
            is_published=False,
            variants=[{"id": small, "sku": "SN-25", "name": "25 g", "price": "80.00"}],
        ),
    )
    assert updated.status_code == 200, updated.json()
    assert api.get(f"/api/v1/products/{body['id']}/").json()["title"] == "Silver needle"
    found = api.get("/api/v1/products/", {"q": "sn-25"}).json()
    hidden = api.get("/api/v1/products/", {"published": "no"}).json()
    assert [p["id"] for p in found["results"]] == [body["id"]]
    assert [p["id"] for p in hidden["results"]] == [body["id"]]
    assert len(api.get("/api/v1/products/").json()["results"]) == 3
    with selling_shop.merchant:
        assert list(
            Variant.objects.filter(product_id=body["id"])
            .values_list("pk", "sku", "price", "is_active")
            .order_by("pk")
        ) == [(small, "SN-25", 80, True), (small + 1, "SN-50", 160, False)]
        assert Product.objects.get(pk=body["id"]).is_published is False


@pytest.mark.parametrize(
    ("variants", "field", "message"),
    [
        ([{"sku": "X-1", "price": "12.345"}], "price", "CNY prices have at most 2 decimals."),
        ([{"sku": "X-1", "price": "-1.00"}], "price", "A price cannot be negative."),
        ([{"sku": "X-1", "price": "1e12"}], "price", "Enter a price below 10000000000."),
        # These reached Decimal.quantize or PostgreSQL and answered 500.
        ([{"sku": "X-1", "price": "1e309"}], "price", "Enter a price below 10000000000."),
        ([{"sku": "X-1", "price": "9" * 40}], "price", "Enter a price below 10000000000."),
        ([{"sku": "X-1", "price": "NaN"}], "price", "Enter a number."),
        ([{"sku": "X-1", "price": "-Infinity"}], "price", "Enter a number."),
        (
            [{"sku": "X-1", "price": "1", "compare_at_price": "1e309"}],
            "compare_at_price",
            "Enter a price below 10000000000.",
        ),
        (
            [{"sku": "X-1", "price": "1", "compare_at_price": "0.001"}],
            "compare_at_price",
            "CNY prices have at most 2 decimals.",
        ),
        ([{"sku": "OOL-100", "price": "1.00"}], "sku", "SKU already used: OOL-100."),
        (
            [{"sku": "X-1", "price": "1"}, {"sku": "X-1", "price": "2"}],
            "sku",
            "SKU already used: X-1.",
        ),
        ([], "variants", "A product needs at least one variant."),
    ],
)
def test_bad_variants_are_refused_naming_the_field(api, selling_shop, variants, field, message):
    response = post(api, "/api/v1/products/", product(variants=variants))

    assert response.status_code == 400
    assert response.json()[field] == [message]
    with selling_shop.merchant:
        assert Product.objects.count() == 2


def test_bad_product_fields_are_refused_naming_the_field(api, selling_shop):
    no_title = post(api, "/api/v1/products/", product(title=""))
    unknown_category = post(api, "/api/v1/products/", product(category=999999))
    long_sku = post(api, "/api/v1/products/", product(variants=[{"sku": "S" * 65, "price": "1"}]))

    assert [r.status_code for r in (no_title, unknown_category, long_sku)] == [400] * 3
    assert list(no_title.json()) == ["title"]
    assert list(unknown_category.json()) == ["category"]
    assert long_sku.json() == {
        "variants": {"0": {"sku": ["Ensure this field has no more than 64 characters."]}}
    }


def test_an_update_cannot_take_another_products_sku(api, selling_shop):
    with selling_shop.merchant:
        oolong = Product.objects.get(slug="oolong")

    response = put(
        api,
        f"/api/v1/products/{oolong.pk}/",
        product(title="Oolong", variants=[{"sku": "PUER-357", "price": "1.00"}]),
    )

    assert response.status_code == 400
    assert response.json() == {"sku": ["SKU already used: PUER-357."]}
    assert (
        api.put("/api/v1/products/999999/", product(), content_type="application/json").status_code
        == 404
    )


def test_stock_is_listed_and_set_per_variant_and_outlet(api, selling_shop):
    with selling_shop.merchant:
        variant = Variant.objects.get(sku="OOL-100")
        outlet = online_outlet()

    set_response = post(
        api, "/api/v1/stock/", {"variant": variant.pk, "outlet": outlet.pk, "quantity": 12}
    )
    listed = api.get("/api/v1/stock/", {"product": variant.product_id}).json()
    not_an_id = api.get("/api/v1/stock/", {"variant": "abc"})
    too_large = api.get("/api/v1/stock/", {"outlet": "9" * 40})

    assert set_response.status_code == 201
    assert set_response.json()["quantity"] == 12
    assert [(r["sku"], r["outlet"], r["quantity"]) for r in listed["results"]] == [
        ("OOL-100", outlet.pk, 12)
    ]
    assert (not_an_id.status_code, list(not_an_id.json())) == (400, ["variant"])
    assert (too_large.status_code, list(too_large.json())) == (400, ["outlet"])
    assert len(api.get("/api/v1/stock/").json()["results"]) == 2
    with selling_shop.merchant:
        assert Stock.objects.filter(variant=variant).count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"quantity": -1}, "quantity"),
        ({"quantity": 1.5}, "quantity"),
        ({"quantity": 2**31}, "quantity"),
        ({"quantity": "many"}, "quantity"),
        ({"variant": 999999}, "variant"),
        ({"outlet": 999999}, "outlet"),
    ],
)
def test_bad_stock_is_refused_naming_the_field(api, selling_shop, change, field):
    with selling_shop.merchant:
        variant = Variant.objects.get(sku="OOL-100")
        outlet = online_outlet()

    response = post(
        api, "/api/v1/stock/", {"variant": variant.pk, "outlet": outlet.pk, "quantity": 3, **change}
    )

    assert response.status_code == 400
    assert list(response.json()) == [field]
    with selling_shop.merchant:
        assert Stock.objects.get(variant=variant).quantity == 5


def test_the_api_docs_load_their_script_from_the_shop(api):
    page = api.get("/api/docs/")
    script = api.get("/api/docs/", {"script": ""})

    assert page.status_code == script.status_code == 200
    script_src = next(
        part for part in page["Content-Security-Policy"].split(";") if "script-src" in part
    )
    assert "'unsafe-inline'" not in script_src
    assert b"swagger-ui-bundle.js" in page.content
    assert b"SwaggerUIBundle" in script.content
    assert script["Content-Type"].startswith("application/javascript")


def test_the_catalog_api_is_for_members_only(api, other_shop):
    stranger = on_host(Client(), "alpha.localhost")
    stranger.force_login(other_shop.owner)

    assert stranger.get("/api/v1/products/").status_code == 403
    assert stranger.post("/api/v1/stock/", {}).status_code == 403
    assert (
        on_host(Client(), "alpha.localhost").get("/api/v1/products/").status_code == 401
    )  # no credentials: the Bearer challenge
