def register(router) -> None:
    """Add this app's API endpoints to the shop's router (config/urls_tenant.py)."""
