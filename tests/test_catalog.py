import io
import struct
import zlib
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from commerce.catalog.models import Product, ProductImage, Stock, Variant
from commerce.store.models import Outlet
from tests.conftest import on_host

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(shop):
    client = on_host(Client(), "alpha.localhost")
    client.force_login(shop.owner)
    return client


def product_post(**overrides) -> dict:
    data = {
        "title": "Dragon Well 龙井",
        "description": "Spring harvest",
        "is_published": "on",
        "new_category": "Green tea",
        "variants-TOTAL_FORMS": "2",
        "variants-INITIAL_FORMS": "0",
        "variants-MIN_NUM_FORMS": "1",
        "variants-MAX_NUM_FORMS": "1000",
        "variants-0-sku": "DW-50",
        "variants-0-name": "50 g",
        "variants-0-price": "48.00",
        "variants-0-compare_at_price": "58.00",
        "variants-1-sku": "DW-100",
        "variants-1-name": "100 g",
        "variants-1-price": "88.50",
    }
    data.update(overrides)
    return data


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "green").save(buffer, format="PNG")
    return buffer.getvalue()


def test_a_merchant_adds_a_product_with_variants_and_an_image(owner, shop):
    data = product_post(image=SimpleUploadedFile("leaf.png", png_bytes(), "image/png"))

    response = owner.post("/manage/products/new/", data)

    assert response.status_code == 302
    with shop.merchant:
        product = Product.objects.get()
        assert (product.title, product.is_published, product.category.name) == (
            "Dragon Well 龙井",
            True,
            "Green tea",
        )
        assert list(product.variants.values_list("sku", "name", "price", "compare_at_price")) == [
            ("DW-50", "50 g", Decimal("48.00"), Decimal("58.00")),
            ("DW-100", "100 g", Decimal("88.50"), None),
        ]
        assert ProductImage.objects.filter(product=product).count() == 1
        assert response["Location"] == f"/manage/products/{product.pk}/stock/"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"variants-0-price": "12.345"}, "price", "CNY prices have at most 2 decimals."),
        ({"variants-0-price": "-1"}, "price", "A price cannot be negative."),
        ({"variants-0-price": "abc"}, "price", "Enter a number."),
        # These reached Decimal.quantize or PostgreSQL and answered 500.
        ({"variants-0-price": "1e309"}, "price", "Enter a price below 10000000000."),
        ({"variants-0-price": "9" * 15}, "price", "Enter a price below 10000000000."),
        ({"variants-0-price": "Infinity"}, "price", "Enter a number."),
        ({"variants-0-compare_at_price": "NaN"}, "compare_at_price", "Enter a number."),
        ({"variants-1-sku": "DW-50"}, "sku", "SKU already used: DW-50."),
        ({"title": ""}, "title", "This field is required."),
        (
            {"image": SimpleUploadedFile("fake.png", b"not an image", "image/png")},
            "image",
            "Upload a JPEG, PNG, GIF or WebP image.",
        ),
    ],
)
def test_bad_product_input_names_the_field_and_saves_nothing(
    owner, shop, overrides, field, message
):
    response = owner.post("/manage/products/new/", product_post(**overrides))

    assert response.status_code == 400
    form = response.context["form"]
    shown = form.errors.get(field, []) + [
        error.removeprefix(f"{field.replace('_', ' ').capitalize()}: ")
        for error in form.non_field_errors()
        if error.startswith(f"{field.replace('_', ' ').capitalize()}: ")
    ]
    assert message in shown
    with shop.merchant:
        assert not Product.objects.exists()
        assert not Variant.objects.exists()


def test_a_huge_image_is_refused(owner, shop):
    huge = SimpleUploadedFile("big.png", png_bytes() + b"0" * (5 * 1024 * 1024), "image/png")

    response = owner.post("/manage/products/new/", product_post(image=huge))

    assert response.status_code == 400
    assert response.context["form"].errors["image"] == ["Images can be at most 5 MB."]


