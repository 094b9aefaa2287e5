from django.urls import path

from config.views import not_available
from tenants.access import shop_member_required

urlpatterns = [
    path("", shop_member_required(not_available), {"section": "pos"}, name="manage_pos"),
]
