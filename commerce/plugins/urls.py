from django.urls import include, path

from commerce.plugins import views

urlpatterns = [
    path("", views.marketing, name="manage_marketing"),
    path("<str:key>/switch/", views.switch, name="manage_plugin_switch"),
    path("groupbuy/", include("commerce.groupbuy.urls")),
]