def test_stock_is_set_per_outlet_and_never_negative(owner, shop):
    owner.post("/manage/products/new/", product_post())
    with shop.merchant:
        outlet = Outlet.objects.create(name="Bund", address="1 Bund")
        product = Product.objects.get()
        small, large = product.variants.order_by("position")

    saved = owner.post(
        f"/manage/products/{product.pk}/stock/",
        {f"stock-{small.pk}-{outlet.pk}": "12", f"stock-{large.pk}-{outlet.pk}": "3"},
    )
    refused = owner.post(
        f"/manage/products/{product.pk}/stock/",
        {f"stock-{small.pk}-{outlet.pk}": "-4", f"stock-{large.pk}-{outlet.pk}": "7"},
    )

    assert saved.status_code == 302
    assert refused.status_code == 400
    assert "DW-50 at Bund: Stock is a whole number of 0 or more." in refused.content.decode()
    with shop.merchant:
        assert dict(Stock.objects.values_list("variant__sku", "quantity")) == {
            "DW-50": 12,
            "DW-100": 3,
        }


def test_editing_keeps_variant_ids_and_hides_removed_variants(owner, shop):
    owner.post("/manage/products/new/", product_post())
    with shop.merchant:
        product = Product.objects.get()
        small = product.variants.get(sku="DW-50")

    response = owner.post(
        f"/manage/products/{product.pk}/",
        product_post(
            **{
                "variants-TOTAL_FORMS": "1",
                "variants-0-id": str(small.pk),
                "variants-0-price": "45.00",
                "new_category": "",
            }
        ),
    )

    assert response.status_code == 302
    with shop.merchant:
        assert Variant.objects.get(pk=small.pk).price == Decimal("45.00")
        assert list(Variant.objects.filter(is_active=True).values_list("sku", flat=True)) == [
            "DW-50"
        ]


def test_the_product_list_query_count_does_not_grow_with_products(
    owner, shop, django_assert_num_queries
):
    def add(count: int) -> None:
        with shop.merchant:
            for number in range(count):
                product = Product.objects.create(
                    title=f"P{number}", slug=f"p-{Product.objects.count()}"
                )
                Variant.objects.create(product=product, sku=f"S-{product.pk}", price=1)

    add(3)
    owner.get("/manage/products/")  # queries include the billing banner on every /manage/ page
    with django_assert_num_queries(6):
        owner.get("/manage/products/")
    add(20)
    with django_assert_num_queries(6):
        assert owner.get("/manage/products/").status_code == 200


def test_a_sku_of_another_product_is_refused_naming_sku(owner, shop):
    owner.post("/manage/products/new/", product_post())

    response = owner.post(
        "/manage/products/new/",
        product_post(title="Other", **{"variants-TOTAL_FORMS": "1", "variants-0-sku": "DW-100"}),
    )

    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == ["Sku: SKU already used: DW-100."]
    with shop.merchant:
        assert Product.objects.count() == 1


def test_stock_refuses_odd_and_huge_numbers(owner, shop):
    owner.post("/manage/products/new/", product_post())
    with shop.merchant:
        outlet = Outlet.objects.create(name="Bund", address="1 Bund")
        small = Variant.objects.get(sku="DW-50")

    odd = owner.post(
        f"/manage/products/{small.product_id}/stock/", {f"stock-{small.pk}-{outlet.pk}": "²"}
    )
    huge = owner.post(
        f"/manage/products/{small.product_id}/stock/",
        {f"stock-{small.pk}-{outlet.pk}": "99999999999"},
    )
    fraction = owner.post(
        f"/manage/products/{small.product_id}/stock/", {f"stock-{small.pk}-{outlet.pk}": "1.5"}
    )

    assert (odd.status_code, huge.status_code, fraction.status_code) == (400, 400, 400)
    assert huge.context["errors"] == ["DW-50 at Bund: Stock can be at most 2147483647."]
    assert fraction.context["errors"] == ["DW-50 at Bund: Stock is a whole number of 0 or more."]
    with shop.merchant:
        assert not Stock.objects.exists()


