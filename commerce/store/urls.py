from django.urls import path

from commerce.store import views

urlpatterns = [
    path("", views.overview, name="manage_overview"),
    path("store/", views.store_settings_view, name="manage_store"),
    path("store/shipping/", views.shipping_view, name="manage_store_shipping"),
    path("store/payments/", views.payments_view, name="manage_store_payments"),
    path("store/payments/stripe/", views.stripe_connect, name="manage_stripe_connect"),
    path("store/payments/stripe/return/", views.stripe_return, name="manage_stripe_return"),
    path("store/outlets/new/", views.outlet_edit, name="manage_outlet_new"),
    path("store/outlets/<int:outlet_id>/", views.outlet_edit, name="manage_outlet_edit"),
]
