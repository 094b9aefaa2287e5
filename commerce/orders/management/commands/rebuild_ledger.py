"""Check (and with --repair fix) one merchant's ledger days against its own orders.

    manage.py rebuild_ledger alpha --from 2026-01-01 --to 2026-03-31 --repair

Without --repair it only reads: every drifted column is printed and the exit code is 0.
Days go in chunks (each repaired in its own transaction) behind a progress bar.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django.utils import timezone
from tqdm import tqdm

from analytics.ledger import local_date_for
from commerce.orders.ledger_truth import find_drift
from commerce.orders.ledger_truth import repair as repair_days
from tenants.models import Merchant

DEFAULT_DAYS = 90
CHUNK_DAYS = 31


def _parse_day(raw: str | None, option: str) -> date | None:
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise CommandError(f"{option}: expected a date as YYYY-MM-DD, got {raw!r}.") from None


def day_chunks(start: date, end: date, size: int = CHUNK_DAYS) -> list[tuple[date, date]]:
    """Consecutive (first, last) day ranges covering start..end, at most `size` days each."""
    chunks = []
    first = start
    while first <= end:
        last = min(first + timedelta(days=size - 1), end)
        chunks.append((first, last))
        first = last + timedelta(days=1)
    return chunks


class Command(BaseCommand):
    help = "Compare a merchant's DailyMerchantStats with its orders and refunds; --repair fixes."

    def add_arguments(self, parser):
        parser.add_argument("merchant", help="The merchant's slug or schema name.")
        parser.add_argument(
            "--from", dest="start", help=f"First local day (default: {DEFAULT_DAYS} days ago)."
        )
        parser.add_argument("--to", dest="end", help="Last local day (default: today).")
        parser.add_argument(
            "--repair", action="store_true", help="Set drifted days to the rebuilt figures."
        )

    def handle(self, *args, merchant: str, start, end, repair: bool, verbosity: int = 1, **options):
        found = (
            Merchant.objects.exclude(schema_name="public")
            .filter(Q(slug=merchant) | Q(schema_name=merchant))
            .first()
        )
        if found is None:
            raise CommandError(f"merchant: no merchant with the slug or schema {merchant!r}.")
        today = local_date_for(found, timezone.now())
        last = _parse_day(end, "--to") or today
        first = _parse_day(start, "--from") or last - timedelta(days=DEFAULT_DAYS)
        if first > last:
            raise CommandError(f"--from ({first}) must not be after --to ({last}).")

        chunks = day_chunks(first, last)
        drifted_days: set[date] = set()
        repaired_days: set[date] = set()
        for chunk_start, chunk_end in tqdm(
            chunks, desc=f"Ledger {found.slug}", unit="chunk", disable=verbosity < 1
        ):
            drifts = find_drift(found, chunk_start, chunk_end)
            for drift in drifts:
                self.stdout.write(f"DRIFT {found.slug} {drift}")
            drifted_days.update(drift.date for drift in drifts)
            if repair and drifts:
                # Rebuilt again under the rows' locks: what is written is what is current.
                repaired_days.update(
                    drift.date for drift in repair_days(found, chunk_start, chunk_end)
                )
        checked = (last - first).days + 1
        self.stdout.write(
            f"{checked} days checked, {len(drifted_days)} days drifted, "
            f"{len(repaired_days)} repaired"
        )
