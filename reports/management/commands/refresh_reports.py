from datetime import date

from django.core.management.base import BaseCommand, CommandError

from reports import figures, selectors
from reports.rollups import refresh_monthly_stats
from reports.selectors import add_months


class Command(BaseCommand):
    help = (
        "Roll the ledger up into monthly stats from a month on (default: the last 13 "
        "months) and compute last month's metrics pages; beat does this every 15 minutes."
    )

    def add_arguments(self, parser):
        parser.add_argument("--since", help="YYYY-MM, the first month to roll up")

    def handle(self, *args, since=None, **options):
        if since:
            try:
                first = date.fromisoformat(f"{since}-01")
            except ValueError:
                raise CommandError("--since: use YYYY-MM, e.g. 2026-01.") from None
        else:
            first = add_months(date.today().replace(day=1), -12)
        rows = refresh_monthly_stats(first)
        for currency in selectors.currencies():
            figures.cached_build(currency, figures.last_full_month())
        self.stdout.write(f"{rows} merchant-months rolled up from {first:%Y-%m}.")
