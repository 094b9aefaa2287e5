from django.urls import path

from commerce.storefront import views

urlpatterns = [
    path("", views.home, name="storefront_home"),
    path("c/<str:slug>/", views.category, name="storefront_category"),
    path("p/<str:slug>/", views.product, name="storefront_product"),
    path("cart/", views.cart_view, name="storefront_cart"),
    path("cart/add/", views.cart_add, name="storefront_cart_add"),
    path("cart/update/", views.cart_update, name="storefront_cart_update"),
    path("checkout/", views.checkout, name="storefront_checkout"),
    path("orders/<str:token>/", views.order_status, name="storefront_order"),
]
