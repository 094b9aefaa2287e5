"""The outbox's console page (/console/outbox/), beside the platform console's other pages:
the outbox is a bottom-layer app and knows nothing of the console's roles."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.models import PlatformRole
from outbox import selectors, services
from outbox.forms import OutboxFilterForm
from outbox.models import MessageStatus, OutboxMessage
from tenants.access import platform_role_required

PAGE_SIZE = 50


@platform_role_required(PlatformRole.CSM)  # platform admins hold every role
def console_outbox(request):
    form = OutboxFilterForm(request.GET)
    if not form.is_valid():
        context = {"form": form, "counts": selectors.status_counts(), "page": None}
        return render(request, "console/outbox.html", context, status=400)
    filters = form.cleaned_data
    messages_ = selectors.search_messages(
        status=filters["status"],
        channel=filters["channel"],
        merchant_id=filters["merchant"],
        query=filters["q"],
    )
    page = Paginator(messages_, PAGE_SIZE).get_page(request.GET.get("page"))
    query_string = request.GET.copy()
    query_string.pop("page", None)
    return render(
        request,
        "console/outbox.html",
        {
            "form": form,
            "counts": selectors.status_counts(),
            "page": page,
            "filters_query": query_string.urlencode(),
            "can_retry": request.user.has_platform_role(PlatformRole.PLATFORM_ADMIN),
        },
    )


@platform_role_required(PlatformRole.PLATFORM_ADMIN)
@require_POST
def console_outbox_retry(request, message_id: int):
    message = get_object_or_404(OutboxMessage, pk=message_id)
    if services.retry_message(message.pk):
        messages.success(request, _("The message will be sent again."))
    elif message.status == MessageStatus.SENT:
        messages.warning(request, _("This message was sent already."))
    else:
        messages.warning(request, _("This message is still waiting to be sent."))
    return redirect("console_outbox")


@platform_role_required(PlatformRole.PLATFORM_ADMIN)
@require_POST
def console_outbox_retry_failed(request):
    retried = services.retry_failed_messages()
    messages.success(
        request,
        ngettext(
            "%(count)d failed message will be sent again.",
            "%(count)d failed messages will be sent again.",
            retried,
        )
        % {"count": retried},
    )
    return redirect("console_outbox")
