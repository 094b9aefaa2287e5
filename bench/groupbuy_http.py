"""Group-buy join-and-pay over HTTP against gunicorn (2 sync workers, persistent DB
connections), paid by card through the fake Stripe of tests/fakes/stripe_server.py
(STRIPE_API_BASE points the workers at it). 4 client processes, a new shopper (cookies,
address) for every seat: the product page; one of its open teams (or "Start a team" when
none is open); the seat form posted with its CSRF token; the card page it redirects to,
whose payment form names the intent and the return address; the payment confirmed at
"Stripe" (as Stripe.js does from the browser); the return page, which confirms the seat.
Every address is read from the pages (no seat URL is built here). Beside it, in the same
run and by the same client, the bare one-query view.

`http_groupbuy_ratio` = paid seats/s * requests per paid seat / bare-view requests/s (only
requests to the shop count; a join refused because the team filled meanwhile counts its
requests, not as a failure).

Last line: `RESULT http_groupbuy_ratio=… http_seats_per_s=… requests_per_seat=… bare_rps=…
seats_over=0 failed=0`. One second a run at `BENCH_SCALE=smoke`. A failed join or payment,
or a team with more seats than its size, makes the bench fail.
"""

import random
import re
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import requests
from _http import (
    CLIENTS,
    Browser,
    free_port,
    measure_beside_bare,
    start_gunicorn,
    wait_for_start,
)
from _scale import seconds, sized

SLUG = "bench-groupbuy-http"
HOST = f"{SLUG}.localhost"
PRODUCT = "gb-http-lychee"
ACCOUNT = "acct_benchgroupbuyhttp"
TEAM_SIZE = 5
SECONDS = seconds(10)
WARM_UP_SECONDS = sized(3.0, 0)  # a smoke run's figures mean nothing: no warm-up
SEED_SEATS = sized(100, 20)


def seed() -> int:
    """The shop (card payments on, a connected account), the product with plenty of stock
    and a new campaign (the product page shows the newest); paid seats already in its
    tables, as PostgreSQL plans FK checks on fresh empty tables as scans."""
    from datetime import timedelta
    from decimal import Decimal

    from django.contrib.auth.hashers import make_password
    from django.db import connection
    from django.utils import timezone

    from commerce.catalog.models import Product, Stock, Variant
    from commerce.groupbuy.campaigns import CampaignInput, create_campaign
    from commerce.groupbuy.models import TeamMember
    from commerce.groupbuy.seat_payments import confirm_seat_payment
    from commerce.groupbuy.seats import take_seat
    from commerce.groupbuy.teams import SeatUnavailable
    from commerce.plugins.services import enable_plugin
    from commerce.store.selectors import online_outlet, store_settings
    from tenants.models import Merchant
    from tenants.services import open_shop

    merchant = Merchant.objects.filter(slug=SLUG).first() or (
        open_shop(
            shop_name="Group-buy HTTP bench",
            slug=SLUG,
            owner_email=f"owner@{SLUG}.test",
            owner_password_hash=make_password("bench-pass-2026"),
        ).merchant
    )
    Merchant.objects.filter(pk=merchant.pk).update(
        stripe_account_id=ACCOUNT, stripe_charges_enabled=True
    )
    merchant.refresh_from_db()
    with merchant:
        enable_plugin("groupbuy", actor="bench")
        # Seats are collected at the shop: pickup must be on (the seat form offers it only then).
        settings = store_settings()
        settings.local_pickup = True
        settings.save(update_fields=["local_pickup"])
        product, _ = Product.objects.get_or_create(
            slug=PRODUCT, defaults={"title": "Lychee", "is_published": True}
        )
        variant, _ = Variant.objects.get_or_create(
            sku="GBH-LYC", defaults={"product": product, "price": Decimal("50.00")}
        )
        Stock.objects.update_or_create(
            variant=variant, outlet=online_outlet(), defaults={"quantity": 10_000_000}
        )
        now = timezone.now()
        campaign = create_campaign(
            CampaignInput(
                name="HTTP bench",
                variant_id=variant.pk,
                group_price=Decimal("35.00"),
                team_size=TEAM_SIZE,
                team_window_hours=24,
                starts_at=now - timedelta(minutes=1),
                ends_at=now + timedelta(days=2),
            )
        )
        for number in range(max(SEED_SEATS - TeamMember.objects.count(), 0)):
            try:
                member = take_seat(
                    campaign_id=campaign.pk,
                    email=f"seed{number}@bench.test",
                    payment_method="pay_in_store",
                )
            except SeatUnavailable:
                continue
            confirm_seat_payment(member.pk)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        return campaign.pk


