"""A stand-in for Stripe's HTTP API on 127.0.0.1 (the one network edge we cannot reach).

It answers the endpoints the product calls with objects shaped like Stripe's, honours
Idempotency-Key the way Stripe does (same key, same response) and records every request so
tests can assert what was sent. The real `stripe` library talks to it over HTTP.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl


@dataclass
class RecordedRequest:
    method: str
    path: str
    params: dict[str, str]
    idempotency_key: str | None
    stripe_account: str | None


@dataclass
class FakeStripe:
    requests: list[RecordedRequest] = field(default_factory=list)
    accounts: dict[str, dict] = field(default_factory=dict)
    intents: dict[str, dict] = field(default_factory=dict)
    refunds: dict[str, dict] = field(default_factory=dict)
    customers: dict[str, dict] = field(default_factory=dict)
    invoices: dict[str, dict] = field(default_factory=dict)
    invoice_payments_fail: bool = False
    idempotent: dict[tuple[str, str], dict] = field(default_factory=dict)
    charges_enabled_after_onboarding: bool = True
    # An outage: "unreachable" drops every connection unanswered (the library raises
    # APIConnectionError), "errors" answers every request 500; None serves. `down()`/`up()`.
    outage: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def down(self, how: str = "unreachable") -> None:
        self.outage = how

    def up(self) -> None:
        self.outage = None

    # -- routes ---------------------------------------------------------------------------
    def handle(self, method: str, path: str, params: dict, headers) -> tuple[int, dict]:
        key = headers.get("Idempotency-Key")
        with self.lock:
            self.requests.append(
                RecordedRequest(method, path, params, key, headers.get("Stripe-Account"))
            )
            if self.outage == "errors":
                return 500, {"error": {"type": "api_error", "message": "Stripe is down (fake)"}}
            if key and method == "POST" and (path, key) in self.idempotent:
                return 200, self.idempotent[(path, key)]
            for pattern, route_method, handler in self.routes():
                match = re.fullmatch(pattern, path)
                if match and route_method == method:
                    status, body = handler(params, headers, *match.groups())
                    if key and method == "POST" and status == 200:
                        self.idempotent[(path, key)] = body
                    return status, body
        return 404, error("resource_missing", f"No such route: {method} {path}")

    def routes(self):
        return [
            (r"/v1/accounts", "POST", self.create_account),
            (r"/v1/accounts/(acct_\w+)", "GET", self.retrieve_account),
            (r"/v1/account_links", "POST", self.create_account_link),
            (r"/v1/payment_intents", "POST", self.create_intent),
            (r"/v1/payment_intents/(pi_\w+)", "GET", self.retrieve_intent),
            (r"/v1/refunds", "POST", self.create_refund),
            (r"/v1/customers", "POST", self.create_customer),
            (r"/v1/invoices", "POST", self.create_invoice),
            (r"/v1/invoices/(in_\w+)", "GET", self.retrieve_invoice),
            (r"/v1/invoices/(in_\w+)/finalize", "POST", self.finalize_invoice),
            (r"/v1/invoices/(in_\w+)/pay", "POST", self.pay_invoice),
            (r"/v1/invoiceitems", "POST", self.create_invoice_item),
        ]

    def create_account(self, params, headers):
        account_id = f"acct_{secrets.token_hex(8)}"
        self.accounts[account_id] = {
            "id": account_id,
            "object": "account",
            "type": params.get("type", "express"),
            "email": params.get("email"),
            "country": params.get("country"),
            "charges_enabled": False,
            "payouts_enabled": False,
            "details_submitted": False,
            "created": int(time.time()),
        }
        return 200, self.accounts[account_id]

    def retrieve_account(self, params, headers, account_id):
        account = self.accounts.get(account_id)
        if account is None:
            return 404, error("resource_missing", f"No such account: '{account_id}'")
        return 200, account

    def create_account_link(self, params, headers):
        account_id = params.get("account", "")
        if account_id not in self.accounts:
            return 400, error("resource_missing", "No such account", param="account")
        # Onboarding happens on Stripe's pages; when the merchant returns it is done.
        self.accounts[account_id]["charges_enabled"] = self.charges_enabled_after_onboarding
        self.accounts[account_id]["details_submitted"] = True
        return 200, {
            "object": "account_link",
            "created": int(time.time()),
            "expires_at": int(time.time()) + 300,
            "url": f"https://connect.stripe.com/setup/e/{account_id}/{secrets.token_hex(6)}",
        }

    def create_intent(self, params, headers):
        intent_id = f"pi_{secrets.token_hex(12)}"
        metadata = {
            name[len("metadata[") : -1]: value
            for name, value in params.items()
            if name.startswith("metadata[")
        }
        self.intents[intent_id] = {
            "id": intent_id,
            "object": "payment_intent",
            "amount": int(params["amount"]),
            "amount_received": 0,
            "currency": params["currency"],
            "client_secret": f"{intent_id}_secret_{secrets.token_hex(8)}",
            "metadata": metadata,
            "status": "requires_payment_method",
            "on_behalf_of": None,
            "livemode": False,
            "created": int(time.time()),
            "_account": headers.get("Stripe-Account"),
        }
        return 200, self.intents[intent_id]

    def retrieve_intent(self, params, headers, intent_id):
        intent = self.intents.get(intent_id)
        if intent is None or intent["_account"] != headers.get("Stripe-Account"):
            return 404, error("resource_missing", f"No such payment_intent: '{intent_id}'")
        return 200, intent

    def create_refund(self, params, headers):
        intent = self.intents.get(params.get("payment_intent", ""))
        if intent is None:
            return 400, error("resource_missing", "No such payment_intent", "payment_intent")
        refund_id = f"re_{secrets.token_hex(12)}"
        self.refunds[refund_id] = {
            "id": refund_id,
            "object": "refund",
            "amount": int(params.get("amount", intent["amount_received"])),
            "currency": intent["currency"],
            "payment_intent": intent["id"],
            "status": "succeeded",
            "created": int(time.time()),
        }
        return 200, self.refunds[refund_id]

    # -- platform billing: customers and invoices on the platform account -----------------
    def create_customer(self, params, headers):
        customer_id = f"cus_{secrets.token_hex(7)}"
        self.customers[customer_id] = {
            "id": customer_id,
            "object": "customer",
            "email": params.get("email"),
            "name": params.get("name"),
            "metadata": metadata_of(params),
            "created": int(time.time()),
        }
        return 200, self.customers[customer_id]

    def create_invoice(self, params, headers):
        if params.get("customer") not in self.customers:
            return 400, error("resource_missing", "No such customer", "customer")
        invoice_id = f"in_{secrets.token_hex(12)}"
        self.invoices[invoice_id] = {
            "id": invoice_id,
            "object": "invoice",
            "customer": params["customer"],
            "currency": params.get("currency", "usd"),
            "collection_method": params.get("collection_method", "charge_automatically"),
            "status": "draft",
            "amount_due": 0,
            "amount_paid": 0,
            "lines": {"object": "list", "data": []},
            "metadata": metadata_of(params),
            "hosted_invoice_url": None,
            "created": int(time.time()),
        }
        return 200, self.invoices[invoice_id]

    def retrieve_invoice(self, params, headers, invoice_id):
        if invoice_id not in self.invoices:
            return 404, error("resource_missing", f"No such invoice: '{invoice_id}'")
        return 200, self.invoices[invoice_id]

    def create_invoice_item(self, params, headers):
        invoice = self.invoices.get(params.get("invoice", ""))
        if invoice is None:
            return 400, error("resource_missing", "No such invoice", "invoice")
        if invoice["status"] != "draft":
            return 400, error("invoice_not_editable", "This invoice is no longer editable")
        item = {
            "id": f"ii_{secrets.token_hex(10)}",
            "object": "invoiceitem",
            "amount": int(params["amount"]),
            "currency": params["currency"],
            "description": params.get("description"),
            "invoice": invoice["id"],
            "metadata": metadata_of(params),
        }
        invoice["lines"]["data"].append(item)
        invoice["amount_due"] += item["amount"]
        return 200, item

    def finalize_invoice(self, params, headers, invoice_id):
        invoice = self.invoices.get(invoice_id)
        if invoice is None:
            return 404, error("resource_missing", f"No such invoice: '{invoice_id}'")
        if invoice["status"] == "draft":
            invoice["status"] = "open"
            invoice["number"] = f"FAKE-{len(self.invoices):04d}"
            invoice["hosted_invoice_url"] = f"https://invoice.stripe.test/i/{invoice_id}"
        return 200, invoice

    def pay_invoice(self, params, headers, invoice_id):
        invoice = self.invoices.get(invoice_id)
        if invoice is None or invoice["status"] not in ("open", "paid"):
            return 400, error("invoice_not_open", "This invoice is not open")
        if self.invoice_payments_fail:
            return 402, {
                "error": {
                    "type": "card_error",
                    "code": "card_declined",
                    "message": "Your card was declined.",
                    "param": None,
                }
            }
        invoice["status"] = "paid"
        invoice["amount_paid"] = invoice["amount_due"]
        return 200, invoice

    # -- what tests do --------------------------------------------------------------------
    def pay(self, intent_id: str) -> dict:
        """The shopper completes the payment on Stripe's form."""
        intent = self.intents[intent_id]
        intent["status"] = "succeeded"
        intent["amount_received"] = intent["amount"]
        return intent

    def calls(self, method: str, path_prefix: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == method and r.path.startswith(path_prefix)]


def metadata_of(params: dict) -> dict:
    return {
        name[len("metadata[") : -1]: value
        for name, value in params.items()
        if name.startswith("metadata[")
    }


def error(code: str, message: str, param: str | None = None) -> dict:
    return {
        "error": {"type": "invalid_request_error", "code": code, "message": message, "param": param}
    }


def start(fake: FakeStripe) -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self, method: str) -> None:
            if fake.outage == "unreachable":
                self.close_connection = True  # hang up without a word, as a dead host would
                return
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            path, _sep, query = self.path.partition("?")
            params = dict(parse_qsl(body or query, keep_blank_values=True))
            status, payload = fake.handle(method, path, params, self.headers)
            data = json.dumps({k: v for k, v in payload.items() if not k.startswith("_")})
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Request-Id", f"req_{secrets.token_hex(7)}")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data.encode())

        def do_GET(self):
            self._answer("GET")

        def do_POST(self):
            self._answer("POST")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"
