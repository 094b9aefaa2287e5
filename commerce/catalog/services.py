"""Catalog changes: products with their variants, stock levels, images, categories."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_unicode_slug
from django.db import transaction
from django.db.models import F
from django.utils.text import slugify
from django.utils.translation import gettext as _

from commerce.catalog.models import (
    Category,
    Product,
    ProductImage,
    Stock,
    StockMovement,
    Variant,
)
from commerce.developers import events as webhooks
from commerce.images import reencode_image
from commerce.money import check_price
from core.fields import decimal_precision

MAX_IMAGE_MEGABYTES = 5
# Stock.quantity is a PostgreSQL integer.
MAX_QUANTITY = 2_147_483_647
QUANTITY = re.compile(r"[0-9]+")
DELTA = re.compile(r"[+-]?[0-9]{1,10}")


@dataclass(frozen=True)
class VariantInput:
    sku: str
    price: Decimal | str
    name: str = ""
    compare_at_price: Decimal | str | None = None
    id: int | None = None


@dataclass(frozen=True)
class ProductInput:
    title: str
    description: str = ""
    category_id: int | None = None
    is_published: bool = False
    slug: str = ""


@dataclass(frozen=True)
class StockLevel:
    variant_id: int
    outlet_id: int
    quantity: int


def parse_price(value, field: str) -> Decimal:
    """A price typed in by the merchant: a number, ≥ 0, no finer than the shop's currency,
    and small enough for the database column."""
    return check_price(value, field, **decimal_precision(Variant._meta.get_field("price")))


def parse_quantity(value, field: str = "quantity") -> int:
    """A stock count: a whole number of 0 or more (typed text or an int)."""
    if isinstance(value, bool):
        value = None
    elif isinstance(value, str):
        value = int(value.strip()) if QUANTITY.fullmatch(value.strip()) else None
    if not isinstance(value, int) or value < 0:
        raise ValidationError({field: [_("Stock is a whole number of 0 or more.")]})
    if value > MAX_QUANTITY:
        raise ValidationError(
            {field: [_("Stock can be at most %(limit)s.") % {"limit": MAX_QUANTITY}]}
        )
    return value


def unique_slug(title: str, *, exclude_id: int | None = None) -> str:
    base = slugify(title, allow_unicode=True)[:180] or "product"
    slug, number = base, 2
    others = Product.objects.exclude(pk=exclude_id) if exclude_id else Product.objects.all()
    while others.filter(slug=slug).exists():
        slug, number = f"{base}-{number}", number + 1
    return slug


def check_slug(slug: str, *, exclude_id: int | None = None) -> str:
    slug = slug.strip()
    try:
        validate_unicode_slug(slug)
    except ValidationError:
        raise ValidationError(
            {"slug": [_("Use letters, numbers, hyphens and underscores only.")]}
        ) from None
    if len(slug) > 200:
        raise ValidationError({"slug": [_("Use at most 200 characters.")]})
    if Product.objects.filter(slug=slug).exclude(pk=exclude_id).exists():
        raise ValidationError({"slug": [_("Another product already uses this address.")]})
    return slug


def _add(errors: dict[str, list[str]], error: ValidationError) -> None:
    for field, messages in error.message_dict.items():
        errors.setdefault(field, []).extend(messages)


def _too_long(value: str, limit: int) -> str:
    return _("Use at most %(limit)s characters (this has %(length)s).") % {
        "limit": limit,
        "length": len(value),
    }


@transaction.atomic
def save_product(
    *, data: ProductInput, variants: list[VariantInput], product: Product | None = None
) -> Product:
    """Create or update a product and its variants in one go. A variant is matched by its id,
    else by its SKU among the product's variants; variants left out are deactivated (orders
    may refer to them), and come back when their SKU is used again."""
    errors: dict[str, list[str]] = {}
    title = data.title.strip()
    if not title:
        errors["title"] = [_("Enter the product's title.")]
    elif len(title) > 200:
        errors["title"] = [_too_long(title, 200)]
    if not variants:
        errors["variants"] = [_("A product needs at least one variant.")]
    skus = [variant.sku.strip() for variant in variants]
    if any(not sku for sku in skus):
        errors["sku"] = [_("Every variant needs a SKU.")]
    if any(len(sku) > 64 for sku in skus):
        errors["sku"] = [_("A SKU has at most 64 characters.")]
    if any(len(variant.name.strip()) > 120 for variant in variants):
        errors["name"] = [_("A variant name has at most 120 characters.")]
    duplicates = sorted({sku for sku in skus if sku and skus.count(sku) > 1})
    taken = Variant.objects.filter(sku__in=skus)
    if product is not None:
        taken = taken.exclude(product=product)
    duplicates += sorted(taken.values_list("sku", flat=True))
    if duplicates:
        errors["sku"] = [_("SKU already used: %(skus)s.") % {"skus": ", ".join(duplicates)}]
    if data.category_id and not Category.objects.filter(pk=data.category_id).exists():
        errors["category"] = [_("Unknown category.")]
    slug = ""
    if data.slug.strip():
        try:
            slug = check_slug(data.slug, exclude_id=product.pk if product else None)
        except ValidationError as error:
            _add(errors, error)
    prices = []
    for variant in variants:
        try:
            price = parse_price(variant.price, "price")
            compare_at = (
                parse_price(variant.compare_at_price, "compare_at_price")
                if variant.compare_at_price not in (None, "")
                else None
            )
            prices.append((price, compare_at))
        except ValidationError as error:
            _add(errors, error)
    if errors:
        raise ValidationError(errors)

    product = product or Product()
    product.title = title
    product.description = data.description.strip()
    product.category_id = data.category_id
    product.is_published = data.is_published
    product.slug = slug or product.slug or unique_slug(title, exclude_id=product.pk)
    product.save()

    existing = {variant.pk: variant for variant in product.variants.select_for_update()}
    by_sku = {variant.sku: variant for variant in existing.values()}
    chosen: list[Variant] = []
    for variant_input, sku in zip(variants, skus, strict=True):
        variant = existing.get(variant_input.id) if variant_input.id else None
        if variant is None or variant in chosen:
            variant = by_sku.get(sku)
        if variant is None or variant in chosen:
            variant = Variant(product=product)
        chosen.append(variant)
    # SKUs are unique (not deferrable): move kept variants whose SKU changes out of the way
    # first, so that two variants may swap SKUs in one save.
    moving = [
        variant
        for variant, sku in zip(chosen, skus, strict=True)
        if variant.pk and variant.sku != sku
    ]
    for variant in moving:
        Variant.objects.filter(pk=variant.pk).update(sku=f"~{uuid.uuid4().hex}")
    for position, (variant, variant_input, sku, (price, compare_at)) in enumerate(
        zip(chosen, variants, skus, prices, strict=True)
    ):
        variant.sku = sku
        variant.name = variant_input.name.strip()
        variant.price = price
        variant.compare_at_price = compare_at
        variant.position = position
        variant.is_active = True
        variant.save()
    for leftover in existing.values():
        if leftover not in chosen and leftover.is_active:
            leftover.is_active = False
            leftover.save(update_fields=["is_active"])
    webhooks.emit_product_updated(product)
    return product


@transaction.atomic
def set_published(*, product: Product, published: bool) -> Product:
    product.is_published = published
    product.save(update_fields=["is_published", "updated_at"])
    webhooks.emit_product_updated(product)
    return product


def set_stock(*, variant_id: int, outlet_id: int, quantity) -> Stock:
    """Set the units of a variant at an outlet (a count after a stocktake)."""
    quantity = parse_quantity(quantity)
    stock, _created = Stock.objects.update_or_create(
        variant_id=variant_id, outlet_id=outlet_id, defaults={"quantity": quantity}
    )
    webhooks.emit_stock_changed(stock)
    return stock


@transaction.atomic
def adjust_stock(
    *, variant_id: int, outlet_id: int, delta, reason: str, actor: str
) -> tuple[Stock, StockMovement]:
    """Add or take units (goods received, damaged, a recount's difference) with the reason
    kept in the stock's movement history. The change is one conditional UPDATE, so units
    sold at the same moment are never overwritten and stock never goes below zero."""
    if isinstance(delta, bool) or not isinstance(delta, int):
        delta = int(delta) if isinstance(delta, str) and DELTA.fullmatch(delta.strip()) else None
    if delta is None or delta == 0 or abs(delta) > MAX_QUANTITY:
        raise ValidationError(
            {
                "delta": [
                    _("Adjust by a whole number other than 0, at most %(limit)s either way.")
                    % {"limit": MAX_QUANTITY}
                ]
            }
        )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the stock changes.")]})
    if len(reason) > 200:
        raise ValidationError({"reason": [_too_long(reason, 200)]})
    if not Variant.objects.filter(pk=variant_id).exists():
        raise ValidationError({"variant": [_("Unknown variant.")]})
    if delta > 0:
        Stock.objects.get_or_create(variant_id=variant_id, outlet_id=outlet_id)
    changed = Stock.objects.filter(
        variant_id=variant_id,
        outlet_id=outlet_id,
        quantity__gte=max(0, -delta),
        quantity__lte=MAX_QUANTITY - max(0, delta),
    ).update(quantity=F("quantity") + delta)
    if not changed and delta > 0:
        raise ValidationError(
            {"delta": [_("Stock can be at most %(limit)s.") % {"limit": MAX_QUANTITY}]}
        )
    if not changed:
        on_hand = (
            Stock.objects.filter(variant_id=variant_id, outlet_id=outlet_id)
            .values_list("quantity", flat=True)
            .first()
        ) or 0
        raise ValidationError(
            {
                "delta": [
                    _("Only %(units)s in stock at this outlet: it cannot go below zero.")
                    % {"units": on_hand}
                ]
            }
        )
    stock = Stock.objects.get(variant_id=variant_id, outlet_id=outlet_id)
    movement = StockMovement.objects.create(
        variant_id=variant_id,
        outlet_id=outlet_id,
        delta=delta,
        quantity_after=stock.quantity,
        reason=reason,
        actor=actor[:200],
    )
    webhooks.emit_stock_changed(stock)
    return stock, movement


@transaction.atomic
def set_stock_levels(levels: list[StockLevel]) -> list[Stock]:
    """Set several counts at once: all of them or none."""
    return [
        set_stock(variant_id=level.variant_id, outlet_id=level.outlet_id, quantity=level.quantity)
        for level in levels
    ]


def add_image(*, product: Product, upload: UploadedFile, alt: str = "") -> ProductImage:
    """Store the upload's pixels re-encoded under a random name (commerce.images); the
    upload's own name, type and bytes are never kept."""
    if len(alt.strip()) > 200:
        raise ValidationError({"alt": [_too_long(alt.strip(), 200)]})
    clean = reencode_image(upload, field="image", max_megabytes=MAX_IMAGE_MEGABYTES)
    return ProductImage.objects.create(
        product=product, image=clean, alt=alt.strip(), position=product.images.count()
    )


@transaction.atomic
def remove_images(*, product: Product, image_ids: list[int]) -> int:
    images = list(product.images.filter(pk__in=image_ids))
    for image in images:
        image.delete()
        # The file goes only once the rows are gone for good.
        transaction.on_commit(
            lambda name=image.image.name: ProductImage.image.field.storage.delete(name)
        )
    if images:
        product.save(update_fields=["updated_at"])
    return len(images)


def save_category(*, name: str) -> Category:
    """The category of that name (by its slug), created when new."""
    name = name.strip()
    if not name:
        raise ValidationError({"category": [_("Enter the category's name.")]})
    if len(name) > 120:
        raise ValidationError({"category": [_too_long(name, 120)]})
    slug = slugify(name, allow_unicode=True)[:120] or "category"
    category, _created = Category.objects.get_or_create(slug=slug, defaults={"name": name})
    return category