def test_a_removed_variant_comes_back_with_its_sku_and_skus_can_swap(owner, shop):
    owner.post("/manage/products/new/", product_post())
    with shop.merchant:
        product = Product.objects.get()
        small, large = product.variants.get(sku="DW-50"), product.variants.get(sku="DW-100")
    url = f"/manage/products/{product.pk}/"
    keep_small = {"variants-TOTAL_FORMS": "1", "variants-0-id": str(small.pk), "new_category": ""}
    assert owner.post(url, product_post(**keep_small)).status_code == 302

    again = owner.post(url, product_post(**{"variants-0-id": str(small.pk), "new_category": ""}))
    swapped = owner.post(
        url,
        product_post(
            **{
                "variants-0-id": str(small.pk),
                "variants-0-sku": "DW-100",
                "variants-1-id": str(large.pk),
                "variants-1-sku": "DW-50",
                "new_category": "",
            }
        ),
    )

    assert (again.status_code, swapped.status_code) == (302, 302)
    with shop.merchant:
        assert list(
            Variant.objects.order_by("pk").values_list("pk", "sku", "name", "is_active")
        ) == [(small.pk, "DW-100", "50 g", True), (large.pk, "DW-50", "100 g", True)]


def test_images_are_stored_under_their_real_format_and_can_be_removed(owner, shop):
    data = product_post(image=SimpleUploadedFile("leaf.exe", png_bytes(), "application/x-msdos"))
    owner.post("/manage/products/new/", data)
    with shop.merchant:
        product = Product.objects.get()
        image = product.images.get()
        stored = image.image.name
        variant_ids = list(product.variants.values_list("pk", flat=True))
    assert stored.startswith(f"{shop.merchant.schema_name}/products/") and stored.endswith(".png")
    page = owner.get(f"/manage/products/{product.pk}/")
    assert f'value="{image.pk}"' in page.content.decode()

    response = owner.post(
        f"/manage/products/{product.pk}/",
        product_post(
            remove_images=[str(image.pk)],
            new_category="",
            **{f"variants-{i}-id": str(pk) for i, pk in enumerate(variant_ids)},
        ),
    )

    assert response.status_code == 302
    with shop.merchant:
        assert not ProductImage.objects.exists()


def test_an_image_bomb_is_refused(owner, shop):
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    # A tiny PNG whose header claims 60000 x 60000 pixels.
    header = struct.pack(">IIBBBBB", 60000, 60000, 8, 0, 0, 0, 0)
    bomb = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")

    response = owner.post(
        "/manage/products/new/",
        product_post(image=SimpleUploadedFile("bomb.png", bomb, "image/png")),
    )

    assert response.status_code == 400
    assert response.context["form"].errors["image"] == ["This image has too many pixels."]
    with shop.merchant:
        assert not Product.objects.exists()


def test_products_are_searched_filtered_published_and_hidden(owner, shop):
    owner.post("/manage/products/new/", product_post())
    owner.post(
        "/manage/products/new/",
        product_post(
            title="Oolong",
            is_published="",
            **{"variants-TOTAL_FORMS": "1", "variants-0-sku": "OOL-1"},
        ),
    )
    with shop.merchant:
        oolong = Product.objects.get(title="Oolong")

    def titles(**params) -> list[str]:
        return [p.title for p in owner.get("/manage/products/", params).context["page"]]

    assert titles() == ["Oolong", "Dragon Well 龙井"]
    assert titles(q="ool-") == ["Oolong"]
    assert titles(q="龙井") == ["Dragon Well 龙井"]
    assert titles(published="no") == ["Oolong"]
    published = owner.post(f"/manage/products/{oolong.pk}/publish/", {"publish": "1"})
    assert published.status_code == 302
    assert titles(published="yes") == ["Oolong", "Dragon Well 龙井"]
    owner.post(f"/manage/products/{oolong.pk}/publish/", {"publish": "0"})
    assert titles(published="no") == ["Oolong"]
    assert owner.get("/manage/products/999999/").status_code == 404
    assert owner.post("/manage/products/999999/publish/", {"publish": "1"}).status_code == 404


def test_the_product_list_pages_by_fifty(owner, shop):
    with shop.merchant:
        for number in range(51):
            Product.objects.create(title=f"P{number}", slug=f"p-{number}")

    first = owner.get("/manage/products/")
    second = owner.get("/manage/products/", {"page": "2"})

    assert len(first.context["page"]) == 50
    assert [p.title for p in second.context["page"]] == ["P0"]
    assert "page=2" in first.content.decode()
