"""Who may open which console: shop members on their shop's host, platform staff by role."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404

from tenants.selectors import is_member


def shop_member_required(view):
    """Only members of the shop named by the host; everyone else is refused."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.tenant.is_public:
            raise Http404
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_member(user=request.user, merchant=request.tenant):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def platform_role_required(*roles: str):
    """Platform staff only, on the platform host; with `roles`, one of those roles."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.tenant.is_public:
                raise Http404
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            user = request.user
            if not user.is_platform_staff:
                raise PermissionDenied
            if roles and not any(user.has_platform_role(role) for role in roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
