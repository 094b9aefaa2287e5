"""Give back the seats left counted in open teams by orders staff cancelled, or refunded in
full, before group-buy heard of such changes (the `order_cancelling` and `order_refunded`
hooks); and the units left taken from a campaign's quota by the seats of teams that had
succeeded when staff cancelled or refunded their orders in full, before such seats gave
their units back: the data repair to run once on deploy, safe to run again.

    manage.py repair_groupbuy_seats              # every shop that ever ran group-buy: list
    manage.py repair_groupbuy_seats tea-house    # one shop (slug or schema): list
    manage.py repair_groupbuy_seats --apply      # give each seat (or its units) back, once

Without --apply it only reads. With it, each seat goes back in its own transaction, by the
path a cancellation or full refund takes now (`teams.give_up_stranded_seat`: the same
locks, the checks run again under them, the same timeline entry), so a second run finds
nothing and changes nothing. A succeeded team stays as it was (it did fill); only its
seat's units return. A partial refund keeps the seat, as it does live.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django_tenants.utils import get_public_schema_name

from commerce.groupbuy.selectors import StrandedSeat, stranded_seats
from commerce.groupbuy.sweep import shops_with_groupbuy
from commerce.groupbuy.teams import give_up_stranded_seat
from tenants.models import Merchant

CAUSES = {"cancelled": "order cancelled by hand", "refunded": "order refunded in full by hand"}


class Command(BaseCommand):
    help = (
        "List (or with --apply give back) group-buy seats still counted in open teams, and "
        "units still taken by seats of succeeded teams, whose orders staff cancelled or "
        "refunded in full."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "shops", nargs="*", help="Shop slugs or schema names (default: every group-buy shop)."
        )
        parser.add_argument(
            "--apply", action="store_true", help="Give the seats (or their units) back."
        )

    def handle(self, *args, shops: list[str], apply: bool, **options):
        merchants = self._merchants(shops)
        seats_found = seats_given = 0  # open teams: seats given back
        held_found = held_given = units = 0  # succeeded teams: only their units go back
        for merchant in merchants:
            with merchant:
                for seat in stranded_seats():
                    if seat.team_succeeded:
                        held_found += 1
                        would = f"would give {seat.quantity} unit(s) back to the campaign"
                        done = f"{seat.quantity} unit(s) given back to the campaign"
                    else:
                        seats_found += 1
                        would, done = "would give the seat back", "seat given back"
                    what = self._what(merchant.slug, seat)
                    if not apply:
                        units += seat.quantity if seat.team_succeeded else 0
                        self.stdout.write(f"{what}: {would}")
                    elif give_up_stranded_seat(seat.order_id, cause=seat.cause):
                        if seat.team_succeeded:
                            held_given += 1
                            units += seat.quantity
                        else:
                            seats_given += 1
                        self.stdout.write(f"{what}: {done}")
                    else:
                        self.stdout.write(f"{what}: changed meanwhile, left as it is")
        shops_read = f"{len(merchants)} shop(s)"
        if not seats_found and not held_found:
            self.stdout.write(f"Nothing to repair in {shops_read}: nothing changed.")
        elif apply:
            self.stdout.write(
                f"{seats_given} seat(s) of open teams given back of {seats_found} found; "
                f"{units} unit(s) of {held_given} seat(s) of succeeded teams given back of "
                f"{held_found} found; in {shops_read}."
            )
        else:
            self.stdout.write(
                f"{seats_found} seat(s) of open teams to give back; {units} unit(s) of "
                f"{held_found} seat(s) of succeeded teams to give back; in {shops_read}. "
                "Dry run: nothing changed (--apply gives them back)."
            )

    @staticmethod
    def _what(shop: str, seat: StrandedSeat) -> str:
        """What was found: an open team's seat (shop, team, order); a succeeded team's, whose
        units go back, naming its campaign and seat too."""
        if not seat.team_succeeded:
            return (
                f"{shop}: team {seat.team_id}, order {seat.number} ({seat.email}): "
                f"{CAUSES[seat.cause]}"
            )
        return (
            f"{shop}: campaign {seat.campaign_id}, team {seat.team_id} (succeeded), "
            f"seat {seat.member_id}, order {seat.number} ({seat.email}): "
            f"{CAUSES[seat.cause]}"
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
