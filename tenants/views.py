from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.models import PlatformRole
from core.forms import add_service_errors
from core.input import without_control_characters
from core.ratelimit import rate_limited
from tenants.access import platform_role_required
from tenants.forms import MerchantStatusForm, SignupForm
from tenants.hosts import platform_url, shop_url
from tenants.models import Membership, Merchant, MerchantStatus
from tenants.selectors import memberships_for_user, search_merchants
from tenants.services import OpenedShop, change_merchant_status, issue_login_handoff, open_shop
from tenants.signup import SignupChannel, sign_up


def landing(request):
    return render(request, "public/landing.html")


@rate_limited("signup")
def signup(request, open_shop: Callable[..., OpenedShop] = open_shop):
    """`open_shop` comes from the URL conf (the composition root): open_merchant there."""
    form = SignupForm(request.POST or None, initial={"ref": request.GET.get("ref", "")[:40]})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            outcome = sign_up(
                shop_name=data["shop_name"],
                slug=data["slug"],
                email=data["email"],
                password_hash=make_password(data["password"]),
                currency=data["currency"],
                industry=data["industry"],
                language=translation.get_language() or "en",
                platform_root=platform_url(request, ""),
                open_shop=open_shop,
                heard_from=SignupChannel.REFERRAL if data["ref"] else data["heard_from"],
                referrer_slug=data["ref"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if outcome.opened is None:
                # The address has an account: it got an email; the page says no more.
                return redirect("signup_check_email")
            opened = outcome.opened
            login(request, opened.owner, backend="accounts.backends.EmailBackend")
            token = issue_login_handoff(user=opened.owner, merchant=opened.merchant)
            return redirect(
                shop_url(
                    request, opened.merchant, f"/accounts/handoff/{token}/", platform_subdomain=True
                )
            )
    return render(request, "public/signup.html", {"form": form}, status=400 if form.errors else 200)


@require_GET
def signup_check_email(request):
    return render(request, "public/signup_check_email.html")


@login_required
def my_shops(request):
    if not request.tenant.is_public:
        raise Http404
    return render(
        request, "public/my_shops.html", {"memberships": memberships_for_user(request.user)}
    )


@login_required
@require_POST
def open_my_shop(request, merchant_id: int):
    if not request.tenant.is_public:
        raise Http404
    membership = get_object_or_404(
        Membership.objects.select_related("merchant"), user=request.user, merchant_id=merchant_id
    )
    token = issue_login_handoff(user=request.user, merchant=membership.merchant)
    return redirect(
        shop_url(
            request, membership.merchant, f"/accounts/handoff/{token}/", platform_subdomain=True
        )
    )


@platform_role_required()
def console_home(request):
    return redirect("console_merchants")


@platform_role_required()
def console_merchants(request):
    query = without_control_characters(request.GET.get("q", "")).strip()
    status = request.GET.get("status", "")
    if status not in MerchantStatus.values:
        status = ""
    page = Paginator(search_merchants(query=query, status=status), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "console/merchants.html",
        {"page": page, "query": query, "status": status, "statuses": MerchantStatus.choices},
    )


def _merchant_detail_context(request, merchant: Merchant, status_form: MerchantStatusForm) -> dict:
    return {
        "merchant": merchant,
        "domains": merchant.domains.order_by("-is_primary", "domain"),
        "memberships": merchant.memberships.select_related("user").order_by("role", "user__email"),
        "status_changes": merchant.status_changes.select_related("changed_by")[:20],
        "status_form": status_form,
        "shop_link": shop_url(request, merchant, "/"),
    }


@platform_role_required()
def console_merchant_detail(request, merchant_id: int):
    merchant = get_object_or_404(Merchant.objects.exclude(schema_name="public"), pk=merchant_id)
    context = _merchant_detail_context(request, merchant, MerchantStatusForm())
    return render(request, "console/merchant_detail.html", context)


@platform_role_required(PlatformRole.PLATFORM_ADMIN)
@require_POST
def console_merchant_status(request, merchant_id: int):
    merchant = get_object_or_404(Merchant.objects.exclude(schema_name="public"), pk=merchant_id)
    form = MerchantStatusForm(request.POST)
    if form.is_valid():
        try:
            change_merchant_status(
                merchant=merchant,
                to_status=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"],
                changed_by=request.user,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Status changed."))
            return redirect("console_merchant_detail", merchant_id=merchant.pk)
    context = _merchant_detail_context(request, merchant, form)
    return render(request, "console/merchant_detail.html", context, status=400)
