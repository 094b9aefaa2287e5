"""The soak (issue 14): mixed traffic over HTTP against gunicorn (2 sync workers, persistent
DB connections) while a chaos loop kills what it can, then an account of everything.

Traffic, from `CLIENTS` forked browsers (bench/_soak_clients.py): storefront pages,
cash-on-delivery checkouts, card checkouts paid (or abandoned) through the fake Stripe of
tests/fakes/stripe_server.py, group-buy joins and seat payments, and the owner's console
(/manage/, /manage/orders/). Chaos, from this process: SIGKILL the Celery worker (its whole
process group) and start it again; kill -9 Redis (no persistence: queued wake-ups and ETA
tasks are lost, the sweeps must recover them) and start it again; crash PostgreSQL
(`pg_ctl stop -m immediate`) and start it again. Every server is the soak's own, on a free
port, with its data in a temporary folder: the shared 127.0.0.1:5432/6379 are never touched.

Afterwards the system settles: the beat sweeps are run by hand as the beat would run them
once every deadline has passed (settlement, team expiry, seat release, notices, outbox),
until nothing is pending. Then the account:
- lost: an order the shopper was told was placed that is missing; a PaymentIntent paid at
  "Stripe" with neither its order (or paid seat) nor its refund; a checkout, seat or team
  still holding stock past its deadline; a refund owed and never paid; an email the outbox
  marked sent that never reached the SMTP sink, or one left unsent;
- doubled: an order placed twice for one checkout; a paid intent with both its order and a
  refund; two refunds of one payment at Stripe; a team with more paid seats than its size;
  an email that reached the sink twice; a drifted ledger cell (the ledger vs. the orders,
  `commerce/orders/ledger_truth.find_drift`) counts here too (money counted wrong);
- 5xx outside outages: answers >= 500 (and dropped connections) outside the windows from a
  kill until the server answers again plus a grace.

Last line: `RESULT soak_lost=0 soak_doubled=0 soak_5xx_outside_outages=0 soak_requests=…
soak_5xx_in_outages=… soak_chaos=…`; exit 1 unless lost, doubled and 5xx-outside are 0.
Full size: 10 minutes of traffic. `BENCH_SCALE=smoke`: 40 s, one kill of each kind.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg
import requests
from _http import CLIENTS, PROJECT_DIR, free_port, run_clients
from _scale import sized
from _soak_clients import soak_client
from _soak_services import (
    PrivatePostgres,
    celery_worker,
    gunicorn,
    temp_root,
    wait_for,
)

from tests.private_redis import PrivateRedis

SLUG = "soak"
HOST = f"{SLUG}.localhost"
ACCOUNT = "acct_soakshop"
OWNER = (f"owner@{SLUG}.test", "soak-pass-2026")
GROUP_PRODUCT = "soak-lychee"
PRODUCTS = sized(20, 5)
TEAM_SIZE = 3
SECONDS = float(os.environ.get("SOAK_SECONDS") or sized(600, 40))
# Between two chaos events (smoke: one of each kind fits in the run).
CHAOS_PAUSE = sized((20.0, 40.0), (7.0, 9.0))
DOWN_FOR = (1.0, 3.0)
# An outage window ends this long after the server answers again (pools reconnect, a
# request already waiting on the dead server fails).
GRACE = 3.0
SETTLE_ROUNDS = 10


# -- the private world -----------------------------------------------------------------------
class SmtpSink:
    """A local SMTP server counting every message it receives by Message-ID, and every
    distinct Message-ID by what it says (recipients, subject, body)."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.by_message_id: Counter = Counter()
        self.contents: dict[str, tuple] = {}
        self.lock = threading.Lock()
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                import email

                parsed = email.message_from_bytes(envelope.content)
                body = parsed.get_payload(0) if parsed.is_multipart() else parsed
                content = (
                    tuple(sorted(envelope.rcpt_tos)),
                    str(parsed["Subject"]),
                    body.get_payload(decode=True),
                )
                with sink.lock:
                    sink.by_message_id[parsed["Message-ID"]] += 1
                    sink.contents[parsed["Message-ID"]] = content
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def redeliveries(self) -> int:
        """Copies of a message received again (the same Message-ID: a send repeated after a
        crash before the commit; one email to the reader)."""
        return sum(self.by_message_id.values()) - len(self.by_message_id)

    def doubles(self) -> int:
        """Different messages saying the same thing to the same people: an email written twice."""
        return len(self.contents) - len(set(self.contents.values()))

    def stop(self) -> None:
        self.controller.stop()


