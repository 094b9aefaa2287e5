"""URLs of a shop host (<slug>.<SHOP_DOMAIN> or a custom domain), run in its schema."""

from csp.decorators import csp_update
from django.conf import settings
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from accounts.notice_urls import urlpatterns_with as notice_urls
from accounts.views import login_handoff
from billing.urls import manage_urlpatterns as manage_billing_urls
from commerce.catalog import api as catalog_api
from commerce.groupbuy import api as groupbuy_api
from commerce.media import shop_media
from commerce.orders import api as orders_api
from commerce.store.api import OutletViewSet
from config import notices
from config.seats import seat_terms
from config.views import bench_bare_view, healthz
from datacenter.api import DataDaysView
from tenants.access import shop_member_required
from tenants.staff_urls import urlpatterns_with as staff_settings_urls
from tenants.staff_views import accept_invitation

api_router = DefaultRouter()
api_router.register("outlets", OutletViewSet, basename="outlet")
catalog_api.register(api_router)
orders_api.register(api_router)
groupbuy_api.register(api_router)

manage_patterns = [
    path("", include("commerce.store.urls")),
    path("products/", include("commerce.catalog.urls")),
    path("orders/", include("commerce.orders.urls")),
    path("pos/", include("commerce.orders.pos_urls")),
    path("marketing/", include("commerce.plugins.urls")),
    path("data/", include("datacenter.urls")),
    path("billing/", include(manage_billing_urls)),
    path("onboarding/", include("onboarding.manage_urls")),
    path("settings/", include(staff_settings_urls(seat_terms))),
    path("community/", include("community.manage_urls")),
    path("developers/", include("commerce.developers.urls")),
    path(
        "notices/",
        include(notice_urls(landing_for=notices.landing_for, after_read=notices.after_read)),
    ),
]

urlpatterns = [
    path("", include("commerce.storefront.urls")),
    path("accounts/handoff/<str:token>/", login_handoff, name="login_handoff"),
    path("accounts/invitations/<str:token>/", accept_invitation, name="staff_invitation_accept"),
    path("accounts/", include("accounts.urls")),
    path("manage/", include(manage_patterns)),
    path("checkout/", include("commerce.payments.urls")),
    path("groupbuy/", include("commerce.groupbuy.storefront_urls")),
    path("account/", include("commerce.shoppers.urls")),
    path("api/v1/data/days/", DataDaysView.as_view(), name="api_data_days"),
    path("api/v1/", include(api_router.urls)),
    path("api/schema/", shop_member_required(SpectacularAPIView.as_view()), name="api_schema"),
    path(
        "api/docs/",
        shop_member_required(
            # Swagger UI sets inline styles; allow them on this page only.
            csp_update({"style-src": ["'unsafe-inline'"]})(
                SpectacularSwaggerSplitView.as_view(url_name="api_schema")
            )
        ),
        name="api_docs",
    ),
    path("healthz", healthz, name="shop_healthz"),
    # Uploaded logos and photos, this shop's only, in every environment (commerce/media.py).
    path("media/<path:name>", shop_media, name="shop_media"),
    path("i18n/", include("django.conf.urls.i18n")),
]
if settings.BENCH_VIEWS:
    urlpatterns.append(path("bench/bare/", bench_bare_view, name="bench_bare"))
