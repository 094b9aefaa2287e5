"""Give back the seats left counted in open teams by orders staff cancelled, or refunded in
full, before group-buy heard of such changes (the `order_cancelling` and `order_refunded`
hooks): the data repair to run once on deploy, safe to run again.

    manage.py repair_groupbuy_seats              # every shop that ever ran group-buy: list
    manage.py repair_groupbuy_seats tea-house    # one shop (slug or schema): list
    manage.py repair_groupbuy_seats --apply      # give each seat back, once

Without --apply it only reads. With it, each seat goes back in its own transaction
(`teams.give_up_stranded_seat`: the checks run again under the locks), so a second run finds
nothing and changes nothing.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django_tenants.utils import get_public_schema_name

from commerce.groupbuy.selectors import stranded_seats
from commerce.groupbuy.sweep import shops_with_groupbuy
from commerce.groupbuy.teams import give_up_stranded_seat
from tenants.models import Merchant

CAUSES = {"cancelled": "order cancelled by hand", "refunded": "order refunded in full by hand"}


class Command(BaseCommand):
    help = (
        "List (or with --apply give back) group-buy seats still counted in open teams whose "
        "orders staff cancelled or refunded in full."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "shops", nargs="*", help="Shop slugs or schema names (default: every group-buy shop)."
        )
        parser.add_argument("--apply", action="store_true", help="Give the seats back.")

    def handle(self, *args, shops: list[str], apply: bool, **options):
        merchants = self._merchants(shops)
        found = given_back = 0
        for merchant in merchants:
            with merchant:
                for seat in stranded_seats():
                    found += 1
                    what = (
                        f"{merchant.slug}: team {seat.team_id}, order {seat.number} "
                        f"({seat.email}): {CAUSES[seat.cause]}"
                    )
                    if not apply:
                        self.stdout.write(f"{what}: would give the seat back")
                    elif give_up_stranded_seat(seat.order_id, cause=seat.cause):
                        given_back += 1
                        self.stdout.write(f"{what}: seat given back")
                    else:
                        self.stdout.write(f"{what}: changed meanwhile, left as it is")
        if apply:
            self.stdout.write(
                f"{given_back} seat(s) given back of {found} found in {len(merchants)} shop(s)."
            )
        else:
            self.stdout.write(
                f"{found} seat(s) to give back in {len(merchants)} shop(s). "
                "Dry run: nothing changed (--apply gives them back)."
            )

    def _merchants(self, names: list[str]) -> list[Merchant]:
        if not names:
            return shops_with_groupbuy()
        merchants = []
        for name in names:
            merchant = (
                Merchant.objects.exclude(schema_name=get_public_schema_name())
                .filter(Q(slug=name) | Q(schema_name=name))
                .first()
            )
            if merchant is None:
                raise CommandError(f"shops: no shop with the slug or schema {name!r}.")
            merchants.append(merchant)
        return merchants
