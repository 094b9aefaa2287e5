from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from commerce.plugins.hooks import console_notices
from commerce.plugins.selectors import plugins_for_console
from commerce.plugins.services import disable_plugin, enable_plugin
from tenants.access import shop_member_required


@shop_member_required
def marketing(request):
    return render(
        request, "manage/marketing.html", {"plugins": plugins_for_console(console_notices())}
    )


@shop_member_required
@require_POST
def switch(request, key: str):
    try:
        if request.POST.get("enable") == "1":
            enable_plugin(key, actor=request.user.email)
            messages.success(request, _("Plugin switched on."))
        else:
            disable_plugin(key, actor=request.user.email)
            messages.success(request, _("Plugin switched off."))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return render(
            request,
            "manage/marketing.html",
            {"plugins": plugins_for_console(console_notices())},
            status=400,
        )
    return redirect("manage_marketing")
