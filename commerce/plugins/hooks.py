"""The hook runner: where the shop's own code calls plugins, and only the enabled ones.

Each function below is one hook; it runs, in registry order, the handler of every enabled
plugin that declares the hook (registry.PluginSpec.handlers). A disabled plugin's hooks do
not run. The exceptions are what a plugin's orders still hold: a card payment for a
plugin's order reaches that plugin even after it was switched off (`card_payment_succeeded`),
because the shopper paid; and an order being cancelled or refunded tells every plugin
declaring `order_cancelling` / `order_refunded`, on or off, so a seat it held does not
outlive its order's cancellation or its payment.

Handler signatures:
- pricing(lines: list[PricedLine]) -> list[PricedLine]          checkout, after stock is taken
- pre_order_veto(wanted: dict[int, int]) -> str | None          checkout, before; a reason vetoes
- order_paid(intent: dict) -> str | None                        a card payment with plugin
                                                                metadata; a result if it owns it
- order_refunded(order: Order, amount: Decimal) -> None         after a refund completes
- order_cancelling(order_id: int) -> None                       cancel_order, in its
                                                                transaction before the
                                                                order's row is locked
- storefront(request, variant_ids: list[int]) -> str | None     HTML block on the product page
- console: a URL name, linked from /manage/marketing/
- console_notice() -> ConsoleNotice | None                      /manage/marketing/, on or off
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.utils.module_loading import import_string
from django.utils.safestring import SafeString

from commerce.plugins.registry import REGISTRY, ConsoleNotice, PluginSpec
from commerce.plugins.selectors import is_enabled

if TYPE_CHECKING:
    from commerce.orders.models import Order
    from commerce.orders.services import PricedLine


def _handlers(hook: str, *, enabled_only: bool = True) -> Iterator[tuple[PluginSpec, Callable]]:
    for spec in REGISTRY.values():
        if hook in spec.handlers and (not enabled_only or is_enabled(spec.key)):
            yield spec, import_string(spec.handlers[hook])


def veto_order(wanted: dict[int, int]) -> None:
    """Raise (naming `lines`) when an enabled plugin refuses this order."""
    for _spec, handler in _handlers("pre_order_veto"):
        reason = handler(wanted=wanted)
        if reason:
            raise ValidationError({"lines": [reason]})


def price_lines(lines: list[PricedLine]) -> list[PricedLine]:
    """The order's lines as the enabled pricing plugins set them, one after the other."""
    for _spec, handler in _handlers("pricing"):
        lines = handler(lines=lines)
    return lines


def card_payment_succeeded(intent: dict) -> str | None:
    """The result of the plugin that owns this card payment, or None when none does."""
    for _spec, handler in _handlers("order_paid", enabled_only=False):
        result = handler(intent=intent)
        if result is not None:
            return result
    return None


def order_refunded(order: Order, amount: Decimal) -> None:
    """A refund completed (the order's row is locked). Runs for plugins switched off too,
    like `order_cancelling`: what an order holds (a group-buy seat) outlives the switch."""
    for _spec, handler in _handlers("order_refunded", enabled_only=False):
        handler(order=order, amount=amount)


def order_cancelling(order_id: int) -> None:
    """The order is being cancelled (in the cancelling transaction, before its row is
    locked): each plugin lets go of what the order held (a group-buy seat goes back to its
    team). Rows a handler locks come before the order's, as on the plugin's own paths (a
    group-buy team, then its seat, then the order). Runs for plugins switched off too: what
    an order holds outlives the switch. If the cancellation is refused, the transaction
    rolls back what the handlers did."""
    for _spec, handler in _handlers("order_cancelling", enabled_only=False):
        handler(order_id=order_id)


def product_blocks(request, variant_ids: list[int]) -> list[SafeString]:
    """The enabled plugins' blocks for a product page (a running offer, say)."""
    blocks = []
    for _spec, handler in _handlers("storefront"):
        block = handler(request=request, variant_ids=variant_ids)
        if block:
            blocks.append(block)
    return blocks


def console_notices() -> dict[str, ConsoleNotice]:
    """Each plugin's word to the merchant on the marketing page, switched on or not (what
    it will do in this shop, or why it cannot work yet), by plugin key."""
    notices = {}
    for spec, handler in _handlers("console_notice", enabled_only=False):
        notice = handler()
        if notice is not None:
            notices[spec.key] = notice
    return notices
