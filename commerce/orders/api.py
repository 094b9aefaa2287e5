"""Orders over the API, read-only (changes go through the console's actions)."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets

from commerce.orders.models import (
    Channel,
    FulfilmentStatus,
    Order,
    OrderEvent,
    OrderLine,
    PaymentStatus,
)
from commerce.orders.selectors import OrderFilters, filtered_orders


class OrderLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrderLine
        fields = ["sku", "product_title", "variant_name", "unit_price", "quantity", "line_total"]


class OrderEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrderEvent
        fields = ["kind", "message", "actor", "created_at"]


class OrderSerializer(serializers.ModelSerializer):
    number = serializers.CharField(read_only=True)
    lines = OrderLineSerializer(many=True, read_only=True)
    events = OrderEventSerializer(many=True, read_only=True)

    class Meta:
        model = Order
        fields = [
            "id",
            "number",
            "reference",
            "channel",
            "status",
            "payment_status",
            "payment_method",
            "currency",
            "subtotal",
            "shipping_total",
            "total",
            "refunded_total",
            "email",
            "contact_name",
            "is_new_customer",
            "created_at",
            "paid_at",
            "lines",
            "events",
        ]


class OrderFilterSerializer(serializers.Serializer):
    """The list's filters: an unknown status is a 400 naming the parameter, not an empty list."""

    status = serializers.ChoiceField(
        choices=FulfilmentStatus.choices, required=False, allow_blank=True
    )
    payment_status = serializers.ChoiceField(
        choices=PaymentStatus.choices, required=False, allow_blank=True
    )
    channel = serializers.ChoiceField(choices=Channel.choices, required=False, allow_blank=True)
    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="Email, name or order number (#1001).",
    )


@extend_schema_view(list=extend_schema(parameters=[OrderFilterSerializer]))
class OrderViewSet(viewsets.ReadOnlyModelViewSet):
    """Orders, newest first; filter with ?status=, ?payment_status=, ?channel=, ?q=."""

    serializer_class = OrderSerializer
    api_resource = "orders"  # the scope an API key needs

    def get_queryset(self):
        if self.action != "list":
            return Order.objects.prefetch_related("lines", "events")
        params = OrderFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        filters = OrderFilters(
            status=params.validated_data.get("status", ""),
            payment_status=params.validated_data.get("payment_status", ""),
            channel=params.validated_data.get("channel", ""),
            query=params.validated_data.get("q", ""),
        )
        return filtered_orders(filters).prefetch_related("lines", "events")


def register(router) -> None:
    router.register("orders", OrderViewSet, basename="order")
