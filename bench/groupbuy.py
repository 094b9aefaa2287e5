"""Group-buy seat joins per second under contention (4 client processes joining 10 teams of
5 again and again), beside the raw-SQL hot-product checkout of bench/checkout.py in the
same run, with the exact-seat check.

Last line: `RESULT groupbuy_ratio=… seats_over=0` (goal: ratio ≥ 0.20). One second a run at
`BENCH_SCALE=smoke`.
"""

import os
import random
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _scale import seconds
from checkout import CLIENTS, raw_client, run, wait_for_start
from checkout import seed as seed_checkout

SECONDS = seconds(8)
SLUG = "bench-groupbuy"


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    import django

    django.setup()


def seed() -> tuple[str, int]:
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from commerce.catalog.models import Product, Stock, Variant
    from commerce.groupbuy.campaigns import CampaignInput, create_campaign
    from commerce.plugins.services import enable_plugin
    from commerce.store.selectors import online_outlet, store_settings
    from tenants.models import Merchant
    from tenants.services import open_shop

    merchant = (
        Merchant.objects.filter(slug=SLUG).first()
        or open_shop(
            shop_name="Group-buy bench",
            slug=SLUG,
            owner_email=f"owner@{SLUG}.test",
            owner_password_hash=make_password("bench-pass-2026"),
        ).merchant
    )
    with merchant:
        enable_plugin("groupbuy", actor="bench")
        # Seats are collected at the shop: pickup must be on (the seat form offers it only then).
        settings = store_settings()
        settings.local_pickup = True
        settings.save(update_fields=["local_pickup"])
        product, _ = Product.objects.get_or_create(slug="lychee", defaults={"title": "Lychee"})
        variant, _ = Variant.objects.get_or_create(
            sku="GB-LYC", defaults={"product": product, "price": Decimal("50.00")}
        )
        Stock.objects.update_or_create(
            variant=variant, outlet=online_outlet(), defaults={"quantity": 10_000_000}
        )
        now = timezone.now()
        campaign = create_campaign(
            CampaignInput(
                name="Bench",
                variant_id=variant.pk,
                group_price=Decimal("35.00"),
                team_size=5,
                team_window_hours=24,
                starts_at=now - timedelta(minutes=1),
                ends_at=now + timedelta(days=2),
            )
        )
        return merchant.schema_name, campaign.pk


def joiner(schema: str, campaign_id: int, gate, results) -> None:
    setup_django()
    from django.db import connection

    from commerce.groupbuy.models import Team, TeamStatus
    from commerce.groupbuy.seat_payments import confirm_seat_payment
    from commerce.groupbuy.seats import take_seat
    from commerce.groupbuy.teams import SeatUnavailable
    from tenants.models import Merchant

    connection.set_tenant(Merchant.objects.get(schema_name=schema))
    rng = random.Random(os.getpid())
    start_at = wait_for_start(gate)
    joined = refused = 0
    deadline = start_at + SECONDS
    while time.time() < deadline:
        open_teams = list(
            Team.objects.filter(campaign_id=campaign_id, status=TeamStatus.OPEN).values_list(
                "pk", flat=True
            )[:10]
        )
        email = f"s{os.getpid()}-{joined + refused}@bench.test"
        try:
            team_id = rng.choice(open_teams) if len(open_teams) >= 10 else None
            member = take_seat(
                campaign_id=campaign_id, email=email, team_id=team_id, payment_method="pay_in_store"
            )
            confirm_seat_payment(member.pk)
            joined += 1
        except SeatUnavailable:
            refused += 1
    results.put(joined)


def main() -> None:
    setup_django()
    from django.db import connection
    from django.db.models import F

    from commerce.groupbuy.models import Team
    from tenants.models import Merchant

    schema, campaign_id = seed()
    checkout_schema, outlet_id, _spread, hot = seed_checkout()
    connection.close()
    seats = run(joiner, (schema, campaign_id))
    raw_hot = run(raw_client, (checkout_schema, outlet_id, [hot]))
    with Merchant.objects.get(schema_name=schema):
        over = Team.objects.filter(seats_paid__gt=F("size")).count()
        over += Team.objects.filter(seats_taken__gt=F("size")).count()
    print(
        f"group-buy seats ({CLIENTS} clients, 10 open teams of 5): {seats:.1f}/s; raw hot checkout {raw_hot:.1f}/s"
    )
    print("goal: ratio >= 0.20, seats_over = 0")
    print(
        f"RESULT groupbuy_ratio={seats / raw_hot:.2f} groupbuy_seats_per_s={seats:.1f} seats_over={over}"
    )


if __name__ == "__main__":
    main()
