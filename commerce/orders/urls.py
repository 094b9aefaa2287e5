from django.urls import path

from commerce.orders import views

urlpatterns = [
    path("", views.order_list, name="manage_orders"),
    path("<int:order_id>/", views.order_view, name="manage_order"),
    path("<int:order_id>/fulfil/", views.order_fulfil, name="manage_order_fulfil"),
    path("<int:order_id>/cancel/", views.order_cancel, name="manage_order_cancel"),
    path("<int:order_id>/refund/", views.order_refund, name="manage_order_refund"),
    path("<int:order_id>/paid/", views.order_mark_paid, name="manage_order_paid"),
]