def create_database(postgres: PrivatePostgres) -> None:
    admin = postgres.url("postgres").replace("postgres://", "postgresql://", 1)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("CREATE DATABASE soak")


def postgres_answers(postgres: PrivatePostgres) -> bool:
    try:
        url = postgres.url("soak").replace("postgres://", "postgresql://", 1)
        with psycopg.connect(url, connect_timeout=1) as conn:
            conn.execute("SELECT 1")
        return True
    except psycopg.Error:
        return False


def redis_answers(redis_server: PrivateRedis) -> bool:
    import redis

    try:
        return redis.Redis.from_url(redis_server.url(), socket_timeout=1).ping()
    except redis.RedisError:
        return False


# -- seed ------------------------------------------------------------------------------------
def seed() -> list[str]:
    """The shop: cash on delivery and pickup, card payments on a connected account, the
    group-buy plugin with a running campaign (teams of three, no virtual members), products
    with plenty of stock, the owner able to log in."""
    from datetime import timedelta
    from decimal import Decimal

    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from commerce.catalog.models import Product, Stock, Variant
    from commerce.groupbuy.campaigns import CampaignInput, create_campaign
    from commerce.plugins.services import enable_plugin
    from commerce.store.selectors import online_outlet, store_settings
    from tenants.models import Merchant
    from tenants.services import open_shop

    merchant = open_shop(
        shop_name="Soak shop",
        slug=SLUG,
        owner_email=OWNER[0],
        owner_password_hash=make_password(OWNER[1]),
    ).merchant
    Merchant.objects.filter(pk=merchant.pk).update(
        stripe_account_id=ACCOUNT, stripe_charges_enabled=True
    )
    merchant.refresh_from_db()
    with merchant:
        settings = store_settings()
        settings.accepts_cash_on_delivery = True
        settings.local_pickup = True
        settings.save()
        outlet = online_outlet()
        for number in range(PRODUCTS):
            product = Product.objects.create(
                title=f"Soak tea {number}", slug=f"soak-{number:03d}", is_published=True
            )
            variant = Variant.objects.create(
                product=product, sku=f"SOAK-{number:03d}", price=Decimal("12.50")
            )
            Stock.objects.create(variant=variant, outlet=outlet, quantity=10_000_000)
        enable_plugin("groupbuy", actor="soak")
        product = Product.objects.create(title="Lychee", slug=GROUP_PRODUCT, is_published=True)
        variant = Variant.objects.create(product=product, sku="SOAK-LYC", price=Decimal("50.00"))
        Stock.objects.create(variant=variant, outlet=outlet, quantity=10_000_000)
        now = timezone.now()
        create_campaign(
            CampaignInput(
                name="Soak",
                variant_id=variant.pk,
                group_price=Decimal("35.00"),
                team_size=TEAM_SIZE,
                team_window_hours=24,
                starts_at=now - timedelta(minutes=1),
                ends_at=now + timedelta(days=2),
            )
        )
        return list(
            Product.objects.filter(slug__startswith="soak-0").values_list("slug", flat=True)
        )


# -- chaos -----------------------------------------------------------------------------------
class Chaos(threading.Thread):
    """Kills something at random every few seconds until told to stop; records each kill
    and, for the servers the web answers from, the window until it answers again."""

    def __init__(self, worker, redis_server, postgres) -> None:
        super().__init__(daemon=True)
        self.worker = worker
        self.redis_server = redis_server
        self.postgres = postgres
        self.stopping = threading.Event()
        self.windows: list[tuple[float, float, str]] = []
        self.events: Counter = Counter()
        self.error = ""

    def run(self) -> None:
        kinds = ["worker", "redis", "postgres"]
        random.shuffle(kinds)  # every kind at least once, in a random order
        try:
            while not self.stopping.wait(random.uniform(*CHAOS_PAUSE)):
                kind = kinds.pop(0) if kinds else random.choice(["worker", "redis", "postgres"])
                getattr(self, f"_{kind}")()
                self.events[kind] += 1
        except Exception as error:  # the soak fails: a server that does not come back
            self.error = f"{type(error).__name__}: {error}"

    def _worker(self) -> None:
        self.worker.kill()
        time.sleep(random.uniform(*DOWN_FOR))
        self.worker.start()

    def _redis(self) -> None:
        started = time.time()
        self.redis_server.kill()
        time.sleep(random.uniform(*DOWN_FOR))
        self.redis_server.start()
        wait_for(lambda: redis_answers(self.redis_server), seconds=30, what="Redis")
        self.windows.append((started, time.time() + GRACE, "redis"))

    def _postgres(self) -> None:
        started = time.time()
        self.postgres.crash()
        time.sleep(random.uniform(*DOWN_FOR))
        self.postgres.start()
        wait_for(lambda: postgres_answers(self.postgres), seconds=60, what="PostgreSQL")
        self.windows.append((started, time.time() + GRACE, "postgres"))


