"""The shopper's emails about their order: placed, payment received, shipped, ready for
pickup, refunded, cancelled.

Each is written into the one outbox in the transaction of the change it announces (so a
rollback sends nothing and nothing goes before the commit), under a dedupe key per order
and kind (per refund for refunds): a replayed webhook, a second click or a retried task
writes nothing new, so each email is sent exactly once. The text is rendered in the shop's
language and carries the shop's name and logo; every link is built from the shop's
primary domain (`tenants.hosts.shop_url`), never from a request's Host.

Who hears what:
- online orders only for placed / paid (an in-store sale is handed over at the till);
- a card order is created when its payment has arrived, so its confirmation says it is
  paid and no separate "payment received" follows; "payment received" is for cash on
  delivery and pay in store, when the merchant records the payment;
- group-buy orders: the plugin's own notices tell the seat's payment, the team's success
  and a failed team's refund (`groupbuy.notices`), so these emails leave those out and
  tell only shipping, pickup, and refunds or cancellations the merchant makes by hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.db import connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from commerce.cache import key, remember
from commerce.orders.models import Channel, Order, PaymentMethod, ShippingMethod
from commerce.orders.selectors import SoldLine, sold_lines
from commerce.orders.tracking import carrier_tracking_url
from commerce.store.selectors import store_settings
from outbox import services as outbox
from tenants.hosts import shop_url

GROUPBUY_TAG = "groupbuy"
# The actor group-buy uses for the refunds and cancellations its notices already tell.
GROUPBUY_ACTOR = "group-buy"


class ShopperEmail(StrEnum):
    PLACED = "placed"
    PAID = "paid"
    SHIPPED = "shipped"
    READY_FOR_PICKUP = "ready_for_pickup"
    REFUNDED = "refunded"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    body: str
    html: str


def order_placed(order: Order, lines: Sequence[SoldLine] | None = None) -> bool:
    """The confirmation of a new online order (call in the transaction that created it;
    `lines`, when the caller has them, save reading them back)."""
    if order.channel != Channel.ONLINE or GROUPBUY_TAG in order.tags:
        return False
    return _send(order, ShopperEmail.PLACED, lines=lines)


def payment_received(order: Order) -> bool:
    """A payment recorded after the order was placed (cash on delivery, pay in store)."""
    if (
        order.channel != Channel.ONLINE
        or GROUPBUY_TAG in order.tags
        or order.payment_method == PaymentMethod.STRIPE
    ):
        return False
    return _send(order, ShopperEmail.PAID)


def order_fulfilled(order: Order) -> bool:
    """Shipped (carrier and tracking link) or, for a pickup order, ready for pickup."""
    if order.channel != Channel.ONLINE:
        return False
    kind = (
        ShopperEmail.READY_FOR_PICKUP
        if order.shipping_method == ShippingMethod.PICKUP
        else ShopperEmail.SHIPPED
    )
    return _send(order, kind)


def order_refunded(order: Order, *, amount, refund_key: str, actor: str) -> bool:
    """A refund completed (once per refund: a partial refund and a later one are two)."""
    if GROUPBUY_TAG in order.tags and actor == GROUPBUY_ACTOR:
        return False
    return _send(order, ShopperEmail.REFUNDED, key_suffix=refund_key, amount=amount)


def order_cancelled(order: Order, *, actor: str) -> bool:
    if GROUPBUY_TAG in order.tags and actor == GROUPBUY_ACTOR:
        return False
    return _send(order, ShopperEmail.CANCELLED)


def dedupe_key(order: Order, kind: str, key_suffix: str = "") -> str:
    key = f"{connection.schema_name}:shopper-email:{order.reference}:{kind}"
    return f"{key}:{key_suffix}" if key_suffix else key


def _send(
    order: Order,
    kind: ShopperEmail,
    *,
    key_suffix: str = "",
    amount=None,
    lines: Sequence[SoldLine] | None = None,
) -> bool:
    """Write the email into the outbox in the caller's transaction; False when the order
    has no email or this email was written before (nothing new is written)."""
    if not order.email:
        return False
    merchant = connection.tenant
    rendered = render_shopper_email(order, kind, amount=amount, lines=lines)
    return outbox.enqueue_email(
        to=[order.email],
        subject=rendered.subject,
        body=rendered.body,
        html=rendered.html,
        dedupe_key=dedupe_key(order, kind, key_suffix),
        merchant_id=merchant.pk,
    )


def render_shopper_email(
    order: Order,
    kind: ShopperEmail,
    *,
    amount=None,
    lines: Sequence[SoldLine] | None = None,
) -> RenderedEmail:
    merchant = connection.tenant
    shop = store_settings()
    if lines is None:
        lines = sold_lines(order.pk)
    with translation.override(merchant.language):
        base = shop_base_url()
        logo_url = ""
        if shop.logo:
            logo = shop.logo.url
            logo_url = logo if logo.startswith(("http://", "https://")) else f"{base}{logo}"
        context = {
            "kind": str(kind),
            "order": order,
            "lines": lines,
            "shop_name": shop.display_name,
            "shop_contact_email": shop.contact_email,
            "logo_url": logo_url,
            "shop_url": f"{base}/",
            "order_url": f"{base}{_shop_path('storefront_order', order.status_token)}",
            "tracking_url": carrier_tracking_url(order.carrier, order.tracking_number),
            "amount": amount,
            "is_card": order.payment_method == PaymentMethod.STRIPE,
            "pickup_outlet": order.outlet if kind == ShopperEmail.READY_FOR_PICKUP else None,
        }
        subject = _subject(kind) % {"number": order.number, "shop": shop.display_name}
        return RenderedEmail(
            # One line: the outbox refuses a subject with a line break in it.
            subject=" ".join(subject.split()),
            body=render_to_string("email/shopper/order.txt", context),
            html=render_to_string("email/shopper/order.html", context),
        )


def shop_base_url() -> str:
    """`scheme://host[:port]` of the shop's primary host. Kept for a minute per shop (every
    checkout sends a confirmation; the domain rarely changes, and the old host still
    reaches the shop meanwhile)."""
    merchant = connection.tenant
    return remember(key("shop-base-url"), lambda: shop_url(None, merchant, ""))


def _shop_path(name: str, *args) -> str:
    # The shop's URLconf by name: a card order is made in a webhook request on the platform
    # host, whose URLconf has no shop pages.
    return reverse(name, args=args, urlconf=settings.ROOT_URLCONF)


def _subject(kind: ShopperEmail) -> str:
    return {
        ShopperEmail.PLACED: _("%(shop)s: order %(number)s confirmed"),
        ShopperEmail.PAID: _("%(shop)s: payment received for order %(number)s"),
        ShopperEmail.SHIPPED: _("%(shop)s: order %(number)s is on its way"),
        ShopperEmail.READY_FOR_PICKUP: _("%(shop)s: order %(number)s is ready for pickup"),
        ShopperEmail.REFUNDED: _("%(shop)s: refund for order %(number)s"),
        ShopperEmail.CANCELLED: _("%(shop)s: order %(number)s is cancelled"),
    }[kind]
