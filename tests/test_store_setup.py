import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from analytics.models import MerchantEvent
from commerce.catalog.models import Product, Variant
from commerce.store.selectors import store_settings
from tenants.models import Merchant
from tests.conftest import on_host

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(shop):
    client = on_host(Client(), "alpha.localhost")
    client.force_login(shop.owner)
    return client


def details(**overrides) -> dict:
    return {
        "display_name": "Alpha Tea",
        "contact_email": "hello@alpha.test",
        "currency": "CNY",
        **overrides,
    }


def logo(size: int = 0, content: bytes | None = None) -> SimpleUploadedFile:
    if content is None:
        buffer = io.BytesIO()
        Image.new("RGB", (8, 8), "red").save(buffer, format="PNG")
        content = buffer.getvalue() + b"\0" * size
    return SimpleUploadedFile("logo.png", content, "image/png")


def test_completing_the_checklist_tells_the_ledger_once(owner, shop):
    owner.post("/manage/store/", details())
    owner.post("/manage/store/shipping/", {"shipping_flat_rate": "12.00", "local_pickup": "on"})
    owner.post("/manage/store/payments/", {"accepts_cash_on_delivery": "on"})
    assert not MerchantEvent.objects.filter(kind="store_setup_completed").exists()
    with shop.merchant:
        product = Product.objects.create(title="Tea", slug="tea")
        Variant.objects.create(product=product, sku="T-1", price=1)

    published = owner.post(f"/manage/products/{product.pk}/publish/", {"publish": "1"})
    owner.post("/manage/store/", details(tagline="again"))

    assert published.status_code == 302
    assert MerchantEvent.objects.filter(kind="store_setup_completed").count() == 1
    page = owner.get("/manage/").content.decode()
    assert "Store set-up: 4 of 4 done" in page
    with shop.merchant:
        assert store_settings().setup_completed_at is not None


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"shipping_flat_rate": "12.345"},
            "shipping_flat_rate",
            "CNY prices have at most 2 decimals.",
        ),
        ({"shipping_flat_rate": "-1"}, "shipping_flat_rate", "A price cannot be negative."),
        (
            {"shipping_flat_rate": "10", "free_shipping_over": "-5"},
            "free_shipping_over",
            "A price cannot be negative.",
        ),
        (
            {"free_shipping_over": "99"},
            "free_shipping_over",
            "Set a delivery rate before a free-delivery threshold.",
        ),
    ],
)
def test_bad_shipping_input_names_the_field_and_saves_nothing(owner, shop, data, field, message):
    response = owner.post("/manage/store/shipping/", data)

    assert response.status_code == 400
    assert response.context["form"].errors[field] == [message]
    with shop.merchant:
        settings = store_settings()
        assert (settings.shipping_flat_rate, settings.free_shipping_over) == (None, None)


def test_a_logo_is_checked_by_content_and_size(owner, shop):
    fake = owner.post("/manage/store/", details(logo=logo(content=b"GIF89a not really")))
    huge = owner.post("/manage/store/", details(logo=logo(size=3 * 1024 * 1024)))
    good = owner.post("/manage/store/", details(logo=logo()))

    assert fake.context["form"].errors["logo"] == ["Upload a JPEG, PNG, GIF or WebP image."]
    assert huge.context["form"].errors["logo"] == ["Images can be at most 2 MB."]
    assert good.status_code == 302
    with shop.merchant:
        assert store_settings().logo.name.startswith(f"{shop.merchant.schema_name}/logos/")


def test_the_currency_is_the_merchants_and_unknown_ones_are_refused(owner, shop):
    refused = owner.post("/manage/store/", details(currency="XXX"))
    changed = owner.post("/manage/store/", details(currency="HKD"))

    assert refused.status_code == 400
    assert "currency" in refused.context["form"].errors
    assert changed.status_code == 302
    assert Merchant.objects.get(pk=shop.merchant.pk).currency == "HKD"
    assert 'value="HKD" selected' in owner.get("/manage/store/").content.decode()
