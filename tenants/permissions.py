from rest_framework.permissions import BasePermission

from tenants.selectors import is_member


class IsShopMember(BasePermission):
    """API access only for members of the shop named by the request's host."""

    message = "You are not a member of this shop."

    def has_permission(self, request, view) -> bool:
        tenant = getattr(request, "tenant", None)
        if tenant is None or tenant.is_public:
            return False
        return is_member(user=request.user, merchant=tenant)
