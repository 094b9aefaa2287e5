"""Product pages for cookie-less visitors are rendered once and shared (page_cache.py)."""

import re
import time

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client

from commerce import cache as commerce_cache
from commerce.catalog.models import Product, Stock, product_page_key
from commerce.storefront.page_cache import CSRF_PLACEHOLDER
from tests.conftest import on_host

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def visitor() -> Client:
    return on_host(Client(enforce_csrf_checks=True), "alpha.localhost")


def without_tokens(html: str) -> str:
    return TOKEN.sub('name="csrfmiddlewaretoken" value=""', html)


def test_cookieless_visitors_share_one_render_each_with_a_token_that_works(selling_shop):
    first, second = visitor(), visitor()

    one = first.get("/p/oolong/")
    two = second.get("/p/oolong/")

    assert [t.name for t in one.templates][:1] == ["storefront/product.html"]
    assert two.templates == []  # served from the shared render
    html_one, html_two = one.content.decode(), two.content.decode()
    assert without_tokens(html_one) == without_tokens(html_two)
    assert CSRF_PLACEHOLDER not in html_two
    token = TOKEN.search(html_two).group(1)
    with selling_shop.merchant:
        variant_id = Product.objects.get(slug="oolong").variants.get().pk
    connection.set_schema_to_public()
    added = second.post(
        "/cart/add/", {"variant": variant_id, "quantity": "1", "csrfmiddlewaretoken": token}
    )
    assert added.status_code == 302
    forged = visitor().post(
        "/cart/add/", {"variant": variant_id, "quantity": "1", "csrfmiddlewaretoken": token}
    )
    assert forged.status_code == 403


def test_a_saved_product_and_changed_stock_show_at_once(selling_shop):
    assert "5 in stock" in visitor().get("/p/oolong/").content.decode()
    with selling_shop.merchant:
        product = Product.objects.get(slug="oolong")
        product.title = "Tieguanyin oolong"
        product.save()
    connection.set_schema_to_public()
    renamed = visitor().get("/p/oolong/").content.decode()
    with selling_shop.merchant:
        Stock.objects.filter(variant__product__slug="oolong").update(quantity=2)
    connection.set_schema_to_public()
    restocked = visitor().get("/p/oolong/").content.decode()

    assert "Tieguanyin oolong" in renamed
    assert "2 in stock" in restocked and "5 in stock" not in restocked


def test_a_shopper_with_a_session_gets_the_page_rendered_for_them(selling_shop):
    shopper = on_host(Client(), "alpha.localhost")
    with selling_shop.merchant:
        variant_id = Product.objects.get(slug="oolong").variants.get().pk
    connection.set_schema_to_public()
    shopper.post("/cart/add/", {"variant": variant_id, "quantity": "1"})

    page = shopper.get("/p/oolong/")

    assert [t.name for t in page.templates][:1] == ["storefront/product.html"]
    assert "Added Oolong 100 g to your cart." in page.content.decode()


def test_a_shopper_with_only_a_cart_shares_the_render_and_reads_no_session_row(
    selling_shop, django_assert_num_queries
):
    shopper = on_host(Client(enforce_csrf_checks=True), "alpha.localhost")
    first = shopper.get("/p/oolong/")
    token = TOKEN.search(first.content.decode()).group(1)
    with selling_shop.merchant:
        variant_id = Product.objects.get(slug="oolong").variants.get().pk
    connection.set_schema_to_public()
    shopper.post(
        "/cart/add/", {"variant": variant_id, "quantity": "1", "csrfmiddlewaretoken": token}
    )
    shopper.get("/cart/")  # the flash message is shown (and gone)
    visitor().get("/p/oolong/")  # a cookie-less visitor fills the shared render

    # The shop's search_path and the live stock: the session comes from Redis.
    with django_assert_num_queries(2):
        page = shopper.get("/p/oolong/")

    assert page.templates == []  # served from the shared render
    own_token = TOKEN.search(page.content.decode()).group(1)
    assert own_token != CSRF_PLACEHOLDER
    assert shopper.get("/cart/").context["lines"][0].quantity == 1
    added = shopper.post(
        "/cart/add/", {"variant": variant_id, "quantity": "1", "csrfmiddlewaretoken": own_token}
    )
    assert added.status_code == 302


def test_a_signed_in_visitor_gets_the_page_rendered_for_them(selling_shop):
    member = on_host(Client(), "alpha.localhost")
    member.force_login(selling_shop.owner)
    visitor().get("/p/oolong/")

    page = member.get("/p/oolong/")

    assert [t.name for t in page.templates][:1] == ["storefront/product.html"]
    assert selling_shop.owner.email in page.content.decode()


