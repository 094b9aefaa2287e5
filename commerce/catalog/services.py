"""Catalog changes: products with their variants, stock levels, images, categories."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from commerce.catalog.models import Category, Product, ProductImage, Stock, Variant
from commerce.images import validate_image
from commerce.money import check_price


@dataclass(frozen=True)
class VariantInput:
    sku: str
    price: Decimal
    name: str = ""
    compare_at_price: Decimal | None = None
    id: int | None = None


@dataclass(frozen=True)
class ProductInput:
    title: str
    description: str = ""
    category_id: int | None = None
    is_published: bool = False
    slug: str = ""


def unique_slug(title: str, *, exclude_id: int | None = None) -> str:
    base = slugify(title, allow_unicode=True)[:180] or "product"
    slug, number = base, 2
    others = Product.objects.exclude(pk=exclude_id) if exclude_id else Product.objects.all()
    while others.filter(slug=slug).exists():
        slug, number = f"{base}-{number}", number + 1
    return slug


@transaction.atomic
def save_product(
    *, data: ProductInput, variants: list[VariantInput], product: Product | None = None
) -> Product:
    """Create or update a product and its variants in one go; variants left out are removed
    (or deactivated when orders refer to them)."""
    errors: dict[str, list[str]] = {}
    title = data.title.strip()
    if not title:
        errors["title"] = [_("Enter the product's title.")]
    if not variants:
        errors["variants"] = [_("A product needs at least one variant.")]
    skus = [variant.sku.strip() for variant in variants]
    if any(not sku for sku in skus):
        errors["sku"] = [_("Every variant needs a SKU.")]
    duplicates = sorted({sku for sku in skus if sku and skus.count(sku) > 1})
    taken = Variant.objects.filter(sku__in=skus)
    if product is not None:
        taken = taken.exclude(product=product)
    duplicates += sorted(taken.values_list("sku", flat=True))
    if duplicates:
        errors["sku"] = [_("SKU already used: %(skus)s.") % {"skus": ", ".join(duplicates)}]
    if data.category_id and not Category.objects.filter(pk=data.category_id).exists():
        errors["category"] = [_("Unknown category.")]
    prices = []
    for variant in variants:
        try:
            price = check_price(variant.price, "price")
            compare_at = (
                check_price(variant.compare_at_price, "compare_at_price")
                if variant.compare_at_price not in (None, "")
                else None
            )
            prices.append((price, compare_at))
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)

    product = product or Product()
    product.title = title
    product.description = data.description.strip()
    product.category_id = data.category_id
    product.is_published = data.is_published
    product.slug = data.slug.strip() or product.slug or unique_slug(title, exclude_id=product.pk)
    product.save()

    existing = {variant.pk: variant for variant in product.variants.all()}
    for position, (variant_input, (price, compare_at)) in enumerate(
        zip(variants, prices, strict=True)
    ):
        variant = existing.pop(variant_input.id, None) if variant_input.id else None
        variant = variant or Variant(product=product)
        variant.sku = variant_input.sku.strip()
        variant.name = variant_input.name.strip()
        variant.price = price
        variant.compare_at_price = compare_at
        variant.position = position
        variant.is_active = True
        variant.save()
    for leftover in existing.values():
        leftover.is_active = False
        leftover.save(update_fields=["is_active"])
    return product


def set_stock(*, variant_id: int, outlet_id: int, quantity) -> Stock:
    """Set the units of a variant at an outlet (a count after a stocktake)."""
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
        raise ValidationError({"quantity": [_("Stock is a whole number of 0 or more.")]})
    stock, _created = Stock.objects.update_or_create(
        variant_id=variant_id, outlet_id=outlet_id, defaults={"quantity": quantity}
    )
    return stock


def add_image(*, product: Product, upload: UploadedFile, alt: str = "") -> ProductImage:
    validate_image(upload, field="image", max_megabytes=5)
    return ProductImage.objects.create(
        product=product, image=upload, alt=alt.strip(), position=product.images.count()
    )


def save_category(*, name: str) -> Category:
    name = name.strip()
    if not name:
        raise ValidationError({"name": [_("Enter the category's name.")]})
    slug = slugify(name, allow_unicode=True) or "category"
    category, _created = Category.objects.get_or_create(slug=slug, defaults={"name": name})
    return category