def in_window(moment: float, windows: list[tuple[float, float, str]]) -> bool:
    return any(start <= moment <= end for start, end, _kind in windows)


# -- settle and account ------------------------------------------------------------------------
def settle(later) -> dict[str, int]:
    """The beat's sweeps, run by hand as of `later` (every deadline past), until the outbox
    has nothing pending and nothing holds stock."""
    from django.db import close_old_connections

    from commerce.checkout.models import CheckoutSession, CheckoutStatus
    from commerce.checkout.settlement import sweep_due_checkouts
    from commerce.groupbuy.notices import send_notices
    from commerce.groupbuy.sweep import sweep_groupbuy_shops
    from outbox.models import MessageStatus, OutboxMessage
    from outbox.services import deliver_due_messages
    from tenants.models import Merchant

    merchant = Merchant.objects.get(slug=SLUG)
    rounds = 0
    while rounds < SETTLE_ROUNDS:
        rounds += 1
        close_old_connections()
        with merchant:
            send_notices()
        sweep_due_checkouts(now=later)
        sweep_groupbuy_shops(now=later)
        deliver_due_messages(now=later)
        with merchant:
            reserved = CheckoutSession.objects.filter(status=CheckoutStatus.RESERVED).count()
        pending = OutboxMessage.objects.filter(status=MessageStatus.PENDING).count()
        if not reserved and not pending:
            break
    return {"rounds": rounds}


