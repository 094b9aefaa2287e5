from django.urls import path

from reports import views

urlpatterns = [
    path("", views.metrics_page, name="console_metrics"),
    path("spend/", views.record_spend, name="console_metrics_spend"),
    path("margin/", views.set_margin, name="console_metrics_margin"),
    path("nps/", views.nps_chain_page, name="console_metrics_nps"),
    path("nps/spend/", views.record_channel_spend, name="console_metrics_channel_spend"),
]
