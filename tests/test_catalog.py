import io
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
    assert "stock is a whole number of 0 or more" in refused.content.decode()
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
    owner.get("/manage/products/")
    with django_assert_num_queries(6):
        owner.get("/manage/products/")
    add(20)
    with django_assert_num_queries(6):
        assert owner.get("/manage/products/").status_code == 200
