"""The beta-gated low-stock report, the industry at signup and the lifecycle card."""

import pytest

import features.flags
from accounts.models import PlatformRole
from commerce.catalog.models import Product, Stock, Variant
from commerce.store.selectors import online_outlet
from community import services
from community.models import LifecycleCard
from tenants.models import Merchant
from tests.conftest import on_host


def test_the_low_stock_report_is_only_for_shops_with_the_flag(selling_shop, owner_client):
    owner = owner_client(selling_shop.merchant)
    assert owner.get("/manage/products/low-stock/").status_code == 404
    assert 'id="low-stock-link"' not in owner.get("/manage/products/").text

    features.flags.switch_on(merchant_id=selling_shop.merchant.pk, name="low-stock-report")
    with selling_shop.merchant:
        Stock.objects.filter(variant__sku="OOL-100").update(quantity=2)
        hidden = Product.objects.create(title="Sample", slug="sample")
        Variant.objects.create(product=hidden, sku="NONE-1", price="1.00")  # no stock row
        Variant.objects.create(product=hidden, sku="GONE-1", price="1.00", is_active=False)
        Stock.objects.create(
            variant=Variant.objects.get(sku="NONE-1"), outlet=online_outlet(), quantity=0
        )
    assert 'id="low-stock-link"' in owner.get("/manage/products/").text
    page = owner.get("/manage/products/low-stock/")
    assert page.status_code == 200
    text = page.text
    assert text.index("NONE-1") < text.index("OOL-100")  # fewest first
    assert "PUER-357" in text and "GONE-1" not in text  # 5 units: at the default of 5
    assert "PUER-357" not in owner.get("/manage/products/low-stock/?threshold=4").text
    for bad in ("-1", "1e309", "9" * 40, "abc", "٣"):
        response = owner.get(f"/manage/products/low-stock/?threshold={bad}")
        assert response.status_code == 400 and 'data-field="threshold"' in response.text


def test_the_low_stock_default_threshold_counts_units_across_active_outlets(selling_shop):
    from commerce.catalog.low_stock import low_stock_variants

    with selling_shop.merchant:
        Stock.objects.filter(variant__sku="PUER-357").update(quantity=6)
        assert [v.sku for v in low_stock_variants(5)] == ["OOL-100"]
        assert [v.sku for v in low_stock_variants(6)] == ["OOL-100", "PUER-357"]


def test_signup_keeps_the_industry_and_refuses_an_unknown_one(db, platform_client):
    data = {
        "shop_name": "Jade Beauty",
        "slug": "jade-beauty",
        "email": "owner@jade-beauty.test",
        "password": "correct-horse-battery-staple",
        "currency": "CNY",
        "industry": "beauty",
    }
    assert platform_client.post("/signup/", data).status_code == 302
    assert Merchant.objects.get(slug="jade-beauty").industry == "beauty"
    refused = platform_client.post(
        "/signup/", {**data, "slug": "jade-two", "email": "b@x.test", "industry": "casino"}
    )
    assert refused.status_code == 400 and 'data-field="industry"' in refused.text
    assert not Merchant.objects.filter(slug="jade-two").exists()


@pytest.fixture
def csm_client(client, make_staff):
    user = make_staff(PlatformRole.CSM)
    client.force_login(user)
    on_host(client, "localhost")
    client.user = user
    return client


def test_the_csm_sees_the_card_of_the_merchants_industry_with_its_stage_marked(shop, csm_client):
    Merchant.objects.filter(pk=shop.merchant.pk).update(industry="food_beverage")
    services.save_lifecycle_card(
        industry="food_beverage",
        texts={
            "first_contact": "Menu photos and opening hours",
            "go_live": "Lunch-rush till speed",
            "after": "",
        },
        actor=csm_client.user,
    )
    services.save_lifecycle_card(
        industry="beauty", texts={"first_contact": "Booking calendar"}, actor=csm_client.user
    )
    page = csm_client.get(f"/console/onboarding/merchants/{shop.merchant.pk}/").text
    card = page[page.index('id="lifecycle-card"') :]
    card = card[: card.index("</section>")]
    assert "What Food &amp; beverage merchants care about" in card
    assert "Menu photos and opening hours" in card and "Lunch-rush till speed" in card
    assert "Booking calendar" not in card
    assert '<dt class="current">First contact (days 1-3) · now</dt>' in card
    assert not LifecycleCard.objects.filter(stage="after").exists()


def test_staff_edit_a_card_in_the_console(csm_client):
    response = csm_client.post(
        "/console/product/lifecycle/",
        {"industry": "retail", "store_setup": "Barcode import", "training": ""},
    )
    assert response.status_code == 302
    assert list(LifecycleCard.objects.values_list("industry", "stage", "cares_about")) == [
        ("retail", "store_setup", "Barcode import")
    ]
    assert "Barcode import" in csm_client.get("/console/product/lifecycle/?industry=retail").text
    assert csm_client.post("/console/product/lifecycle/", {"industry": "x"}).status_code == 400


def test_a_csm_records_the_industry_of_a_merchant_that_signed_up_without_one(shop, csm_client):
    page = csm_client.get(f"/console/onboarding/merchants/{shop.merchant.pk}/").text
    assert "The merchant has not told us its industry." in page
    response = csm_client.post(
        f"/console/product/merchants/{shop.merchant.pk}/industry/", {"industry": "beauty"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/console/onboarding/merchants/{shop.merchant.pk}/"
    shop.merchant.refresh_from_db()
    assert shop.merchant.industry == "beauty"
    refused = csm_client.post(
        f"/console/product/merchants/{shop.merchant.pk}/industry/", {"industry": "<b>"}
    )
    assert refused.status_code == 400 and "industry" in refused.content.decode()
    shop.merchant.refresh_from_db()
    assert shop.merchant.industry == "beauty"
