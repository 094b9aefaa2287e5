from django.urls import path

from commerce.groupbuy import views

urlpatterns = [
    path("", views.campaigns, name="manage_groupbuy"),
    path("<int:campaign_id>/", views.campaign_detail, name="manage_groupbuy_campaign"),
    path("<int:campaign_id>/end/", views.campaign_end, name="manage_groupbuy_end"),
    path("teams/<int:team_id>/", views.team_detail, name="manage_groupbuy_team"),
]
