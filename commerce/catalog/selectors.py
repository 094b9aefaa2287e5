from django.db.models import Count, Prefetch, Q, QuerySet, Sum

from commerce.catalog.models import Category, Product, Stock, Variant


def products_for_console(*, query: str = "", published: str = "") -> QuerySet[Product]:
    products = Product.objects.select_related("category").annotate(
        variant_count=Count("variants", distinct=True),
        units=Sum("variants__stocks__quantity"),
    )
    if query:
        products = products.filter(
            Q(title__icontains=query) | Q(variants__sku__icontains=query)
        ).distinct()
    if published in ("yes", "no"):
        products = products.filter(is_published=published == "yes")
    return products.order_by("-created_at", "-id")


def products_for_api(*, query: str = "", published: str = "") -> QuerySet[Product]:
    products = Product.objects.prefetch_related(
        Prefetch("variants", queryset=Variant.objects.order_by("position", "id")), "images"
    )
    if query:
        products = products.filter(
            Q(title__icontains=query) | Q(variants__sku__icontains=query)
        ).distinct()
    if published in ("yes", "no"):
        products = products.filter(is_published=published == "yes")
    return products.order_by("-created_at", "-id")


def stock_rows(
    *, variant_id: int | None = None, outlet_id: int | None = None, product_id: int | None = None
) -> QuerySet[Stock]:
    stocks = Stock.objects.select_related("variant").order_by("variant_id", "outlet_id")
    if variant_id is not None:
        stocks = stocks.filter(variant_id=variant_id)
    if outlet_id is not None:
        stocks = stocks.filter(outlet_id=outlet_id)
    if product_id is not None:
        stocks = stocks.filter(variant__product_id=product_id)
    return stocks


def product_with_variants(product_id: int) -> Product:
    return Product.objects.prefetch_related(
        Prefetch("variants", queryset=Variant.objects.order_by("position", "id")),
        "images",
    ).get(pk=product_id)


def stock_levels(variant_ids: list[int]) -> dict[tuple[int, int], int]:
    """{(variant_id, outlet_id): quantity} for the given variants."""
    return {
        (variant_id, outlet_id): quantity
        for variant_id, outlet_id, quantity in Stock.objects.filter(
            variant_id__in=variant_ids
        ).values_list("variant_id", "outlet_id", "quantity")
    }


def categories() -> QuerySet[Category]:
    return Category.objects.all()


def published_products(*, category: Category | None = None, query: str = "") -> QuerySet[Product]:
    products = Product.objects.filter(is_published=True).prefetch_related(
        Prefetch(
            "variants",
            queryset=Variant.objects.filter(is_active=True).order_by("position", "id"),
        ),
        "images",
    )
    if category is not None:
        products = products.filter(category=category)
    if query:
        products = products.filter(
            Q(title__icontains=query)
            | Q(description__icontains=query)
            | Q(variants__sku__iexact=query)
        ).distinct()
    return products.order_by("-created_at", "-id")
