"""`/manage/onboarding/` on a shop host."""

from django.urls import path

from onboarding import manage_views

urlpatterns = [
    path("", manage_views.checklist, name="manage_onboarding"),
    path("nps/", manage_views.answer_nps, name="manage_onboarding_nps"),
    path(
        "training/<int:session_id>/register/",
        manage_views.register_training,
        name="manage_onboarding_register",
    ),
]