def test_changed_stock_is_filled_into_the_shared_render_and_sold_out_renders_anew(
    selling_shop,
):
    visitor().get("/p/oolong/")  # fills the shared render: 5 in stock
    with selling_shop.merchant:
        Stock.objects.filter(variant__product__slug="oolong").update(quantity=3)
    connection.set_schema_to_public()

    three_left = visitor().get("/p/oolong/")
    with selling_shop.merchant:
        Stock.objects.filter(variant__product__slug="oolong").update(quantity=0)
    connection.set_schema_to_public()
    sold_out = visitor().get("/p/oolong/")

    assert three_left.templates == []  # the same render, today's figure
    html = three_left.content.decode()
    assert "3 in stock" in html and "5 in stock" not in html
    assert "live-figure" not in html
    assert [t.name for t in sold_out.templates][:1] == ["storefront/product.html"]
    sold_out_html = sold_out.content.decode()
    assert "Sold out" in sold_out_html and "in stock" not in sold_out_html
    assert re.search(r'name="variant" value="\d+" checked disabled', sold_out_html)


def test_the_shared_render_outlives_the_process_copies_and_follows_a_change_made_elsewhere(
    selling_shop, monkeypatch
):
    visitor().get("/p/oolong/")
    started = time.monotonic()
    # A minute later: the process copies have lapsed, the values come back from Redis.
    monkeypatch.setattr(commerce_cache.time, "monotonic", lambda: started + 60)

    same_content = visitor().get("/p/oolong/")
    with selling_shop.merchant:
        # Another process saves the product: its save() drops the shared entries, not this
        # process's copy, which lives out its two seconds.
        Product.objects.filter(slug="oolong").update(title="Tieguanyin oolong")
        product = Product.objects.get(slug="oolong")
        cache.delete(product_page_key(product.pk))
    connection.set_schema_to_public()
    commerce_cache._local.clear()
    changed = visitor().get("/p/oolong/")

    assert same_content.templates == []
    assert [t.name for t in changed.templates][:1] == ["storefront/product.html"]
    assert "Tieguanyin oolong" in changed.content.decode()


def test_the_checkout_form_is_rendered_once_and_each_shopper_gets_their_own_reference(
    selling_shop,
):
    with selling_shop.merchant:
        variant_id = Product.objects.get(slug="oolong").variants.get().pk
    connection.set_schema_to_public()
    pages = []
    for _shopper in range(2):
        shopper = on_host(Client(), "alpha.localhost")
        shopper.post("/cart/add/", {"variant": variant_id, "quantity": "1"})
        pages.append(shopper.get("/checkout/"))

    references = [
        re.search(r'name="reference" value="([^"]+)"', page.content.decode())[1] for page in pages
    ]
    form_renders = [page_key for page_key in commerce_cache._pages if ":form:" in page_key]
    assert references == [str(page.context["form"].initial["reference"]) for page in pages]
    assert references[0] != references[1]
    assert "live-figure" not in pages[1].content.decode()
    assert len(form_renders) == 1  # the second shopper's form came from the first render
    assert 'name="contact_name"' in pages[1].content.decode()


def test_only_the_hidden_fields_of_an_unbound_form_are_filled_in():
    from commerce.storefront.forms import CheckoutForm
    from commerce.storefront.page_cache import render_unbound_form

    class Shop:
        local_pickup = accepts_cash_on_delivery = accepts_pay_in_store = True

    form = CheckoutForm(shop_settings=Shop(), card_enabled=False)

    with pytest.raises(ValueError, match="email"):
        render_unbound_form(form, live={"email": "someone@example.test"})
    with pytest.raises(ValueError, match="reference"):
        render_unbound_form(
            CheckoutForm({}, shop_settings=Shop(), card_enabled=False),
            live={"reference": "x"},
        )


def test_a_description_that_reads_like_a_placeholder_is_shown_as_typed(selling_shop):
    with selling_shop.merchant:
        product = Product.objects.get(slug="oolong")
        variant_pk = product.variants.get().pk
        typed = f"Codes live-figure-units-{variant_pk}-4d1f and csrf-token-placeholder-4d1f"
        product.description = typed
        product.save()
    connection.set_schema_to_public()

    pages = [visitor().get("/p/oolong/") for _visit in range(2)]

    assert pages[1].templates == []  # the shared render
    for page in pages:
        assert typed in page.content.decode()
        assert "5 in stock" in page.content.decode()
