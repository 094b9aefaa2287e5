from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from commerce.catalog.models import Product, Stock, Variant
from tests.conftest import on_host

pytestmark = pytest.mark.django_db

HEADER = "product_slug,title,description,category,published,sku,variant_name,price,compare_at_price,stock:Online warehouse\n"


@pytest.fixture
def owner(selling_shop):
    client = on_host(Client(), "alpha.localhost")
    client.force_login(selling_shop.owner)
    return client


def upload(client: Client, text: str, *, encoding: str = "utf-8-sig"):
    file = SimpleUploadedFile("products.csv", text.encode(encoding), "text/csv")
    return client.post("/manage/products/import/", {"file": file})


def catalog(shop) -> list[tuple]:
    with shop.merchant:
        return list(
            Variant.objects.order_by("sku").values_list(
                "sku", "product__title", "price", "product__is_published", "stocks__quantity"
            )
        )


def test_export_then_import_gives_the_same_catalog(owner, selling_shop):
    before = catalog(selling_shop)
    exported = owner.get("/manage/products/export.csv")
    assert exported["Content-Type"] == "text/csv; charset=utf-8"

    report = upload(owner, exported.content.decode()).context["report"]

    assert (report.created, report.updated, report.errors) == (0, 2, [])
    assert catalog(selling_shop) == before


def test_good_rows_land_and_a_bad_row_is_reported_by_number(owner, selling_shop):
    text = HEADER + (
        "longjing,龙井 Longjing,Spring,Green,yes,LJ-50,50 g,58.00,,7\n"
        ",Broken price,,,yes,BAD-1,,12.345,,1\n"
        ",Bad stock,,,yes,BAD-2,,10,,-3\n"
        "longjing,龙井 Longjing,,,yes,LJ-100,100 g,98.00,120.00,2\n"
    )

    response = upload(owner, text)

    report = response.context["report"]
    assert (report.created, report.updated) == (2, 0)
    assert [(e.row, e.column, e.message) for e in report.errors] == [
        (3, "price", "CNY prices have at most 2 decimals."),
        (4, "stock:Online warehouse", "Stock is a whole number of 0 or more."),
    ]
    with selling_shop.merchant:
        longjing = Product.objects.get(slug="longjing")
        assert (longjing.title, longjing.category.name, longjing.is_published) == (
            "龙井 Longjing",
            "Green",
            True,
        )
        assert dict(longjing.variants.values_list("sku", "compare_at_price")) == {
            "LJ-50": None,
            "LJ-100": Decimal("120.00"),
        }
        assert not Variant.objects.filter(sku__startswith="BAD").exists()
        assert not Product.objects.filter(title__in=["Broken price", "Bad stock"]).exists()
        assert Stock.objects.get(variant__sku="LJ-50").quantity == 7


def test_files_that_cannot_be_read_are_refused_with_a_reason(owner, selling_shop):
    not_utf8 = upload(owner, HEADER + ",茶,,,yes,T-1,,1,,1\n", encoding="gb18030")
    no_price = upload(owner, "title,sku\nTea,T-1\n")
    unknown_outlet = upload(owner, "title,sku,price,stock:Mars\nTea,T-1,1,1\n")
    no_file = owner.post("/manage/products/import/", {})

    assert not_utf8.status_code == no_price.status_code == unknown_outlet.status_code == 400
    assert "Save the file as UTF-8 CSV" in not_utf8.context["error"]
    assert "Missing columns: price." in no_price.context["error"]
    assert "Unknown outlets: stock:Mars." in unknown_outlet.context["error"]
    assert no_file.context["error"] == "File: choose a CSV file."
    assert len(catalog(selling_shop)) == 2
