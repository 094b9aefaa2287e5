from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.shortcuts import render
from django.urls import set_urlconf
from django.utils import timezone

from tenants.hosts import is_platform_host, merchant_for_host, public_tenant
from tenants.models import MerchantStatus

# Answered the same on every host (load balancers probe by IP).
HOST_INDEPENDENT_PATHS = ("/healthz",)


class MerchantHostMiddleware:
    """Route each request by its host: the platform (public schema) or one merchant's schema.

    Unknown hosts get a friendly 404 page; a closed shop a 410 page; a suspended shop keeps
    `/manage/` (so the owner can settle invoices) and shows shoppers a "temporarily closed"
    page.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        host = request.get_host()
        if request.path in HOST_INDEPENDENT_PATHS or is_platform_host(host):
            merchant = public_tenant()
        else:
            merchant = merchant_for_host(host)
            if merchant is None:
                connection.set_schema_to_public()
                set_urlconf(None)
                return render(request, "errors/unknown_shop.html", {"host": host}, status=404)

        request.tenant = merchant
        connection.set_tenant(merchant)
        if merchant.is_public:
            timezone.deactivate()
            request.urlconf = settings.PUBLIC_SCHEMA_URLCONF
        else:
            # A shop's times are shown and typed in in the merchant's own timezone.
            timezone.activate(ZoneInfo(merchant.timezone))
            request.urlconf = settings.ROOT_URLCONF
            closed_response = self._closed_shop_response(request, merchant)
            if closed_response is not None:
                timezone.deactivate()
                return closed_response
        set_urlconf(request.urlconf)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()

    @staticmethod
    def _closed_shop_response(request, merchant):
        if merchant.status == MerchantStatus.CLOSED:
            return render(request, "errors/shop_closed.html", {"merchant": merchant}, status=410)
        staff_paths = ("/manage/", "/accounts/", "/api/", "/i18n/", "/static/", "/media/")
        if merchant.status == MerchantStatus.SUSPENDED and not request.path.startswith(staff_paths):
            return render(request, "errors/shop_suspended.html", {"merchant": merchant}, status=503)
        return None
