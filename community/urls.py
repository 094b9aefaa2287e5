"""`/console/product/` on the platform host."""

from django.urls import path

from community import views

urlpatterns = [
    path("", views.board, name="console_product"),
    path("board.csv", views.board_csv, name="console_product_csv"),
    path("requests/<int:request_id>/", views.feature_request, name="console_product_request"),
    path("requests/<int:request_id>/triage/", views.triage, name="console_product_request_triage"),
    path(
        "requests/<int:request_id>/status/",
        views.change_status,
        name="console_product_request_status",
    ),
    path("requests/<int:request_id>/merge/", views.merge, name="console_product_request_merge"),
    path(
        "requests/<int:request_id>/comment/",
        views.comment,
        name="console_product_request_comment",
    ),
    path("notes/", views.notes, name="console_product_notes"),
    path("questions/", views.question_queue, name="console_product_questions"),
    path("questions/<int:question_id>/", views.question, name="console_product_question"),
    path("betas/", views.betas, name="console_product_betas"),
    path("betas/<int:beta_id>/", views.beta, name="console_product_beta"),
    path("lifecycle/", views.lifecycle, name="console_product_lifecycle"),
    path(
        "merchants/<int:merchant_id>/industry/",
        views.set_industry,
        name="console_product_industry",
    ),
]
