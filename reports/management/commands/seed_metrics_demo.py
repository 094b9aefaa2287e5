"""Metrics demo inputs for `make demo` (after the other seeds): the sales and marketing
spend platform admins enter each month (for CAC), from the first demo signup's month to
last month, through the same service as the console's form. Safe to run again."""

from datetime import date
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.utils import timezone

from accounts.models import User
from reports.selectors import add_months, month_start
from reports.services import record_spend
from tenants.models import Merchant

MONTHLY_SPEND = {"CNY": Decimal("6000.00"), "USD": Decimal("800.00")}


class Command(BaseCommand):
    help = "Monthly sales and marketing spend for the demo's months (idempotent)."

    def handle(self, *args, **options):
        admin = User.objects.filter(email="admin@demo.test").first()
        this_month = month_start(timezone.now().date())
        for currency, amount in MONTHLY_SPEND.items():
            first_signup = (
                Merchant.objects.exclude(schema_name="public")
                .filter(currency=currency)
                .order_by("created_at")
                .values_list("created_at", flat=True)
                .first()
            )
            if first_signup is None:
                continue
            month: date = month_start(first_signup.date())
            while month < this_month:
                record_spend(
                    month=month,
                    currency=currency,
                    amount=amount,
                    note="Demo: ads and a trade fair stand",
                    entered_by=admin,
                )
                month = add_months(month, 1)
        self.stdout.write("Metrics demo: monthly spend entered.")