def account(told: dict[str, list[str]], fake, sink: SmtpSink, later) -> tuple[Counter, Counter]:
    from datetime import timedelta

    from django.db.models import Count, F, Q
    from django.utils import timezone

    from commerce.checkout.models import CheckoutSession, CheckoutStatus
    from commerce.checkout.services import SETTLEMENT_GRACE
    from commerce.groupbuy.models import SeatStatus, Team, TeamMember, TeamStatus
    from commerce.orders.ledger_truth import find_drift
    from commerce.orders.models import Order
    from commerce.payments.models import Refund, RefundStatus
    from outbox.models import Channel, MessageStatus, OutboxMessage
    from tenants.models import Merchant

    lost: Counter = Counter()
    doubled: Counter = Counter()
    merchant = Merchant.objects.get(slug=SLUG)
    refunds_at_stripe = Counter(refund["payment_intent"] for refund in fake.refunds.values())
    for count in refunds_at_stripe.values():
        if count > 1:
            doubled["refunds_of_one_payment"] += count - 1
    with merchant:
        orders = Counter(
            str(reference) for reference in Order.objects.values_list("reference", flat=True)
        )
        for reference in told["placed"]:
            if orders[reference] == 0:
                lost["orders_told_placed"] += 1
            elif orders[reference] > 1:
                doubled["orders_told_placed"] += orders[reference] - 1
        for intent in fake.intents.values():
            if intent["status"] != "succeeded":
                continue
            metadata = intent["metadata"]
            refunded = refunds_at_stripe[intent["id"]]
            if "checkout_reference" in metadata:
                has_order = orders[metadata["checkout_reference"]] > 0
                if not has_order and not refunded:
                    lost["card_payments"] += 1
                elif has_order and refunded:
                    doubled["card_payment_ordered_and_refunded"] += 1
            elif "groupbuy_seat" in metadata:
                seat = TeamMember.objects.get(pk=metadata["groupbuy_seat"])
                kept = seat.status == SeatStatus.PAID and seat.team.status == TeamStatus.SUCCEEDED
                if not kept and not refunded:
                    lost["seat_payments"] += 1
                elif kept and refunded:
                    doubled["seat_paid_and_refunded"] += 1
        lost["checkouts_reserved_past_deadline"] += CheckoutSession.objects.filter(
            status=CheckoutStatus.RESERVED, reserved_until__lte=later - SETTLEMENT_GRACE
        ).count()
        lost["seats_held_past_deadline"] += TeamMember.objects.filter(
            status=SeatStatus.RESERVED, reserved_until__lte=later
        ).count()
        lost["teams_open_past_expiry"] += Team.objects.filter(
            status=TeamStatus.OPEN, expires_at__lte=later
        ).count()
        doubled["teams_over_size"] += Team.objects.filter(
            Q(seats_paid__gt=F("size")) | Q(seats_taken__gt=F("size"))
        ).count()
        doubled["teams_over_size"] += (
            Team.objects.annotate(paid=Count("members", filter=Q(members__status=SeatStatus.PAID)))
            .filter(paid__gt=F("size"))
            .count()
        )
        lost["refunds_owed_unpaid"] += Refund.objects.exclude(status=RefundStatus.SUCCEEDED).count()
        today = timezone.localdate(timezone=merchant_zone(merchant))
        drift = find_drift(merchant, today - timedelta(days=1), today + timedelta(days=1))
        doubled["ledger_cells_drifted"] += len(drift)
        print(
            "teams:",
            dict(Counter(Team.objects.values_list("status", flat=True))),
            "seats:",
            dict(Counter(TeamMember.objects.values_list("status", flat=True))),
        )
        for cell in drift[:10]:
            print(f"ledger drift: {cell}", file=sys.stderr)
    emails = OutboxMessage.objects.filter(channel=Channel.EMAIL)
    lost["emails_unsent"] += emails.exclude(status=MessageStatus.SENT).count()
    sent = list(
        emails.filter(status=MessageStatus.SENT).values_list("payload__message_id", flat=True)
    )
    lost["emails_never_received"] += sum(1 for mid in sent if mid not in sink.by_message_id)
    doubled["emails_received_twice"] += sum(
        sink.by_message_id[mid] - 1 for mid in set(sink.by_message_id) - set(sent)
    )
    doubled["emails_written_twice"] += sink.doubles()
    print(
        f"emails: {len(sent)} sent by the outbox, {len(sink.by_message_id)} received, "
        f"{sink.redeliveries()} copies received again (same Message-ID)"
    )
    return +lost, +doubled


def merchant_zone(merchant):
    from zoneinfo import ZoneInfo

    return ZoneInfo(merchant.timezone)


