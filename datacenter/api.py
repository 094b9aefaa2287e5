"""The shop's data-center figures by day over the API (the same ledger days as
/manage/data/: quiet days as zeros, money in the shop's currency)."""

from datetime import timedelta

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from datacenter.selectors import DataRange, local_today, range_report

MAX_DAYS = 366


class DayQuerySerializer(serializers.Serializer):
    start = serializers.DateField(required=False, help_text="First day (default: 29 days ago).")
    end = serializers.DateField(required=False, help_text="Last day (default: today, local).")

    def validate(self, attrs):
        today = local_today(self.context["merchant"])
        end = attrs.get("end") or today
        start = attrs.get("start") or end - timedelta(days=29)
        if start > end:
            raise ValidationError({"start": ["The start is after the end."]})
        if (end - start).days + 1 > MAX_DAYS:
            raise ValidationError({"start": [f"Ask for at most {MAX_DAYS} days."]})
        return {"start": start, "end": end}


class DaySerializer(serializers.Serializer):
    day = serializers.DateField()
    gmv = serializers.DecimalField(max_digits=16, decimal_places=4)
    refunds = serializers.DecimalField(max_digits=16, decimal_places=4)
    net_gmv = serializers.DecimalField(max_digits=16, decimal_places=4)
    orders = serializers.IntegerField()
    online_orders = serializers.IntegerField()
    online_gmv = serializers.DecimalField(max_digits=16, decimal_places=4)
    in_store_orders = serializers.IntegerField()
    in_store_gmv = serializers.DecimalField(max_digits=16, decimal_places=4)
    groupbuy_orders = serializers.IntegerField()
    groupbuy_gmv = serializers.DecimalField(max_digits=16, decimal_places=4)
    groupbuy_new_customers = serializers.IntegerField()
    new_customers = serializers.IntegerField()
    returning_customers = serializers.IntegerField()


class DaysSerializer(serializers.Serializer):
    currency = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()
    days = DaySerializer(many=True)
    totals = DaySerializer()


class DataDaysView(APIView):
    """Orders, GMV, refunds, online/in-store, group-buy and new/returning customers for
    each local day of a range (at most 366 days), with the totals."""

    api_resource = "data"  # the scope an API key needs

    @extend_schema(parameters=[DayQuerySerializer], responses=DaysSerializer)
    def get(self, request):
        merchant = request.tenant
        query = DayQuerySerializer(data=request.query_params, context={"merchant": merchant})
        query.is_valid(raise_exception=True)
        report = range_report(
            merchant,
            DataRange(query.validated_data["start"], query.validated_data["end"], "custom"),
        )
        return Response(
            DaysSerializer(
                {
                    "currency": report.currency,
                    "start": report.range.start,
                    "end": report.range.end,
                    "days": report.days,
                    "totals": report.totals,
                }
            ).data
        )
