from django.contrib import admin

from core.admin import ReadOnlyAdmin, ReadOnlyInline
from tenants.models import (
    Domain,
    LoginHandoff,
    Membership,
    Merchant,
    MerchantStatusChange,
    PooledSchema,
)

# Shops open through signup (tenants.services.open_shop), change status through
# change_merchant_status (which drops cached hosts): the admin only reads them.


class DomainInline(ReadOnlyInline):
    model = Domain
    fields = ["domain", "is_primary", "is_custom"]


class MembershipInline(ReadOnlyInline):
    model = Membership
    fields = ["user", "role", "created_at"]


class StatusChangeInline(ReadOnlyInline):
    model = MerchantStatusChange
    fields = ["from_status", "to_status", "reason", "changed_by", "changed_at"]


@admin.register(Merchant)
class MerchantAdmin(ReadOnlyAdmin):
    list_display = ["name", "slug", "status", "currency", "language", "timezone", "created_at"]
    list_filter = ["status", "currency", "language"]
    search_fields = ["name", "slug", "schema_name"]
    date_hierarchy = "created_at"
    ordering = ["-created_at"]
    inlines = [DomainInline, MembershipInline, StatusChangeInline]

    def get_queryset(self, request):
        return super().get_queryset(request).exclude(schema_name="public")


@admin.register(Domain)
class DomainAdmin(ReadOnlyAdmin):
    list_display = ["domain", "tenant", "is_primary", "is_custom"]
    list_filter = ["is_primary", "is_custom"]
    search_fields = ["domain", "tenant__name", "tenant__slug"]
    list_select_related = ["tenant"]


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdmin):
    list_display = ["user", "merchant", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__email", "merchant__name", "merchant__slug"]
    list_select_related = ["user", "merchant"]


@admin.register(MerchantStatusChange)
class MerchantStatusChangeAdmin(ReadOnlyAdmin):
    list_display = ["merchant", "from_status", "to_status", "reason", "changed_by", "changed_at"]
    list_filter = ["to_status"]
    search_fields = ["merchant__name", "merchant__slug", "reason"]
    list_select_related = ["merchant", "changed_by"]


@admin.register(PooledSchema)
class PooledSchemaAdmin(ReadOnlyAdmin):
    list_display = ["schema_name", "created_at"]


@admin.register(LoginHandoff)
class LoginHandoffAdmin(ReadOnlyAdmin):
    list_display = ["user", "merchant", "expires_at", "used_at"]
    search_fields = ["user__email", "merchant__slug"]
    list_select_related = ["user", "merchant"]
    exclude = ["token_hash"]

    def get_readonly_fields(self, request, obj=None):
        return [name for name in super().get_readonly_fields(request, obj) if name != "token_hash"]