def start_fake_stripe():
    """The fake Stripe, with the one call the shopper's browser makes to it: confirming the
    PaymentIntent with its client secret (what Stripe.js does on the card form)."""
    from tests.fakes.stripe_server import FakeStripe, error, start

    class ShopperFacingStripe(FakeStripe):
        def routes(self):
            return [
                *super().routes(),
                (r"/v1/payment_intents/(pi_\w+)/confirm", "POST", self.confirm_intent),
            ]

        def confirm_intent(self, params, headers, intent_id):
            intent = self.intents.get(intent_id)
            if intent is None or params.get("client_secret") != intent["client_secret"]:
                return 404, error("resource_missing", f"No such payment_intent: '{intent_id}'")
            intent["status"] = "succeeded"
            intent["amount_received"] = intent["amount"]
            return 200, intent

    fake = ShopperFacingStripe()
    server, url = start(fake)
    return fake, server, url


def take_and_pay_one_seat(browser: Browser, stripe: requests.Session, stripe_url: str, number: int):
    """One shopper's seat, following the pages; 'paid', or 'refused' when the team they
    chose filled meanwhile."""
    product = browser.get(f"/p/{PRODUCT}/")
    teams = [link for link in product.links if "/groupbuy/t/" in link]
    page = browser.get(random.choice(teams)) if teams else product
    seat_form = page.find_form(field="email")
    if seat_form is None:
        return "refused"  # the team filled between the product page and its own page
    taken = browser.submit(
        page,
        seat_form,
        refusal_ok=True,
        email=f"http{number}-{random.randrange(10**9)}@bench.test",
    )
    if taken.status == 400:
        return "refused"
    secret = taken.data.get("data-client-secret", "")
    return_url = taken.data.get("data-return-url", "")
    if not secret or not return_url:
        raise RuntimeError(f"no card form after taking a seat: {taken.url}\n{taken.text[-800:]}")
    intent_id = re.match(r"(pi_\w+?)_secret_", secret).group(1)
    confirmed = stripe.post(
        f"{stripe_url}/v1/payment_intents/{intent_id}/confirm", data={"client_secret": secret}
    )
    confirmed.raise_for_status()
    team = browser.get(return_url)
    if "/groupbuy/t/" not in team.url:
        raise RuntimeError(f"the return page did not lead to the team: {team.url}")
    return "paid"


def seat_client(base: str, host: str, stripe_url: str, seconds: float, gate, results) -> None:
    browser = Browser(base, host)
    stripe = requests.Session()
    browser.new_shopper()
    browser.get("/bench/bare/")  # open the connection before the clock starts
    browser.requests = 0
    paid = refused = failed = 0
    first_error = ""
    deadline = wait_for_start(gate) + seconds
    while time.time() < deadline:
        browser.new_shopper()
        try:
            outcome = take_and_pay_one_seat(browser, stripe, stripe_url, paid + refused + failed)
        except Exception:  # counted and shown: the bench fails on any
            failed += 1
            first_error = first_error or traceback.format_exc(limit=3)
            continue
        if outcome == "paid":
            paid += 1
        else:
            refused += 1
    results.put(
        {
            "paid": paid,
            "refused": refused,
            "requests": browser.requests,
            "failed": failed,
            "error": first_error,
        }
    )


def seats_over_size(campaign_id: int) -> int:
    from django.db.models import F, Q

    from commerce.groupbuy.models import Team
    from tenants.models import Merchant

    with Merchant.objects.get(slug=SLUG):
        return Team.objects.filter(
            Q(seats_paid__gt=F("size")) | Q(seats_taken__gt=F("size")), campaign_id=campaign_id
        ).count()


def main() -> int:
    import _setup  # noqa: F401  (sets Django up, in this process only)
    from django.db import connection

    campaign_id = seed()
    connection.close()
    fake, fake_server, stripe_url = start_fake_stripe()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_gunicorn(
        port,
        {
            "STRIPE_API_BASE": stripe_url,
            "STRIPE_SECRET_KEY": "sk_test_bench_platform_key",
            "STRIPE_PUBLISHABLE_KEY": "pk_test_bench_platform_key",
        },
    )
    try:
        measured = measure_beside_bare(
            server,
            base,
            HOST,
            seat_client,
            (base, HOST, stripe_url),
            seconds=SECONDS,
            warm_up_seconds=WARM_UP_SECONDS,
        )
    finally:
        fake_server.shutdown()
    measured.print_errors("seat")
    paid, refused, failed = (measured.total(count) for count in ("paid", "refused", "failed"))
    over = seats_over_size(campaign_id)
    seats_per_s, per_seat, ratio = measured.ratio(paid)
    bare_rps = measured.bare_rps
    print(
        f"group-buy join-and-pay over HTTP ({CLIENTS} clients, teams of {TEAM_SIZE}, 2 sync workers): "
        f"{seats_per_s:.1f} paid seats/s ({refused} joins refused: team filled meanwhile), "
        f"{per_seat:.1f} requests a seat; bare view {bare_rps:.0f} req/s; "
        f"{len(fake.intents)} intents at the fake Stripe"
    )
    print(
        f"RESULT http_groupbuy_ratio={ratio:.2f} http_seats_per_s={seats_per_s:.1f} "
        f"requests_per_seat={per_seat:.1f} bare_rps={bare_rps:.0f} seats_over={over} "
        f"failed={failed}"
    )
    return 1 if failed or over or not paid else 0


if __name__ == "__main__":
    sys.exit(main())
