"""The paid marketing plugins the platform sells (code, not data): what each one is,
what it costs a month, and which hooks it uses."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

# Where the shop's code calls plugins (commerce/plugins/hooks.py says when and with what).
# Each hook a plugin uses names its handler: a dotted path to a function, except "console",
# which names the URL of the plugin's console page.
HOOKS = frozenset(
    {
        "pricing",
        "pre_order_veto",
        "order_paid",
        "order_refunded",
        "order_cancelling",
        "storefront",
        "console",
        "console_notice",
    }
)


@dataclass(frozen=True)
class ConsoleNotice:
    """What a plugin tells the merchant on the marketing page, on or off (before they pay
    for it): `warning` when the plugin cannot work in this shop as it is set up."""

    text: str
    warning: bool = False
    # Where the merchant sets right what a warning names: (URL, label) of the shop's
    # settings pages (the Store section; shown to the roles that may open it), in order.
    links: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class PluginSpec:
    key: str
    name: str
    description: str
    monthly_price: Decimal  # in the merchant's currency, before plan discounts
    handlers: Mapping[str, str] = field(default_factory=dict)

    @property
    def hooks(self) -> frozenset[str]:
        return frozenset(self.handlers)

    def __post_init__(self) -> None:
        unknown = self.hooks - HOOKS
        if unknown:
            raise ValueError(f"{self.key}: unknown hooks {sorted(unknown)}")


REGISTRY: dict[str, PluginSpec] = {
    spec.key: spec
    for spec in (
        PluginSpec(
            key="groupbuy",
            name=_("Group-buy (拼团)"),
            description=_(
                "Shoppers start or join a team at a group price; the team ships when it fills "
                "and is refunded if it does not."
            ),
            monthly_price=Decimal("99.00"),
            handlers={
                "storefront": "commerce.groupbuy.hooks.product_block",
                "order_paid": "commerce.groupbuy.hooks.card_payment_succeeded",
                "order_cancelling": "commerce.groupbuy.hooks.order_cancelling",
                "order_refunded": "commerce.groupbuy.hooks.order_refunded",
                "console": "manage_groupbuy",
                "console_notice": "commerce.groupbuy.hooks.console_notice",
            },
        ),
    )
}


def get_spec(key: str) -> PluginSpec:
    return REGISTRY[key]
