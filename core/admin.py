"""Shared Django admin building blocks (imported by the apps' admin modules)."""

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """For rows a service owns the writes of (invoices, the ledger, subscriptions, …): ops
    can find and read them in the admin, never add, edit or delete them there, because
    that would skip the service's checks, audit trail and idempotency keys."""

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
