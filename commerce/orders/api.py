"""Orders over the API, read-only (changes go through the console's actions)."""

from rest_framework import serializers, viewsets

from commerce.orders.models import Order, OrderEvent, OrderLine
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


class OrderViewSet(viewsets.ReadOnlyModelViewSet):
    """Orders, newest first; filter with ?status=, ?payment_status=, ?channel=, ?q=."""

    serializer_class = OrderSerializer

    def get_queryset(self):
        params = self.request.query_params
        filters = OrderFilters(
            status=params.get("status", ""),
            payment_status=params.get("payment_status", ""),
            channel=params.get("channel", ""),
            query=params.get("q", ""),
        )
        return filtered_orders(filters).prefetch_related("lines", "events")


def register(router) -> None:
    router.register("orders", OrderViewSet, basename="order")
