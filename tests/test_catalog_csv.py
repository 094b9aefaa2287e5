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


def upload_bytes(client: Client, raw: bytes):
    file = SimpleUploadedFile("products.csv", raw, "text/csv")
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

    assert exported.content.startswith(b"\xef\xbb\xbf")

    report = upload_bytes(owner, exported.content).context["report"]

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


def test_unicode_and_formula_like_cells_survive_a_round_trip(owner, selling_shop):
    text = HEADER + (
        "tieguanyin,铁观音 Tie Guan Yin,安溪 “秋茶”,乌龙茶,yes,TGY-1,一两,36.00,,4\n"
        ',=HYPERLINK("x"),,,no,@SUM,+1,1.00,,0\n'
    )
    first = upload(owner, text).context["report"]
    assert (first.created, first.updated, first.errors) == (2, 0, [])
    before = catalog(selling_shop)

    exported = owner.get("/manage/products/export.csv").content
    again = upload_bytes(owner, exported).context["report"]

    assert "'=HYPERLINK" in exported.decode("utf-8-sig")
    assert (again.created, again.updated, again.errors) == (0, 4, [])
    assert catalog(selling_shop) == before
    with selling_shop.merchant:
        tea = Variant.objects.select_related("product__category").get(sku="TGY-1")
        assert (tea.product.title, tea.product.description, tea.product.category.name) == (
            "铁观音 Tie Guan Yin",
            "安溪 “秋茶”",
            "乌龙茶",
        )
        assert Variant.objects.get(sku="@SUM").product.title == '=HYPERLINK("x")'
        assert Product.objects.count() == 4


def test_importing_the_same_file_twice_updates_instead_of_duplicating(owner, selling_shop):
    text = (
        HEADER
        + ",Jasmine 茉莉,,Flower,yes,JAS-1,50 g,20.00,,3\n"
        + (",Jasmine 茉莉,,,,JAS-2,100 g,35.00,,1\n")
    )

    first = upload(owner, text).context["report"]
    second = upload(owner, text).context["report"]

    assert (first.created, first.updated) == (2, 0)
    assert (second.created, second.updated, second.errors) == (0, 2, [])
    with selling_shop.merchant:
        jasmine = Product.objects.get(title="Jasmine 茉莉")
        assert (jasmine.category.name, jasmine.is_published) == ("Flower", True)
        assert list(jasmine.variants.values_list("sku", flat=True)) == ["JAS-1", "JAS-2"]
        assert Product.objects.count() == 3


def test_row_problems_name_their_column(owner, selling_shop):
    text = HEADER + (
        f",Long SKU,,,yes,{'S' * 65},,1.00,,1\n"
        ",Maybe,,,maybe,M-1,,1.00,,1\n"
        "bad slug!,Bad slug,,,yes,B-1,,1.00,,1\n"
        ",Too many,,,yes,T-1,,1.00,,1,extra\n"
        ",Huge,,,yes,H-1,,1e20,,99999999999\n"
        ",Overflow,,,yes,O-1,,1e309,1e309,\n"
        f",Forty nines,,,yes,N-1,,{'9' * 40},,{'9' * 40}\n"
        "oolong,Oolong,,,yes,PUER-357,,1.00,,1\n"
        ",,,,,,,,,\n"
        ",Fine,,,yes,F-1,,1.00,,1\n"
    )

    report = upload(owner, text).context["report"]

    assert [(e.row, e.column, e.message) for e in report.errors] == [
        (2, "sku", "Use at most 64 characters."),
        (3, "published", "Write yes or no."),
        (4, "product_slug", "Use letters, numbers, hyphens and underscores only."),
        (5, "", "This row has more cells than the header has columns."),
        (6, "price", "Enter a price below 10000000000."),
        (6, "stock:Online warehouse", "Stock can be at most 2147483647."),
        (7, "price", "Enter a price below 10000000000."),
        (7, "compare_at_price", "Enter a price below 10000000000."),
        (8, "price", "Enter a price below 10000000000."),
        (8, "stock:Online warehouse", "Stock can be at most 2147483647."),
        (9, "sku", "This SKU belongs to the product puer."),
    ]
    assert (report.created, report.updated) == (1, 0)
    page = upload(owner, text).content.decode()
    assert "This SKU belongs to the product puer." in page


def test_binary_repeated_and_oversized_files_are_refused(owner, selling_shop):
    binary = upload_bytes(owner, b"title,sku,price\nT\x00,1,1\n")
    repeated = upload(owner, "title,sku,price,sku\nTea,T-1,1,T-2\n")
    empty = upload_bytes(owner, b"")
    huge = upload_bytes(owner, HEADER.encode() + b"x" * (2 * 1024 * 1024))

    assert [r.status_code for r in (binary, repeated, empty, huge)] == [400] * 4
    assert binary.context["error"] == "File: This is not a CSV file."
    assert repeated.context["error"] == "File: Repeated columns: sku."
    assert empty.context["error"] == "File: The file is empty."
    assert huge.context["error"] == "File: The file is larger than 2 MB."
    assert len(catalog(selling_shop)) == 2
