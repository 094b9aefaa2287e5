"""The plans and plugin prices the platform starts with: plain data, used by the seeding
migration and, after a database was emptied (tests that truncate tables), by the code that
needs the default plan."""

from decimal import Decimal

PLANS = [
    # code, name, monthly, yearly, minimum, seats, seat price, GB, GB price, plugins, tiers
    ("basic", "Basic", "299", "2990", "0", 2, "50", 5, "10", [], [("0", "1.0")]),
    (
        "advanced",
        "Advanced",
        "999",
        "9990",
        "500",
        5,
        "40",
        20,
        "8",
        [],
        [("0", "1.0"), ("100000", "0.6")],
    ),
    (
        "premium",
        "Premium",
        "2999",
        "29990",
        "2000",
        20,
        "30",
        100,
        "5",
        ["groupbuy"],
        [("0", "0.8"), ("100000", "0.5"), ("1000000", "0.3")],
    ),
]
PLUGIN_PRICES = [("groupbuy", "Group-buy", "99")]
SEQUENCES = ("invoice", "credit_note")


def seed_catalog(Plan, CommissionTier, PluginPrice, InvoiceSequence) -> None:
    """Create what is missing; never changes a plan finance has edited."""
    for order, row in enumerate(PLANS):
        code, name, monthly, yearly, minimum, seats, seat, gb, gb_price, plugins, tiers = row
        plan, created = Plan.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "monthly_fee": Decimal(monthly),
                "yearly_fee": Decimal(yearly),
                "minimum_commission": Decimal(minimum),
                "included_seats": seats,
                "extra_seat_price": Decimal(seat),
                "included_storage_gb": gb,
                "extra_storage_gb_price": Decimal(gb_price),
                "included_plugins": plugins,
                "sort_order": order,
            },
        )
        if created:
            CommissionTier.objects.bulk_create(
                CommissionTier(plan=plan, lower_bound=Decimal(bound), rate_percent=Decimal(rate))
                for bound, rate in tiers
            )
    for plugin, name, fee in PLUGIN_PRICES:
        PluginPrice.objects.get_or_create(
            plugin=plugin, defaults={"name": name, "monthly_fee": Decimal(fee)}
        )
    for name in SEQUENCES:
        InvoiceSequence.objects.get_or_create(name=name)


def ensure_catalog() -> None:
    from billing.models import CommissionTier, InvoiceSequence, Plan, PluginPrice

    seed_catalog(Plan, CommissionTier, PluginPrice, InvoiceSequence)
