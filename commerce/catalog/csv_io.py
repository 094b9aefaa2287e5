"""Product CSV import and export: one row per variant, stock as `stock:<outlet>` columns.

Import applies each row in its own savepoint: a bad row is reported (row number, column,
message) and leaves nothing behind; good rows land. Re-importing updates (matched by SKU).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from commerce.catalog.models import Category, Product, Stock, Variant
from commerce.catalog.services import unique_slug
from commerce.money import check_price
from commerce.store.models import Outlet

BASE_COLUMNS = [
    "product_slug",
    "title",
    "description",
    "category",
    "published",
    "sku",
    "variant_name",
    "price",
    "compare_at_price",
]
REQUIRED_COLUMNS = {"sku", "title", "price"}
MAX_IMPORT_BYTES = 2 * 1024 * 1024
TRUE_WORDS = {"1", "yes", "true", "y", "是"}


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)


def export_rows() -> list[list[str]]:
    places = list(Outlet.objects.order_by("name"))
    levels = {
        (variant_id, outlet_id): quantity
        for variant_id, outlet_id, quantity in Stock.objects.values_list(
            "variant_id", "outlet_id", "quantity"
        )
    }
    rows = [BASE_COLUMNS + [f"stock:{place.name}" for place in places]]
    variants = (
        Variant.objects.filter(is_active=True)
        .select_related("product__category")
        .order_by("product_id", "position", "id")
    )
    for variant in variants:
        product = variant.product
        rows.append(
            [
                product.slug,
                product.title,
                product.description,
                product.category.name if product.category else "",
                "yes" if product.is_published else "no",
                variant.sku,
                variant.name,
                str(variant.price),
                str(variant.compare_at_price or ""),
                *(str(levels.get((variant.pk, place.pk), 0)) for place in places),
            ]
        )
    return rows


def export_csv() -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(export_rows())
    return buffer.getvalue()


def import_csv(raw: bytes) -> ImportReport:
    report = ImportReport()
    if len(raw) > MAX_IMPORT_BYTES:
        raise ValidationError({"file": [_("The file is larger than 2 MB.")]})
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError({"file": [_("Save the file as UTF-8 CSV and try again.")]}) from None
    reader = csv.DictReader(io.StringIO(text))
    columns = set(reader.fieldnames or [])
    missing = sorted(REQUIRED_COLUMNS - columns)
    if missing:
        raise ValidationError(
            {"file": [_("Missing columns: %(columns)s.") % {"columns": ", ".join(missing)}]}
        )
    outlets = {place.name: place for place in Outlet.objects.all()}
    stock_columns = [column for column in reader.fieldnames if column.startswith("stock:")]
    unknown = [column for column in stock_columns if column[len("stock:") :] not in outlets]
    if unknown:
        raise ValidationError(
            {"file": [_("Unknown outlets: %(names)s.") % {"names": ", ".join(unknown)}]}
        )
    for number, row in enumerate(reader, start=2):
        try:
            with transaction.atomic():
                created = _apply_row(row, outlets, stock_columns)
        except ValidationError as error:
            for column, messages in error.message_dict.items():
                report.errors.extend(RowError(number, column, message) for message in messages)
        else:
            if created:
                report.created += 1
            else:
                report.updated += 1
    return report


def _apply_row(row: dict, outlets: dict[str, Outlet], stock_columns: list[str]) -> bool:
    def cell(name: str) -> str:
        return (row.get(name) or "").strip()

    errors: dict[str, list[str]] = {}
    sku, title = cell("sku"), cell("title")
    if not sku:
        errors["sku"] = [_("This field is required.")]
    if not title:
        errors["title"] = [_("This field is required.")]
    price = compare_at = None
    try:
        price = check_price(cell("price"), "price")
        if cell("compare_at_price"):
            compare_at = check_price(cell("compare_at_price"), "compare_at_price")
    except ValidationError as error:
        errors.update(error.message_dict)
    quantities = {}
    for column in stock_columns:
        value = cell(column)
        if value and not value.isdigit():
            errors[column] = [_("Stock is a whole number of 0 or more.")]
        elif value:
            quantities[outlets[column[len("stock:") :]]] = int(value)
    if errors:
        raise ValidationError(errors)

    slug = cell("product_slug") or slugify(title, allow_unicode=True) or unique_slug(title)
    product = Product.objects.filter(slug=slug).first() or Product(slug=slug)
    product.title = title
    product.description = cell("description") or product.description
    product.is_published = cell("published").lower() in TRUE_WORDS
    if cell("category"):
        category_slug = slugify(cell("category"), allow_unicode=True) or "category"
        product.category, _created = Category.objects.get_or_create(
            slug=category_slug, defaults={"name": cell("category")}
        )
    product.save()
    variant = Variant.objects.filter(sku=sku).first()
    created = variant is None
    if variant is not None and variant.product_id != product.pk:
        raise ValidationError({"sku": [_("This SKU belongs to another product.")]})
    variant = variant or Variant(product=product, sku=sku)
    variant.name = cell("variant_name")
    variant.price = price
    variant.compare_at_price = compare_at
    variant.is_active = True
    variant.save()
    for outlet, quantity in quantities.items():
        Stock.objects.update_or_create(
            variant=variant, outlet=outlet, defaults={"quantity": quantity}
        )
    return created
