"""`/console/onboarding/` on the platform host."""

from django.urls import path

from onboarding import renewals, views

urlpatterns = [
    path("", views.my_day, name="console_onboarding"),
    path("board/", views.board, name="console_onboarding_board"),
    path("notifications/", views.notifications, name="console_onboarding_notifications"),
    path("training/", views.training, name="console_onboarding_training"),
    path(
        "training/<int:session_id>/",
        views.training_session,
        name="console_onboarding_training_session",
    ),
    path("nps/", views.nps, name="console_onboarding_nps"),
    path("renewals/", renewals.upcoming_renewals_page, name="console_renewals"),
    path("tiers/", views.tiers, name="console_onboarding_tiers"),
    path("health/", views.health_weights, name="console_onboarding_health"),
    path("segments/", views.segment_list, name="console_onboarding_segments"),
    path("segments/<int:segment_id>/", views.segment_detail, name="console_onboarding_segment"),
    path(
        "segments/<int:segment_id>/<str:action>/",
        views.segment_action,
        name="console_onboarding_segment_action",
    ),
    path(
        "merchants/<int:merchant_id>/health/override/",
        views.override_health,
        name="console_onboarding_health_override",
    ),
    path(
        "merchants/<int:merchant_id>/health/override/<int:override_id>/withdraw/",
        views.withdraw_health_override,
        name="console_onboarding_health_withdraw",
    ),
    path("tasks/<int:task_id>/complete/", views.complete_task, name="console_onboarding_task_done"),
    path("merchants/<int:merchant_id>/", views.merchant_360, name="console_onboarding_merchant"),
    path(
        "merchants/<int:merchant_id>/contact/",
        views.log_contact,
        name="console_onboarding_contact",
    ),
    path(
        "merchants/<int:merchant_id>/stages/<str:stage>/<str:action>/",
        views.change_stage,
        name="console_onboarding_stage",
    ),
    path(
        "merchants/<int:merchant_id>/nps/send/",
        views.send_survey,
        name="console_onboarding_send_survey",
    ),
    path("merchants/<int:merchant_id>/note/", views.add_note, name="console_onboarding_note"),
    path("merchants/<int:merchant_id>/tasks/", views.create_task, name="console_onboarding_task"),
    path(
        "merchants/<int:merchant_id>/playbook/",
        views.apply_playbook,
        name="console_onboarding_playbook",
    ),
    path("merchants/<int:merchant_id>/csm/", views.assign_csm, name="console_onboarding_csm"),
    path(
        "merchants/<int:merchant_id>/start/",
        views.start_journey,
        name="console_onboarding_start",
    ),
    path(
        "merchants/<int:merchant_id>/tier/",
        views.recompute_tier,
        name="console_onboarding_tier",
    ),
]
