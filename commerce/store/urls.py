from django.urls import path

from commerce.store import views

urlpatterns = [
    path("", views.overview, name="manage_overview"),
    path("store/", views.store_settings_view, name="manage_store"),
    path("store/outlets/new/", views.outlet_edit, name="manage_outlet_new"),
    path("store/outlets/<int:outlet_id>/", views.outlet_edit, name="manage_outlet_edit"),
]
