from django.urls import path

from commerce.developers import views

urlpatterns = [
    path("", views.developers, name="manage_developers"),
    path("docs/", views.docs, name="manage_developers_docs"),
    path("keys/", views.key_create, name="manage_api_key_create"),
    path("keys/<int:key_id>/revoke/", views.key_revoke, name="manage_api_key_revoke"),
    path("webhooks/", views.endpoint_create, name="manage_webhook_create"),
    path("webhooks/<int:endpoint_id>/", views.endpoint_detail, name="manage_webhook_endpoint"),
    path(
        "webhooks/<int:endpoint_id>/rotate/",
        views.endpoint_rotate,
        name="manage_webhook_rotate",
    ),
    path("webhooks/<int:endpoint_id>/test/", views.endpoint_test, name="manage_webhook_test"),
    path("webhooks/<int:endpoint_id>/resume/", views.endpoint_resume, name="manage_webhook_resume"),
    path("webhooks/<int:endpoint_id>/delete/", views.endpoint_delete, name="manage_webhook_delete"),
    path(
        "webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>/redeliver/",
        views.delivery_redeliver,
        name="manage_webhook_redeliver",
    ),
]
