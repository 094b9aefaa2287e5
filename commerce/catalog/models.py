from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from commerce.cache import forget, key
from commerce.images import ShopFolder, ShopImageField

PRICE = {"max_digits": 12, "decimal_places": 2}


def product_page_key(product_id) -> str:
    return key("product", product_id)


def forget_product_page(product_id) -> None:
    """The storefront caches a product with its variants and images (commerce.cache)."""
    forget(product_page_key(product_id))


class Category(models.Model):
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=120, unique=True, allow_unicode=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=200, unique=True, allow_unicode=True)
    description = models.TextField(_("description"), blank=True)
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="products"
    )
    is_published = models.BooleanField(_("published"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["is_published", "-created_at"])]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        forget_product_page(self.pk)

    def delete(self, *args, **kwargs):
        forget_product_page(self.pk)
        return super().delete(*args, **kwargs)


class ProductImage(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    image = ShopImageField(upload_to=ShopFolder("products"))
    alt = models.CharField(max_length=200, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.alt or self.image.name

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        forget_product_page(self.product_id)


class Variant(models.Model):
    """What is bought: one SKU of a product, with its own price and stock per outlet."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="variants")
    sku = models.CharField(_("SKU"), max_length=64, unique=True)
    name = models.CharField(_("variant name"), max_length=120, blank=True)
    price = models.DecimalField(_("price"), **PRICE)
    compare_at_price = models.DecimalField(_("compare-at price"), null=True, blank=True, **PRICE)
    is_active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="variant_price_not_negative"),
            models.CheckConstraint(
                condition=Q(compare_at_price__isnull=True) | Q(compare_at_price__gte=0),
                name="variant_compare_at_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product.title} {self.name}".strip()

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        forget_product_page(self.product_id)


class Stock(models.Model):
    """Units of a variant at one outlet. Never negative (a database constraint says so)."""

    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="stocks")
    outlet = models.ForeignKey("store.Outlet", on_delete=models.PROTECT, related_name="stocks")
    quantity = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["variant", "outlet"], name="stock_variant_outlet"),
            models.CheckConstraint(condition=Q(quantity__gte=0), name="stock_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.variant_id}@{self.outlet_id}: {self.quantity}"


class StockMovement(models.Model):
    """An adjustment of a variant's units at an outlet, with its reason (goods received,
    damaged, found in a recount…): who changed stock by how much, and why."""

    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="movements")
    outlet = models.ForeignKey("store.Outlet", on_delete=models.PROTECT, related_name="+")
    delta = models.IntegerField()
    quantity_after = models.IntegerField()
    reason = models.CharField(max_length=200)
    actor = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(delta=0), name="stock_movement_not_zero"),
            models.CheckConstraint(
                condition=Q(quantity_after__gte=0), name="stock_movement_not_negative"
            ),
        ]
        indexes = [models.Index(fields=["variant", "created_at"], name="stock_movement_variant")]

    def __str__(self) -> str:
        return f"{self.variant_id}@{self.outlet_id} {self.delta:+d}: {self.reason}"
