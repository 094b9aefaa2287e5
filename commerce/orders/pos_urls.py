from django.urls import path

from commerce.orders import pos_views

urlpatterns = [
    path("", pos_views.till, name="manage_pos"),
    path("outlet/", pos_views.choose_outlet, name="manage_pos_outlet"),
    path("add/", pos_views.add_item, name="manage_pos_add"),
    path("remove/", pos_views.remove_item, name="manage_pos_remove"),
    path("pay/", pos_views.take_payment, name="manage_pos_pay"),
    path("receipts/<int:order_id>/", pos_views.receipt, name="manage_pos_receipt"),
    path("receipts/<int:order_id>/qr.svg", pos_views.receipt_qr, name="manage_pos_receipt_qr"),
]