# -- main ------------------------------------------------------------------------------------
def main() -> int:
    root = temp_root()
    postgres = PrivatePostgres(root)
    postgres.start()
    create_database(postgres)
    redis_server = PrivateRedis()
    redis_server.start()
    sink = SmtpSink()
    from groupbuy_http import start_fake_stripe  # the shopper-facing fake Stripe

    fake, fake_server, stripe_url = start_fake_stripe()
    private = {
        "DATABASE_URL": postgres.url("soak"),
        "REDIS_URL": redis_server.url(),
        "CACHE_URL": redis_server.url(),
        "CELERY_BROKER_URL": redis_server.url(),
        "CELERY_QUEUE": "soak",
        "EMAIL_URL": f"smtp://127.0.0.1:{sink.port}",
        "STRIPE_API_BASE": stripe_url,
        "STRIPE_SECRET_KEY": "sk_test_soak_platform_key",
        "STRIPE_PUBLISHABLE_KEY": "pk_test_soak_platform_key",
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        "DEBUG": "false",
        "DB_CONN_MAX_AGE": "600",
        "BENCH_VIEWS": "true",
        "RATE_LIMIT_CLIENT_IP_HEADER": "HTTP_X_FORWARDED_FOR",
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(private)
    env = {**os.environ}
    worker = celery_worker(env, root / "worker.log")
    port = free_port()
    web = gunicorn(port, env, root / "gunicorn.log")
    base = f"http://127.0.0.1:{port}"
    try:
        started = time.time()
        subprocess.run(
            [sys.executable, "manage.py", "migrate_fast"],
            cwd=PROJECT_DIR,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        import _setup  # noqa: F401  (Django, on the private database)
        from django.db import connection

        products = seed()
        connection.close()
        print(f"private servers, database migrated and seeded in {time.time() - started:.0f} s")
        worker.start()
        web.start()
        wait_for(lambda: _answers(f"{base}/bench/bare/"), seconds=60, what="gunicorn")
        chaos = Chaos(worker, redis_server, postgres)
        traffic_started = time.time()
        chaos.start()
        clients = run_clients(
            soak_client,
            (base, HOST, stripe_url, products, GROUP_PRODUCT, OWNER),
            SECONDS,
        )
        chaos.stopping.set()
        chaos.join(timeout=120)
        print(f"traffic: {time.time() - traffic_started:.0f} s, chaos {dict(chaos.events)}")
        if chaos.error:
            print(f"chaos: {chaos.error}", file=sys.stderr)
            return 1
        # Everything is up again: let the worker take what was queued, then settle.
        for check, what in ((lambda: redis_answers(redis_server), "Redis"),):
            wait_for(check, seconds=30, what=what)
        if worker.popen.poll() is not None:
            worker.start()
        time.sleep(3)
        from datetime import timedelta

        from django.utils import timezone

        later = timezone.now() + timedelta(hours=25)
        settled = settle(later)
        worker.stop()
        web.stop()
        settle(later)
        told = {key: [] for key in ("placed", "intents_paid", "seats_paid", "abandoned")}
        outcomes: Counter = Counter()
        log: list[tuple[float, int, str]] = []
        for client in clients:
            for key in told:
                told[key] += client["told"][key]
            outcomes.update(client["outcomes"])
            log += client["log"]
            for error in client["errors"]:
                print(f"a failed flow:\n{error}", file=sys.stderr)
        lost, doubled = account(told, fake, sink, later)
    finally:
        web.stop()
        worker.stop()
        fake_server.shutdown()
        sink.stop()
        redis_server.kill()
        postgres.stop()
    windows = chaos.windows
    failures = [
        (moment, status, path) for moment, status, path in log if status >= 500 or status == 0
    ]
    outside = [entry for entry in failures if not in_window(entry[0], windows)]
    for moment, status, path in outside[:10]:
        print(f"5xx outside an outage: {status} {path} at {moment:.1f}", file=sys.stderr)
    print(f"chaos events at {[(kind, round(start, 1)) for start, _end, kind in windows]}")
    by_kind = Counter(
        next((kind for start, end, kind in windows if start <= moment <= end), "outside")
        for moment, _status, _path in failures
    )
    print(f"5xx and dropped connections by window: {dict(by_kind)}")
    print(f"flows: {dict(sorted(outcomes.items()))}; settled in {settled['rounds']} sweep rounds")
    print(
        f"told placed {len(told['placed'])}, card/seat payments {len(told['intents_paid'])}, "
        f"seats paid {len(told['seats_paid'])}, abandoned {len(told['abandoned'])}; "
        f"refunds at Stripe {len(fake.refunds)}; outage windows "
        f"{[(kind, round(end - start, 1)) for start, end, kind in windows]}"
    )
    if lost:
        print(f"lost: {dict(lost)}", file=sys.stderr)
    if doubled:
        print(f"doubled: {dict(doubled)}", file=sys.stderr)
    print(
        f"RESULT soak_lost={sum(lost.values())} soak_doubled={sum(doubled.values())} "
        f"soak_5xx_outside_outages={len(outside)} soak_requests={len(log)} "
        f"soak_5xx_in_outages={len(failures) - len(outside)} "
        f"soak_chaos={sum(chaos.events.values())} soak_email_redeliveries={sink.redeliveries()} "
        f"soak_clients={CLIENTS}"
    )
    failed = bool(sum(lost.values()) or sum(doubled.values()) or outside)
    if failed:
        print(f"logs and data kept in {root}", file=sys.stderr)
    else:
        shutil.rmtree(root, ignore_errors=True)
    return 1 if failed else 0


def _answers(url: str) -> bool:
    try:
        return requests.get(url, headers={"Host": HOST}, timeout=5).ok
    except requests.RequestException:
        return False


if __name__ == "__main__":
    sys.exit(main())
