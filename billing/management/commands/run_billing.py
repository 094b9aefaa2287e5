"""Run the billing run for one period: `manage.py run_billing --period 2026-10`."""

import re

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from billing.pricing import month_bounds
from billing.run import billable_subscriptions, previous_month, run_billing


class Command(BaseCommand):
    help = "Create draft invoices for a closed period (skips merchants already billed)."

    def add_arguments(self, parser):
        parser.add_argument("--period", help="YYYY-MM; last month by default")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, period=None, no_progress=False, **options):
        if period:
            match = re.fullmatch(r"(\d{4})-(\d{2})", period)
            if not match or not 1 <= int(match.group(2)) <= 12:
                raise CommandError("--period must look like 2026-10")
            year, month = int(match.group(1)), int(match.group(2))
        else:
            year, month = previous_month(timezone.now().date())
        start, end = month_bounds(year, month)
        total = billable_subscriptions(start, end).count()
        with tqdm(total=total, disable=no_progress, unit="merchant") as bar:
            summary = run_billing(year, month, progress=bar.update)
        self.stdout.write(
            f"Period {start:%Y-%m}: {summary.created} invoices created, "
            f"{summary.already_billed} already billed, {summary.not_closed} not closed yet, "
            f"{summary.credit_notes} credit notes raised."
        )
        for currency, amount in sorted(summary.total.items()):
            self.stdout.write(f"  {currency} {amount:,.2f} invoiced")
