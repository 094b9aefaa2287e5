from django.urls import path

from commerce.plugins import views

urlpatterns = [
    path("", views.marketing, name="manage_marketing"),
    path("<str:key>/switch/", views.switch, name="manage_plugin_switch"),
]
