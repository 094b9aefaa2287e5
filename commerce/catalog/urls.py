from django.urls import path

from commerce.catalog import low_stock, views

urlpatterns = [
    path("", views.product_list, name="manage_products"),
    path("new/", views.product_edit, name="manage_product_new"),
    path("import/", views.product_import, name="manage_product_import"),
    path("export.csv", views.product_export, name="manage_product_export"),
    path("low-stock/", low_stock.low_stock, name="manage_low_stock"),
    path("<int:product_id>/", views.product_edit, name="manage_product_edit"),
    path("<int:product_id>/stock/", views.product_stock, name="manage_product_stock"),
    path("<int:product_id>/publish/", views.product_publish, name="manage_product_publish"),
]
