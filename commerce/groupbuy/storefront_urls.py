from django.urls import path

from commerce.groupbuy import storefront

urlpatterns = [
    path("<int:campaign_id>/seat/", storefront.take, name="groupbuy_take"),
    path("seats/<slug:token>/pay/", storefront.pay, name="groupbuy_seat_pay"),
    path("seats/<slug:token>/return/", storefront.seat_return, name="groupbuy_seat_return"),
    path("seats/<slug:token>/leave/", storefront.leave, name="groupbuy_seat_leave"),
    path("t/<slug:token>/", storefront.team_page, name="groupbuy_team"),
    path("t/<slug:token>/qr.svg", storefront.team_qr, name="groupbuy_team_qr"),
]
