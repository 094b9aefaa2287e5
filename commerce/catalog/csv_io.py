"""Product CSV import and export: one row per variant, stock as `stock:<outlet>` columns.

Import applies each row in its own savepoint: a bad row is reported (row number, column,
message) and leaves nothing behind; good rows land. Re-importing updates (matched by SKU).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_unicode_slug
from django.db import transaction
from django.utils.translation import gettext as _

from commerce.catalog.models import Product, Stock, Variant
from commerce.catalog.services import parse_price, parse_quantity, save_category, unique_slug
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
FALSE_WORDS = {"0", "no", "false", "n", "否"}


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


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MAX_LENGTHS = {
    "product_slug": 200,
    "title": 200,
    "category": 120,
    "sku": 64,
    "variant_name": 120,
}


def _safe(text: str) -> str:
    """Spreadsheets run cells starting with = + - @ as formulas: export those with a leading
    apostrophe (the import takes it off again)."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def _unsafe(text: str) -> str:
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_STARTS) else text


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
                _safe(product.slug),
                _safe(product.title),
                _safe(product.description),
                _safe(product.category.name if product.category else ""),
                "yes" if product.is_published else "no",
                _safe(variant.sku),
                _safe(variant.name),
                str(variant.price),
                str(variant.compare_at_price or ""),
                *(str(levels.get((variant.pk, place.pk), 0)) for place in places),
            ]
        )
    return rows


def export_csv() -> str:
    """The catalog as CSV text, starting with a byte order mark so that spreadsheet programs
    read it as UTF-8 (Chinese names stay readable)."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    csv.writer(buffer).writerows(export_rows())
    return buffer.getvalue()


def import_csv(raw: bytes) -> ImportReport:
    """Apply a CSV file row by row. Problems with the file itself raise a ValidationError
    naming `file`; problems with a row are collected in the report."""
    report = ImportReport()
    if len(raw) > MAX_IMPORT_BYTES:
        raise ValidationError({"file": [_("The file is larger than 2 MB.")]})
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError({"file": [_("Save the file as UTF-8 CSV and try again.")]}) from None
    if "\x00" in text:
        raise ValidationError({"file": [_("This is not a CSV file.")]})
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = [(name or "").strip().lstrip("\ufeff") for name in (reader.fieldnames or [])]
    except csv.Error as error:
        raise ValidationError({"file": [_("This is not a CSV file.")]}) from error
    reader.fieldnames = header
    if not header:
        raise ValidationError({"file": [_("The file is empty.")]})
    repeated = sorted({name for name in header if name and header.count(name) > 1})
    if repeated:
        raise ValidationError(
            {"file": [_("Repeated columns: %(columns)s.") % {"columns": ", ".join(repeated)}]}
        )
    missing = sorted(REQUIRED_COLUMNS - set(header))
    if missing:
        raise ValidationError(
            {"file": [_("Missing columns: %(columns)s.") % {"columns": ", ".join(missing)}]}
        )
    outlets = {place.name: place for place in Outlet.objects.all()}
    stock_columns = [column for column in header if column.startswith("stock:")]
    unknown = [column for column in stock_columns if column[len("stock:") :] not in outlets]
    if unknown:
        raise ValidationError(
            {"file": [_("Unknown outlets: %(names)s.") % {"names": ", ".join(unknown)}]}
        )
    number = 1
    rows = iter(reader)
    while True:
        number += 1
        try:
            row = next(rows)
        except StopIteration:
            break
        except csv.Error as error:
            report.errors.append(RowError(number, "", str(error)))
            break
        if not any((value or "").strip() for value in row.values() if isinstance(value, str)):
            continue
        try:
            with transaction.atomic():
                created = _apply_row(row, outlets, stock_columns)
        except ValidationError as error:
            for column, messages in error.message_dict.items():
                column = "" if column == "__all__" else column
                report.errors.extend(RowError(number, column, message) for message in messages)
        else:
            if created:
                report.created += 1
            else:
                report.updated += 1
    return report


def _apply_row(row: dict, outlets: dict[str, Outlet], stock_columns: list[str]) -> bool:
    """One row, all or nothing (the caller's savepoint). True when its variant is new."""

    def cell(name: str) -> str:
        value = row.get(name)
        return _unsafe(value.strip()) if isinstance(value, str) else ""

    errors: dict[str, list[str]] = {}
    if row.get(None):
        errors["__all__"] = [_("This row has more cells than the header has columns.")]
    sku, title = cell("sku"), cell("title")
    if not sku:
        errors["sku"] = [_("This field is required.")]
    if not title:
        errors["title"] = [_("This field is required.")]
    for column, limit in MAX_LENGTHS.items():
        if len(cell(column)) > limit:
            errors[column] = [_("Use at most %(limit)s characters.") % {"limit": limit}]
    for column in ("price", "compare_at_price"):
        if column == "compare_at_price" and not cell(column):
            continue
        try:
            parse_price(cell(column), column)
        except ValidationError as error:
            errors.update(error.message_dict)
    published = None
    if cell("published"):
        word = cell("published").lower()
        if word in TRUE_WORDS:
            published = True
        elif word in FALSE_WORDS:
            published = False
        else:
            errors["published"] = [_("Write yes or no.")]
    quantities = {}
    for column in stock_columns:
        value = cell(column)
        if not value:
            continue
        try:
            quantities[outlets[column[len("stock:") :]]] = parse_quantity(value, column)
        except ValidationError as error:
            errors.update(error.message_dict)
    variant = Variant.objects.select_related("product").filter(sku=sku).first() if sku else None
    slug = cell("product_slug")
    if slug:
        try:
            validate_unicode_slug(slug)
        except ValidationError:
            errors["product_slug"] = [_("Use letters, numbers, hyphens and underscores only.")]
        else:
            if variant is not None and variant.product.slug != slug:
                errors["sku"] = [
                    _("This SKU belongs to the product %(slug)s.") % {"slug": variant.product.slug}
                ]
    if errors:
        raise ValidationError(errors)

    if variant is not None:
        product = variant.product
    elif slug:
        product = Product.objects.filter(slug=slug).first() or Product(slug=slug)
    else:
        # A new variant without a product address joins the newest product of that title
        # (e.g. one made by an earlier row of this file), or starts a new product.
        product = Product.objects.filter(title=title).order_by("-id").first() or Product(
            slug=unique_slug(title)
        )
    product.title = title
    # Product cells left blank keep what the product has (a file may fill them in on the
    # product's first row only).
    if cell("description"):
        product.description = cell("description")
    if published is not None:
        product.is_published = published
    if cell("category"):
        product.category = save_category(name=cell("category"))
    product.save()
    created = variant is None
    variant = variant or Variant(product=product, sku=sku)
    variant.name = cell("variant_name")
    variant.price = parse_price(cell("price"), "price")
    variant.compare_at_price = (
        parse_price(cell("compare_at_price"), "compare_at_price")
        if cell("compare_at_price")
        else None
    )
    variant.is_active = True
    if created:
        variant.position = product.variants.count() if product.pk else 0
    variant.save()
    for outlet, quantity in quantities.items():
        Stock.objects.update_or_create(
            variant=variant, outlet=outlet, defaults={"quantity": quantity}
        )
    return created
