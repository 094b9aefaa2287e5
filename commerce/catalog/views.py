from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from commerce.catalog.csv_io import MAX_IMPORT_BYTES, export_csv, import_csv
from commerce.catalog.forms import ImageRemovalForm, ProductForm, VariantFormSet
from commerce.catalog.models import Product
from commerce.catalog.selectors import product_with_variants, products_for_console, stock_levels
from commerce.catalog.services import (
    ProductInput,
    StockLevel,
    VariantInput,
    add_image,
    parse_quantity,
    remove_images,
    save_category,
    save_product,
    set_published,
    set_stock_levels,
)
from commerce.store.selectors import outlets
from commerce.store.setup import record_setup_if_complete
from core.forms import add_service_errors
from core.input import without_control_characters
from tenants.access import shop_member_required


@shop_member_required
def product_list(request):
    query = without_control_characters(request.GET.get("q", "")).strip()
    published = request.GET.get("published", "")
    page = Paginator(products_for_console(query=query, published=published), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "manage/catalog/product_list.html",
        {"page": page, "query": query, "published": published},
    )


def _initial_variants(product: Product | None) -> list[dict]:
    if product is None:
        return []
    return [
        {
            "id": variant.pk,
            "sku": variant.sku,
            "name": variant.name,
            "price": variant.price,
            "compare_at_price": variant.compare_at_price or "",
        }
        for variant in product.variants.all()
        if variant.is_active
    ]


@shop_member_required
def product_edit(request, product_id: int | None = None):
    product = None
    if product_id is not None:
        try:
            product = product_with_variants(product_id)
        except Product.DoesNotExist:
            raise Http404 from None
    initial = (
        {
            "title": product.title,
            "description": product.description,
            "category": product.category_id,
            "is_published": product.is_published,
        }
        if product
        else {}
    )
    form = ProductForm(request.POST or None, request.FILES or None, initial=initial)
    removal = ImageRemovalForm(request.POST or None, product=product)
    variant_forms = VariantFormSet(
        request.POST or None, initial=_initial_variants(product), prefix="variants"
    )
    if (
        request.method == "POST"
        and form.is_valid()
        and variant_forms.is_valid()
        and removal.is_valid()
    ):
        data = form.cleaned_data
        try:
            with transaction.atomic():
                category = data["category"]
                if data["new_category"].strip():
                    category = save_category(name=data["new_category"])
                saved = save_product(
                    product=product,
                    data=ProductInput(
                        title=data["title"],
                        description=data["description"],
                        category_id=category.pk if category else None,
                        is_published=data["is_published"],
                    ),
                    variants=[
                        VariantInput(
                            id=row.get("id"),
                            sku=row["sku"],
                            name=row.get("name", ""),
                            price=row["price"],
                            compare_at_price=row.get("compare_at_price") or None,
                        )
                        for row in variant_forms.cleaned_data
                        if row and not row.get("DELETE")
                    ],
                )
                removed = removal.cleaned_data["remove_images"]
                if removed:
                    remove_images(product=saved, image_ids=[image.pk for image in removed])
                if data["image"]:
                    add_image(product=saved, upload=data["image"], alt=data["image_alt"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Product saved."))
            record_setup_if_complete()
            return redirect("manage_product_stock", product_id=saved.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "manage/catalog/product_form.html",
        {
            "form": form,
            "variant_forms": variant_forms,
            "removal": removal,
            "product": product,
        },
        status=status,
    )


@shop_member_required
def product_stock(request, product_id: int):
    product = get_object_or_404(Product, pk=product_id)
    variants = [variant for variant in product.variants.all() if variant.is_active]
    places = list(outlets(active_only=True))
    levels = stock_levels([variant.pk for variant in variants])
    errors: list[str] = []
    if request.method == "POST":
        changes = []
        for variant in variants:
            for outlet in places:
                raw = request.POST.get(f"stock-{variant.pk}-{outlet.pk}", "").strip()
                if raw == "":
                    continue
                try:
                    changes.append(StockLevel(variant.pk, outlet.pk, parse_quantity(raw)))
                except ValidationError as error:
                    errors.extend(
                        _("%(sku)s at %(outlet)s: %(problem)s")
                        % {"sku": variant.sku, "outlet": outlet.name, "problem": problem}
                        for problem in error.messages
                    )
        if not errors:
            set_stock_levels(changes)
            messages.success(request, _("Stock saved."))
            return redirect("manage_product_stock", product_id=product.pk)
    rows = [
        {
            "variant": variant,
            "cells": [
                {
                    "name": f"stock-{variant.pk}-{outlet.pk}",
                    "value": request.POST.get(
                        f"stock-{variant.pk}-{outlet.pk}", levels.get((variant.pk, outlet.pk), 0)
                    ),
                }
                for outlet in places
            ],
        }
        for variant in variants
    ]
    return render(
        request,
        "manage/catalog/product_stock.html",
        {"product": product, "outlets": places, "rows": rows, "errors": errors},
        status=400 if errors else 200,
    )


@shop_member_required
@require_POST
def product_publish(request, product_id: int):
    product = get_object_or_404(Product, pk=product_id)
    set_published(product=product, published=request.POST.get("publish") == "1")
    record_setup_if_complete()
    messages.success(
        request, _("Product published.") if product.is_published else _("Product hidden.")
    )
    return redirect("manage_products")


@shop_member_required
def product_export(request):
    response = HttpResponse(export_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="products.csv"'
    return response


@shop_member_required
def product_import(request):
    report = None
    error = None
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            error = _("File: choose a CSV file.")
        else:
            try:
                report = import_csv(upload.read(MAX_IMPORT_BYTES + 1))
            except ValidationError as problem:
                error = " ".join(f"{_('File')}: {message}" for message in problem.messages)
            else:
                record_setup_if_complete()
    return render(
        request,
        "manage/catalog/product_import.html",
        {"report": report, "error": error},
        status=400 if error else 200,
    )
