"""Orders and customers over the API. Fulfil, cancel and refund call the services the
console calls (same validation, same timeline entries, same emails), with the caller
(the signed-in member, or the API key) as the actor; each POST honours Idempotency-Key."""

import uuid

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response

from commerce.developers.idempotency import HEADER as IDEMPOTENCY_HEADER
from commerce.developers.idempotency import caller_of, idempotent
from commerce.orders.models import (
    Channel,
    Customer,
    FulfilmentStatus,
    Order,
    OrderEvent,
    OrderLine,
    PaymentStatus,
)
from commerce.orders.selectors import OrderFilters, filtered_orders
from commerce.orders.services import cancel_order, fulfil_order
from commerce.payments.services import refund_order

IDEMPOTENCY = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="Repeat a POST with the same key to get the first answer back, not a second change.",
)


class OrderStateConflict(APIException):
    status_code = 409
    default_code = "order_state"


ACTION_RESPONSES = {
    200: None,  # filled in below, once OrderSerializer exists
    409: OpenApiResponse(
        response=OpenApiTypes.OBJECT,
        description="The order's state does not allow this (e.g. already fulfilled), or the "
        "Idempotency-Key was used for another request.",
    ),
}


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
            "carrier",
            "tracking_number",
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


ACTION_RESPONSES[200] = OrderSerializer


class FulfilSerializer(serializers.Serializer):
    carrier = serializers.CharField(max_length=60)
    tracking_number = serializers.CharField(max_length=80)


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class RefundSerializer(serializers.Serializer):
    amount = serializers.CharField(max_length=20, help_text="In the shop's currency, e.g. 12.50.")
    reason = serializers.CharField(max_length=300)


@extend_schema_view(list=extend_schema(parameters=[OrderFilterSerializer]))
class OrderViewSet(viewsets.ReadOnlyModelViewSet):
    """Orders, newest first; filter with ?status=, ?payment_status=, ?channel=, ?q=.
    POST fulfil/, cancel/ and refund/ change an order as the console does."""

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

    def _change(self, request, serializer_class, change):
        order = self.get_object()
        params = serializer_class(data=request.data)
        params.is_valid(raise_exception=True)
        try:
            change(order.pk, params.validated_data, request.user.email)
        except DjangoValidationError as error:
            about_input = {
                field: problems
                for field, problems in error.message_dict.items()
                if field in params.fields
            }
            if about_input:
                raise ValidationError(about_input) from error
            # Not the input: the order's state refuses it (already fulfilled, not paid).
            raise OrderStateConflict(" ".join(error.messages)) from error
        fresh = Order.objects.prefetch_related("lines", "events").get(pk=order.pk)
        return Response(OrderSerializer(fresh).data, status=status.HTTP_200_OK)

    @extend_schema(request=FulfilSerializer, responses=ACTION_RESPONSES, parameters=[IDEMPOTENCY])
    @action(detail=True, methods=["post"])
    @idempotent
    def fulfil(self, request, pk=None, **kwargs):
        """Mark the order fulfilled with the carrier and tracking number."""
        return self._change(
            request,
            FulfilSerializer,
            lambda order_id, data, actor: fulfil_order(order_id, actor=actor, **data),
        )

    @extend_schema(request=CancelSerializer, responses=ACTION_RESPONSES, parameters=[IDEMPOTENCY])
    @action(detail=True, methods=["post"])
    @idempotent
    def cancel(self, request, pk=None, **kwargs):
        """Cancel an unfulfilled order (refund a paid one first); its stock comes back."""
        return self._change(
            request,
            CancelSerializer,
            lambda order_id, data, actor: cancel_order(order_id, actor=actor, **data),
        )

    @extend_schema(request=RefundSerializer, responses=ACTION_RESPONSES, parameters=[IDEMPOTENCY])
    @action(detail=True, methods=["post"])
    @idempotent
    def refund(self, request, pk=None, **kwargs):
        """Refund part or all of a paid order (a card payment goes back through Stripe).
        With an Idempotency-Key, a repeat makes no second refund."""
        key = request.headers.get(IDEMPOTENCY_HEADER, "")
        caller = caller_of(request)
        return self._change(
            request,
            RefundSerializer,
            lambda order_id, data, actor: refund_order(
                order_id,
                actor=actor,
                idempotency_key=f"api:{caller}:{key}" if key else f"api:{uuid.uuid4()}",
                **data,
            ),
        )


class CustomerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Customer
        fields = ["id", "email", "name", "phone", "orders_count", "first_order_at", "created_at"]


class CustomerFilterSerializer(serializers.Serializer):
    q = serializers.CharField(
        required=False, allow_blank=True, max_length=200, help_text="Email or name contains."
    )


@extend_schema_view(list=extend_schema(parameters=[CustomerFilterSerializer]))
class CustomerViewSet(viewsets.ReadOnlyModelViewSet):
    """The shop's customers (one per email), newest first; ?q= searches email and name."""

    api_resource = "customers"  # the scope an API key needs
    serializer_class = CustomerSerializer

    def get_queryset(self):
        customers = Customer.objects.order_by("-created_at", "-id")
        if self.action != "list":
            return customers
        params = CustomerFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        query = params.validated_data.get("q", "")
        if query:
            customers = customers.filter(email__icontains=query) | customers.filter(
                name__icontains=query
            )
        return customers


def register(router) -> None:
    router.register("orders", OrderViewSet, basename="order")
    router.register("customers", CustomerViewSet, basename="customer")
