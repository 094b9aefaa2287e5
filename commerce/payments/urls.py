from django.urls import path

from commerce.payments import views

urlpatterns = [
    path("<uuid:reference>/pay/", views.checkout_pay, name="checkout_pay"),
    path("<uuid:reference>/return/", views.checkout_return, name="checkout_return"),
]
