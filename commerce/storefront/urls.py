from django.urls import path

from commerce.store.views import storefront_home

urlpatterns = [
    path("", storefront_home, name="storefront_home"),
]
