"""`/manage/community/` on a shop host."""

from django.urls import path

from community import manage_views

urlpatterns = [
    path("", manage_views.whats_new, name="community_whats_new"),
    path("questions/", manage_views.questions, name="community_questions"),
    path("questions/<int:question_id>/", manage_views.question, name="community_question"),
    path("requests/", manage_views.feature_requests, name="community_requests"),
    path("requests/<int:request_id>/", manage_views.feature_request, name="community_request"),
    path("requests/<int:request_id>/vote/", manage_views.vote, name="community_vote"),
    path("betas/", manage_views.betas, name="community_betas"),
    path("betas/<int:beta_id>/", manage_views.beta_membership, name="community_beta"),
    path(
        "betas/<int:beta_id>/feedback/",
        manage_views.beta_feedback,
        name="community_beta_feedback",
    ),
]
