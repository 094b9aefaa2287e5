from billing.selectors import billing_banner


def billing_notice(request) -> dict:
    """The past-due / failed-payment banner on the merchant's /manage/ pages."""
    tenant = getattr(request, "tenant", None)
    if tenant is None or tenant.is_public or not request.path.startswith("/manage/"):
        return {}
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"billing_banner": billing_banner(tenant)}
