from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers, viewsets
from rest_framework.exceptions import ValidationError

from commerce.store.models import Outlet
from commerce.store.selectors import outlets
from commerce.store.services import OutletInput, save_outlet


class OutletSerializer(serializers.ModelSerializer):
    class Meta:
        model = Outlet
        fields = [
            "id",
            "name",
            "address",
            "is_active",
            "fulfils_online",
            "online_rank",
            "created_at",
        ]
        read_only_fields = ["id", "created_at"]


class OutletViewSet(viewsets.ModelViewSet):
    """The shop's outlets (stores and warehouses) and which fulfil online orders."""

    api_resource = "stock"  # the scope an API key needs

    serializer_class = OutletSerializer
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_queryset(self):
        return outlets()

    def perform_create(self, serializer):
        serializer.instance = self._save(serializer, None)

    def perform_update(self, serializer):
        serializer.instance = self._save(serializer, serializer.instance)

    @staticmethod
    def _save(serializer, outlet: Outlet | None) -> Outlet:
        current = {
            "name": outlet.name if outlet else "",
            "address": outlet.address if outlet else "",
            "is_active": outlet.is_active if outlet else True,
            "kind": outlet.kind if outlet else "store",
            "fulfils_online": outlet.fulfils_online if outlet else False,
            "online_rank": outlet.online_rank if outlet else 1,
        }
        data = OutletInput(**{**current, **serializer.validated_data})
        try:
            return save_outlet(data=data, outlet=outlet)
        except DjangoValidationError as error:
            raise ValidationError(error.message_dict) from error
