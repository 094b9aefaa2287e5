from django.db.models import QuerySet

from commerce.developers.models import ApiKey, ApiKeyRequest, WebhookDelivery, WebhookEndpoint


def api_keys() -> QuerySet[ApiKey]:
    return ApiKey.objects.order_by("revoked_at", "-created_at", "-id")


def endpoints() -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.order_by("id")


def deliveries_for(endpoint: WebhookEndpoint, *, limit: int = 50) -> list[WebhookDelivery]:
    """The endpoint's latest deliveries with their attempts (a fixed number of queries)."""
    return list(
        WebhookDelivery.objects.filter(endpoint=endpoint)
        .select_related("event")
        .prefetch_related("log")
        .order_by("-id")[:limit]
    )


def recent_key_requests(*, limit: int = 20) -> list[ApiKeyRequest]:
    """The API's audit log, newest first, each request with its key."""
    return list(ApiKeyRequest.objects.select_related("key").order_by("-id")[:limit])
