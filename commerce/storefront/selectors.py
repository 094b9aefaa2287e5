from django.db.models import Prefetch

from commerce.cache import key, remember
from commerce.catalog.models import Category, Product, Stock, Variant, product_page_key
from commerce.store.selectors import online_outlet_id


def product_page(slug: str) -> Product | None:
    """A published product with its active variants and images, from the short-lived cache
    (three queries when it is not there)."""
    product_id = remember(key("product-slug", slug), lambda: _product_id(slug))
    if product_id is None:
        return None
    product = remember(product_page_key(product_id), lambda: _load_product(product_id))
    # A slug can move to another product; and an unpublished product is not shown.
    if product is None or product.slug != slug or not product.is_published:
        return None
    return product


def _product_id(slug: str) -> int | None:
    return Product.objects.filter(slug=slug).values_list("pk", flat=True).first()


def _load_product(product_id: int) -> Product | None:
    return (
        Product.objects.filter(pk=product_id)
        .select_related("category")
        .prefetch_related(
            Prefetch(
                "variants",
                queryset=Variant.objects.filter(is_active=True).order_by("position", "id"),
            ),
            "images",
        )
        .first()
    )


def available_units(variant_ids: list[int], shop_settings) -> dict[int, int]:
    """Units each variant has at the outlet online orders ship from."""
    outlet_id = online_outlet_id(shop_settings)
    return dict(
        Stock.objects.filter(variant_id__in=variant_ids, outlet_id=outlet_id).values_list(
            "variant_id", "quantity"
        )
    )


def category_by_slug(slug: str) -> Category | None:
    return Category.objects.filter(slug=slug).first()
