from django.urls import path

from commerce.groupbuy import storefront

urlpatterns = [
    path("<int:campaign_id>/seat/", storefront.take, name="groupbuy_take"),
    path("seats/<int:member_id>/pay/", storefront.pay, name="groupbuy_seat_pay"),
    path("seats/<int:member_id>/return/", storefront.seat_return, name="groupbuy_seat_return"),
    path("seats/<int:member_id>/leave/", storefront.leave, name="groupbuy_seat_leave"),
    path("t/<str:token>/", storefront.team_page, name="groupbuy_team"),
    path("t/<str:token>/qr.svg", storefront.team_qr, name="groupbuy_team_qr"),
]
