"""Group-buy campaigns and their teams over the API (read-only)."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets

from commerce.groupbuy.models import Campaign, Team, TeamStatus
from core.fields import integer_serializer_field


class CampaignSerializer(serializers.ModelSerializer):
    class Meta:
        model = Campaign
        fields = [
            "id",
            "name",
            "variant",
            "group_price",
            "leader_price",
            "team_size",
            "team_window_hours",
            "starts_at",
            "ends_at",
            "quota",
            "units_sold",
            "ended_early_at",
            "created_at",
        ]


class TeamSerializer(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = [
            "id",
            "campaign",
            "status",
            "size",
            "seats_taken",
            "seats_paid",
            "expires_at",
            "created_at",
            "closed_at",
        ]


class TeamFilterSerializer(serializers.Serializer):
    campaign = integer_serializer_field(
        Team._meta.get_field("id"), required=False, min_value=1, help_text="A campaign's id."
    )
    status = serializers.ChoiceField(choices=TeamStatus.choices, required=False, allow_blank=True)


class CampaignViewSet(viewsets.ReadOnlyModelViewSet):
    """The shop's group-buy campaigns, newest first."""

    api_resource = "campaigns"  # the scope an API key needs
    serializer_class = CampaignSerializer

    def get_queryset(self):
        return Campaign.objects.order_by("-created_at", "-id")


@extend_schema_view(list=extend_schema(parameters=[TeamFilterSerializer]))
class TeamViewSet(viewsets.ReadOnlyModelViewSet):
    """Group-buy teams, newest first; filter with ?campaign=<id>, ?status=."""

    api_resource = "campaigns"
    serializer_class = TeamSerializer

    def get_queryset(self):
        teams = Team.objects.order_by("-created_at", "-id")
        if self.action != "list":
            return teams
        params = TeamFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        if params.validated_data.get("campaign"):
            teams = teams.filter(campaign_id=params.validated_data["campaign"])
        if params.validated_data.get("status"):
            teams = teams.filter(status=params.validated_data["status"])
        return teams


def register(router) -> None:
    router.register("groupbuy/campaigns", CampaignViewSet, basename="campaign")
    router.register("groupbuy/teams", TeamViewSet, basename="team")
