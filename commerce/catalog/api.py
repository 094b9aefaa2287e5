"""Products and stock over the API (session auth; the shop is the request's host)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from commerce.catalog.models import Product, ProductImage, Stock, StockMovement, Variant
from commerce.catalog.selectors import products_for_api, stock_rows
from commerce.catalog.services import (
    MAX_QUANTITY,
    ProductInput,
    VariantInput,
    adjust_stock,
    save_product,
    set_stock,
)
from commerce.developers.idempotency import HEADER as IDEMPOTENCY_HEADER
from commerce.developers.idempotency import idempotent
from commerce.store.models import Outlet
from core.fields import integer_serializer_field


class VariantSerializer(serializers.ModelSerializer):
    id = integer_serializer_field(Variant._meta.get_field("id"), required=False)
    # Strings in and out: the service checks the amount against the column's precision and
    # the shop's currency, naming the field (errors land on `price`, not deep in `variants`).
    price = serializers.CharField(max_length=40)
    compare_at_price = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, max_length=40
    )

    class Meta:
        model = Variant
        fields = ["id", "sku", "name", "price", "compare_at_price", "is_active"]
        read_only_fields = ["is_active"]
        # SKU uniqueness across the shop is the service's check (it knows which variant
        # an update keeps).
        extra_kwargs = {"sku": {"validators": []}}


class ProductImageSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProductImage
        fields = ["id", "image", "alt", "position"]
        read_only_fields = fields


class ProductSerializer(serializers.ModelSerializer):
    # Read-only and Unicode (茶-2): the schema's ASCII slug pattern refused Chinese slugs.
    slug = serializers.CharField(read_only=True)
    variants = VariantSerializer(many=True)
    images = ProductImageSerializer(many=True, read_only=True)

    class Meta:
        model = Product
        fields = [
            "id",
            "title",
            "slug",
            "description",
            "category",
            "is_published",
            "variants",
            "images",
            "created_at",
        ]
        read_only_fields = ["id", "slug", "created_at"]

    def save(self, **kwargs):
        data = self.validated_data
        try:
            self.instance = save_product(
                product=self.instance,
                data=ProductInput(
                    title=data.get("title", getattr(self.instance, "title", "")),
                    description=data.get("description", getattr(self.instance, "description", "")),
                    category_id=(data["category"].pk if data.get("category") else None),
                    is_published=data.get("is_published", False),
                ),
                variants=[
                    VariantInput(
                        id=variant.get("id"),
                        sku=variant["sku"],
                        name=variant.get("name", ""),
                        price=variant["price"],
                        compare_at_price=variant.get("compare_at_price") or None,
                    )
                    for variant in data.get("variants", [])
                ],
            )
        except DjangoValidationError as error:
            raise ValidationError(error.message_dict) from error
        return self.instance


class ProductFilterSerializer(serializers.Serializer):
    q = serializers.CharField(
        required=False, allow_blank=True, max_length=200, help_text="Title or SKU."
    )
    published = serializers.ChoiceField(
        choices=[("yes", "yes"), ("no", "no")], required=False, allow_blank=True
    )


@extend_schema_view(list=extend_schema(parameters=[ProductFilterSerializer]))
class ProductViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """The shop's products with their variants (PUT replaces the variant list: variants left
    out are deactivated). Filters: `?q=` (title or SKU), `?published=yes|no`."""

    serializer_class = ProductSerializer
    api_resource = "products"  # the scope an API key needs
    http_method_names = ["get", "post", "put", "head", "options"]

    def get_queryset(self):
        if self.action != "list":
            return products_for_api()
        params = ProductFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        return products_for_api(
            query=params.validated_data.get("q", ""),
            published=params.validated_data.get("published", ""),
        )


class StockSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="variant.sku", read_only=True)

    class Meta:
        model = Stock
        fields = ["id", "variant", "sku", "outlet", "quantity"]
        # Posting a variant and outlet that already have a row updates it (set_stock).
        validators = []


class StockAdjustSerializer(serializers.Serializer):
    variant = serializers.PrimaryKeyRelatedField(queryset=Variant.objects.all())
    outlet = serializers.PrimaryKeyRelatedField(queryset=Outlet.objects.all())
    delta = serializers.IntegerField(min_value=-MAX_QUANTITY, max_value=MAX_QUANTITY)
    reason = serializers.CharField(max_length=200)


class StockMovementSerializer(serializers.ModelSerializer):
    class Meta:
        model = StockMovement
        fields = [
            "id",
            "variant",
            "outlet",
            "delta",
            "quantity_after",
            "reason",
            "actor",
            "created_at",
        ]


class StockFilterSerializer(serializers.Serializer):
    variant = integer_serializer_field(Variant._meta.get_field("id"), required=False, min_value=1)
    outlet = integer_serializer_field(Variant._meta.get_field("id"), required=False, min_value=1)
    product = integer_serializer_field(Variant._meta.get_field("id"), required=False, min_value=1)


@extend_schema_view(list=extend_schema(parameters=[StockFilterSerializer]))
class StockViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Stock per variant and outlet; POST sets a quantity (a stocktake count). Filters:
    `?variant=`, `?outlet=`, `?product=` (ids)."""

    serializer_class = StockSerializer
    api_resource = "stock"  # the scope an API key needs

    def get_queryset(self):
        if self.action != "list":
            return stock_rows()
        params = StockFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        return stock_rows(
            variant_id=params.validated_data.get("variant"),
            outlet_id=params.validated_data.get("outlet"),
            product_id=params.validated_data.get("product"),
        )

    def perform_create(self, serializer):
        data = serializer.validated_data
        try:
            with transaction.atomic():
                serializer.instance = set_stock(
                    variant_id=data["variant"].pk,
                    outlet_id=data["outlet"].pk,
                    quantity=data["quantity"],
                )
        except DjangoValidationError as error:
            raise ValidationError(error.message_dict) from error

    @extend_schema(
        request=StockAdjustSerializer,
        responses={201: StockMovementSerializer},
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_HEADER,
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=False,
                description="Repeat the POST with the same key: the first answer comes back "
                "and the stock moves once.",
            )
        ],
    )
    @action(detail=False, methods=["post"])
    @idempotent
    def adjust(self, request, **kwargs):
        """Add units (`delta` > 0) or take them away (`delta` < 0) at one outlet, with the
        reason kept in the stock's history; stock never goes below zero (400 naming
        `delta`)."""
        params = StockAdjustSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        try:
            _stock, movement = adjust_stock(
                variant_id=data["variant"].pk,
                outlet_id=data["outlet"].pk,
                delta=data["delta"],
                reason=data["reason"],
                actor=request.user.email,
            )
        except DjangoValidationError as error:
            raise ValidationError(error.message_dict) from error
        return Response(StockMovementSerializer(movement).data, status=status.HTTP_201_CREATED)


def register(router) -> None:
    router.register("products", ProductViewSet, basename="product")
    router.register("stock", StockViewSet, basename="stock")
