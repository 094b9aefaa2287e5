from django.contrib import admin

from core.admin import ReadOnlyAdmin
from deadlines.models import DueShop


@admin.register(DueShop)
class DueShopAdmin(ReadOnlyAdmin):
    """Which shops have timed work due (written by the reserving transactions, moved on by
    the sweeps): read-only, to see what a sweep will visit next."""

    list_display = ["kind", "merchant_id", "due_at"]
    list_filter = ["kind"]
    search_fields = ["merchant_id"]
    ordering = ["due_at"]
