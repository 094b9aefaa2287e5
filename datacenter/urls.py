from django.urls import path

from datacenter import views

urlpatterns = [
    path("", views.data_center, name="manage_data"),
    path("export/<slug:table>.csv", views.data_export, name="manage_data_export"),
]
