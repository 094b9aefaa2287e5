from rest_framework.permissions import BasePermission

from tenants.access import admit_member, role_may_open
from tenants.selectors import membership_of


class IsShopMember(BasePermission):
    """API access only for members of the shop named by the request's host, and only to
    the resources their role may use (tenants.access.SECTION_ROLES, as for /manage/)."""

    message = "You are not a member of this shop, or your role cannot use this resource."

    def has_permission(self, request, view) -> bool:
        tenant = getattr(request, "tenant", None)
        if tenant is None or tenant.is_public:
            return False
        membership = membership_of(user=request.user, merchant=tenant)
        if membership is None or not role_may_open(membership.role, request.path_info):
            return False
        admit_member(request._request, membership)
        return True
