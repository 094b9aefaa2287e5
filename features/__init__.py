"""Per-merchant feature flags: `features.enabled(merchant, "name")` is the one check.

A flag is a row (`features.models.MerchantFeature`); joining a beta writes it (the community
app, above), and any layer that gates behaviour on it calls `enabled` from here. This package
sits beside the ledger (it imports only `tenants` and `core`), so commerce may call it.
"""


def enabled(merchant, name: str) -> bool:
    """True when `merchant` has the feature `name` switched on (cached, see flags.py)."""
    from features.flags import is_enabled

    return is_enabled(merchant, name)
