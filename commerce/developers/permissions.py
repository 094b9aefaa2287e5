"""Who may call an API operation: a member of the shop signed in (the console's session),
or a key of this shop whose scopes cover the view's resource (read for safe methods, write
for the rest)."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from commerce.developers.models import ApiKey
from tenants.permissions import IsShopMember


class ShopMemberOrScopedKey(BasePermission):
    message = "You are not a member of this shop."

    def has_permission(self, request, view) -> bool:
        key = request.auth if isinstance(request.auth, ApiKey) else None
        if key is None:
            member = IsShopMember()
            allowed = member.has_permission(request, view)
            self.message = member.message
            return allowed
        resource = getattr(view, "api_resource", None)
        # Imported here: rest_framework.routers imports the views, which load this class.
        from rest_framework.routers import APIRootView

        if isinstance(view, APIRootView):
            return request.method in SAFE_METHODS  # the list of links, any key may read it
        if resource is None:
            self.message = "This operation is not open to API keys."
            return False
        write = request.method not in SAFE_METHODS
        if key.allows(resource, write=write):
            return True
        needed = "write" if write else "read"
        self.message = f"This API key lacks the {resource}:{needed} scope."
        return False
