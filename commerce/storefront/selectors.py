from django.db.models import Prefetch

from commerce.catalog.models import Category, Product, Stock, Variant
from commerce.store.selectors import online_outlet_id


def product_page(slug: str) -> Product | None:
    """A published product with its active variants and images (three queries)."""
    return (
        Product.objects.filter(slug=slug, is_published=True)
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
