from decimal import Decimal

from django.db import migrations

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


def seed(apps, schema_editor):
    Plan = apps.get_model("billing", "Plan")
    CommissionTier = apps.get_model("billing", "CommissionTier")
    PluginPrice = apps.get_model("billing", "PluginPrice")
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
            for bound, rate in tiers:
                CommissionTier.objects.create(
                    plan=plan, lower_bound=Decimal(bound), rate_percent=Decimal(rate)
                )
    PluginPrice.objects.get_or_create(
        plugin="groupbuy", defaults={"name": "Group-buy", "monthly_fee": Decimal("99")}
    )
    InvoiceSequence = apps.get_model("billing", "InvoiceSequence")
    for name in ("invoice", "credit_note"):
        InvoiceSequence.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
