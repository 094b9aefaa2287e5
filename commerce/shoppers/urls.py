from django.urls import path

from commerce.shoppers import views

urlpatterns = [
    path("", views.account_home, name="shopper_account"),
    path("sign-in/", views.sign_in_request, name="shopper_sign_in"),
    path("sign-in/<str:token>/", views.sign_in_confirm, name="shopper_sign_in_confirm"),
    path("sign-out/", views.sign_out_view, name="shopper_sign_out"),
    path("addresses/new/", views.address_new, name="shopper_address_new"),
    path("addresses/<int:address_id>/delete/", views.address_delete, name="shopper_address_delete"),
    path(
        "addresses/<int:address_id>/default/",
        views.address_default,
        name="shopper_address_default",
    ),
]
