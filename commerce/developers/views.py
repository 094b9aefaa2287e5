"""/manage/developers/: API keys and webhook endpoints, for the shop's owner or a manager."""

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from rest_framework.settings import api_settings

from commerce.developers import keys, selectors, services
from commerce.developers.forms import ApiKeyForm, EndpointEditForm, EndpointForm
from commerce.developers.models import ApiKey, WebhookDelivery, WebhookEndpoint
from core.forms import add_service_errors
from tenants.access import shop_member_required
from tenants.models import Membership

# Keys and webhooks reach all of the shop's data: owners and managers only.
DEVELOPER_ROLES = ("owner", "manager")


def developer_required(view):
    @shop_member_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        allowed = Membership.objects.filter(
            user=request.user, merchant_id=request.tenant.pk, role__in=DEVELOPER_ROLES
        ).exists()
        if not allowed:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _page(request, *, key_form=None, endpoint_form=None, new_key=None, status=200):
    return render(
        request,
        "manage/developers/index.html",
        {
            "keys": selectors.api_keys(),
            "endpoints": selectors.endpoints(),
            "key_form": key_form or ApiKeyForm(),
            "endpoint_form": endpoint_form or EndpointForm(),
            "new_key": new_key,
            "key_requests": selectors.recent_key_requests(),
        },
        status=status,
    )


@developer_required
def developers(request):
    return _page(request)


@shop_member_required
def docs(request):
    """The quick start: any member may read it (it holds no secret)."""
    rates = api_settings.DEFAULT_THROTTLE_RATES
    return render(
        request,
        "manage/developers/docs.html",
        {
            "base_url": f"{settings.SITE_SCHEME}://{request.get_host()}",
            "key_rate": rates.get("api_key") or _("no limit"),
            "event_types": services.SUBSCRIBABLE,
        },
    )


@developer_required
@require_POST
def key_create(request):
    form = ApiKeyForm(request.POST)
    if form.is_valid():
        try:
            created = keys.create_api_key(
                name=form.cleaned_data["name"],
                scopes=form.scopes(),
                expires_at=form.expires_at(request.tenant.timezone),
                actor=request.user.email,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            # Rendered, not redirected: the secret is shown on this answer only.
            return _page(request, new_key=created)
    return _page(request, key_form=form, status=400)


@developer_required
@require_POST
def key_revoke(request, key_id: int):
    key = get_object_or_404(ApiKey, pk=key_id)
    keys.revoke_api_key(key.pk, actor=request.user.email)
    messages.success(request, _("Key %(prefix)s revoked.") % {"prefix": key.prefix})
    return redirect("manage_developers")


@developer_required
@require_POST
def endpoint_create(request):
    form = EndpointForm(request.POST)
    if form.is_valid():
        try:
            endpoint = services.create_endpoint(
                services.EndpointInput(
                    url=form.cleaned_data["url"],
                    event_types=form.cleaned_data["event_types"],
                    description=form.cleaned_data["description"],
                ),
                actor=request.user.email,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Endpoint added. Its signing secret is below."))
            return redirect("manage_webhook_endpoint", endpoint_id=endpoint.pk)
    return _page(request, endpoint_form=form, status=400)


@developer_required
def endpoint_detail(request, endpoint_id: int):
    endpoint = get_object_or_404(WebhookEndpoint, pk=endpoint_id)
    status = 200
    if request.method == "POST":
        form = EndpointEditForm(request.POST)
        if form.is_valid():
            try:
                services.update_endpoint(
                    endpoint.pk,
                    services.EndpointInput(
                        url=form.cleaned_data["url"],
                        event_types=form.cleaned_data["event_types"],
                        description=form.cleaned_data["description"],
                    ),
                    enabled=form.cleaned_data["is_enabled"],
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Endpoint saved."))
                return redirect("manage_webhook_endpoint", endpoint_id=endpoint.pk)
        status = 400
    else:
        form = EndpointEditForm(
            initial={
                "url": endpoint.url,
                "description": endpoint.description,
                "event_types": endpoint.event_types,
                "is_enabled": endpoint.is_enabled,
            }
        )
    return render(
        request,
        "manage/developers/endpoint.html",
        {
            "endpoint": endpoint,
            "form": form,
            "deliveries": selectors.deliveries_for(endpoint),
        },
        status=status,
    )


def _endpoint_action(action, done_message):
    @developer_required
    @require_POST
    def view(request, endpoint_id: int):
        endpoint = get_object_or_404(WebhookEndpoint, pk=endpoint_id)
        action(endpoint.pk)
        messages.success(request, done_message())
        return redirect("manage_webhook_endpoint", endpoint_id=endpoint.pk)

    return view


endpoint_rotate = _endpoint_action(
    services.rotate_secret,
    lambda: _("New secret made. The old one keeps signing for 24 hours as well."),
)
endpoint_test = _endpoint_action(
    services.send_test_event, lambda: _("Test event sent; see the delivery log below.")
)
endpoint_resume = _endpoint_action(
    services.resume_endpoint, lambda: _("Endpoint resumed; waiting events go out now.")
)


@developer_required
@require_POST
def endpoint_delete(request, endpoint_id: int):
    endpoint = get_object_or_404(WebhookEndpoint, pk=endpoint_id)
    services.delete_endpoint(endpoint.pk)
    messages.success(request, _("Endpoint deleted."))
    return redirect("manage_developers")


@developer_required
@require_POST
def delivery_redeliver(request, endpoint_id: int, delivery_id: int):
    delivery = get_object_or_404(WebhookDelivery, pk=delivery_id, endpoint_id=endpoint_id)
    services.redeliver(delivery.pk)
    messages.success(request, _("Redelivery queued."))
    return redirect("manage_webhook_endpoint", endpoint_id=endpoint_id)
