"""Outbound webhooks end to end: 10,000 events across 100 shops, each written in its own
business transaction (events.emit → event, delivery and outbox rows), delivered after the
commit by four outbox runs in parallel processes (FOR UPDATE SKIP LOCKED) to a local HTTP
receiver (its own process) that checks every signature with the `standardwebhooks`
library.

Lag is from the event's commit to its arrival at the receiver. Lost: events never received;
doubled: a webhook-id received more than once (each attempt exactly once: nothing is
retried here, the receiver answers 200).

Last line: `RESULT webhook_deliveries_per_s=… webhook_p95_lag_ms=… webhook_lost=0
webhook_doubled=0`. Smoke: 5 shops, 100 events.
"""

import multiprocessing
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

# The receiver is on 127.0.0.1: the bench lets webhooks go there (never set in production).
os.environ["WEBHOOK_ALLOW_LOOPBACK"] = "true"
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _setup import percentile, sized

SHOPS = sized(100, 5)
EVENTS = sized(10_000, 100)
SENDERS = 4
PREFIX = "benchhook"


def receive(port_queue, arrivals, secrets: dict[str, str]) -> None:
    """The receiving server (its own process): verify, record (id, arrival, emitted)."""
    from standardwebhooks.webhooks import Webhook

    verifiers = {path: Webhook(secret) for path, secret in secrets.items()}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {key.lower(): value for key, value in self.headers.items()}
            try:
                event = verifiers[self.path].verify(body, headers)
                arrivals.put((headers["webhook-id"], time.time(), event["data"]["emitted_at"]))
                status = 200
            except Exception:
                arrivals.put(("BAD-SIGNATURE", time.time(), 0.0))
                status = 400
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    port_queue.put(server.server_address[1])
    server.serve_forever()


def seed(port: int) -> list:
    """SHOPS shops with one endpoint each (to this run's receiver, product.updated)."""
    from _setup import ensure_merchants
    from django.db import connection

    from commerce.developers.models import WebhookEndpoint
    from commerce.developers.services import EndpointInput, create_endpoint
    from tenants.models import Merchant

    ensure_merchants(SHOPS, prefix=PREFIX)
    merchants = list(Merchant.objects.exclude(schema_name="public").order_by("id")[:SHOPS])
    for merchant in merchants:
        with merchant:
            WebhookEndpoint.objects.all().delete()
            create_endpoint(
                EndpointInput(
                    url=f"http://127.0.0.1:{port}/{merchant.schema_name}",
                    event_types=["product.updated"],
                ),
                actor="bench",
            )
    connection.set_schema_to_public()
    return merchants


def sender(producer_done, sent_counter, ready) -> None:
    """One outbox delivery run after another until the producer is done and nothing is due."""
    from outbox.services import deliver_due_messages

    deliver_due_messages()  # connected and warm before the clock starts
    with ready.get_lock():
        ready.value += 1
    while True:
        result = deliver_due_messages()
        with sent_counter.get_lock():
            sent_counter.value += result.sent
        if result.sent == 0 and result.retrying == 0:
            if producer_done.is_set():
                # One more run: whatever committed just before the flag was set.
                if deliver_due_messages().sent == 0:
                    return
            else:
                time.sleep(0.05)


def produce(merchants) -> set[str]:
    """EVENTS events, round-robin over the shops, each in its own transaction."""
    from django.db import connection, transaction

    from commerce.developers.events import emit
    from commerce.developers.models import EventType, WebhookEvent

    ids: set[str] = set()
    for index in range(EVENTS):
        connection.set_tenant(merchants[index % len(merchants)])
        with transaction.atomic():
            emit(EventType.PRODUCT_UPDATED, {"id": index, "emitted_at": time.time()})
            ids.add(WebhookEvent.objects.order_by("-id").values_list("event_id", flat=True)[0])
    connection.set_schema_to_public()
    return ids


def main() -> None:
    from django.db import connections

    from commerce.developers.events import forget_subscriptions
    from commerce.developers.models import WebhookEndpoint
    from outbox.models import Channel, MessageStatus, OutboxMessage

    # Spawned, not forked: each child sets Django up afresh (no shared database or Redis
    # sockets with this process).
    context = multiprocessing.get_context("spawn")
    port_queue, arrivals = context.Queue(), context.Queue()
    # Clear what an earlier run left pending (its receiver is gone).
    OutboxMessage.objects.filter(channel=Channel.WEBHOOK, status=MessageStatus.PENDING).update(
        status=MessageStatus.FAILED
    )
    # The receiver needs each shop's secret: seed with a placeholder port first.
    merchants = seed(port=9)
    secrets = {}
    for merchant in merchants:
        with merchant:
            secrets[f"/{merchant.schema_name}"] = WebhookEndpoint.objects.get().secret
    connections.close_all()
    receiver = context.Process(target=receive, args=(port_queue, arrivals, secrets), daemon=True)
    receiver.start()
    port = port_queue.get(timeout=30)
    for merchant in merchants:
        with merchant:
            WebhookEndpoint.objects.update(url=f"http://127.0.0.1:{port}/{merchant.schema_name}")
            forget_subscriptions()
    connections.close_all()

    producer_done = context.Event()
    sent_counter, ready = context.Value("i", 0), context.Value("i", 0)
    senders = [
        context.Process(target=sender, args=(producer_done, sent_counter, ready))
        for _ in range(SENDERS)
    ]
    for process in senders:
        process.start()
    while ready.value < SENDERS:
        time.sleep(0.05)
    started = time.time()
    expected = produce(merchants)
    produced = time.time()
    producer_done.set()
    for process in senders:
        process.join(timeout=600)
    finished = time.time()

    received: list[tuple[str, float, float]] = []
    while len(received) < sent_counter.value or not arrivals.empty():
        try:
            received.append(arrivals.get(timeout=5))
        except Exception:
            break
    receiver.terminate()

    ids = [event_id for event_id, _arrived, _emitted in received]
    lags = [(arrived - emitted) * 1000 for _id, arrived, emitted in received if emitted]
    lost = len(expected - set(ids))
    doubled = len(ids) - len(set(ids))
    bad = ids.count("BAD-SIGNATURE")
    rate = len(ids) / (finished - started)
    print(
        f"shops={len(merchants)} events={EVENTS} senders={SENDERS} received={len(ids)} bad_signatures={bad}"
    )
    print(f"elapsed_s={finished - started:.1f} producing_s={produced - started:.1f}")
    print(
        f"RESULT webhook_deliveries_per_s={rate:.0f} "
        f"webhook_p95_lag_ms={percentile(lags, 0.95) if lags else 0:.0f} "
        f"webhook_lost={lost} webhook_doubled={doubled}"
    )
    if lost or doubled or bad:
        sys.exit(1)


if __name__ == "__main__":
    main()
