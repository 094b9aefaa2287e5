from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from outbox import services
from outbox.models import MessageStatus, OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "channel",
        "status",
        "summary",
        "merchant_id",
        "attempts",
        "next_attempt_at",
        "created_at",
        "sent_at",
    ]
    list_filter = ["status", "channel"]
    search_fields = ["dedupe_key"]
    ordering = ["-created_at"]
    # Rows change only through the outbox's services: delivery and retry.
    readonly_fields = [field.name for field in OutboxMessage._meta.fields]
    actions = ["retry_selected"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the record of what was sent (and the dedupe key that stops a resend)

    @admin.action(description=_("Retry the selected failed messages"))
    def retry_selected(self, request, queryset) -> None:
        retried = 0
        for message_id in queryset.filter(status=MessageStatus.FAILED).values_list("pk", flat=True):
            retried += services.retry_message(message_id)
        self.message_user(
            request,
            ngettext(
                "%(count)d message will be sent again.",
                "%(count)d messages will be sent again.",
                retried,
            )
            % {"count": retried},
            messages.SUCCESS,
        )
