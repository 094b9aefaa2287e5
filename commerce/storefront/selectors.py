from django.db import connection
from django.db.models import Prefetch

from commerce.cache import fingerprint, key, remember
from commerce.catalog.models import Category, Product, Variant, product_page_key
from commerce.store.models import StoreSettings
from commerce.store.selectors import online_outlet_ids


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


def product_page_fingerprint(product: Product) -> str | None:
    """What a product page shows besides live stock, as the caches hold it now: the product
    with its variants and images, and the shop's settings (call after reading both)."""
    return fingerprint(product_page_key(product.pk), key(StoreSettings.CACHE_KEY))


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


_AVAILABLE_UNITS_SQL = """
    SELECT variant_id, SUM(quantity)::integer FROM catalog_stock
    WHERE variant_id = ANY(%s) AND outlet_id = ANY(%s)
    GROUP BY variant_id
"""


def available_units(variant_ids: list[int]) -> dict[int, int]:
    """Units each variant has online: the sum over the outlets that fulfil online orders
    (checkout takes them from those outlets in the merchant's order). Read live, one fixed
    statement (it is on every product page)."""
    if not variant_ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(_AVAILABLE_UNITS_SQL, [list(variant_ids), list(online_outlet_ids())])
        return dict(cursor.fetchall())


def category_by_slug(slug: str) -> Category | None:
    return Category.objects.filter(slug=slug).first()
