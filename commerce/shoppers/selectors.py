"""Reads for the shopper's account pages and checkout."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from commerce.orders.models import Order
from commerce.shoppers.models import SavedAddress, ShopperAccount

ORDER_HISTORY_LIMIT = 100


def account_orders(account: ShopperAccount) -> QuerySet[Order]:
    """The orders placed with the account's verified address, guest orders from before
    the account included, newest first (one query, with their item counts)."""
    return (
        Order.objects.filter(customer__email=account.email)
        .annotate(item_count=Count("lines"))
        .order_by("-created_at", "-id")[:ORDER_HISTORY_LIMIT]
    )


def saved_addresses(account: ShopperAccount) -> list[SavedAddress]:
    return list(SavedAddress.objects.filter(account=account).order_by("-is_default", "id"))


def saved_address(account: ShopperAccount, address_id) -> SavedAddress | None:
    try:
        address_id = int(address_id)
    except (TypeError, ValueError):
        return None
    if not 0 < address_id < 2**31:
        return None
    return SavedAddress.objects.filter(account=account, pk=address_id).first()
