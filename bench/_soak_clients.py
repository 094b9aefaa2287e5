"""The soak's shoppers and its owner: forked client processes, Django-free (only `_http`
and `requests`), each running a bounded loop of mixed traffic against 127.0.0.1 and
reporting what it was told and every answer's status and time.

What a client was told is what the accounting checks afterwards:
- `placed`: checkout references whose order page the shopper reached (cash on delivery, or
  card after the return page);
- `intents_paid`: PaymentIntents the shopper confirmed at "Stripe" (money taken: the shop
  owes an order or a refund for each, whatever the return page answered);
- `seats_paid`: group-buy seats the return page confirmed (the team page was reached).
"""

from __future__ import annotations

import functools
import random
import re
import time
import traceback

import requests
from _http import Browser, Page, wait_for_start

REQUEST_TIMEOUT = 20
# A shopper who paid comes back to the return page until it answers (a reload), bounded.
RETURN_TRIES = 15
RETURN_PAUSE = 2.0


class SoakBrowser(Browser):
    """A shopper whose every answer (and every connection failure, as status 0) is logged
    with its time, with a timeout on each request (a stuck server must not stop the soak)."""

    def __init__(self, base: str, host: str, log: list[tuple[float, int, str]]):
        super().__init__(base, host)
        self.log = log
        self.session.request = functools.partial(self.session.request, timeout=REQUEST_TIMEOUT)
        self.session.hooks["response"].append(self._record)

    def _record(self, response: requests.Response, *args, **kwargs):
        path = response.request.path_url if response.request is not None else ""
        self.log.append((time.time(), response.status_code, path))

    def failed_to_connect(self, error: Exception) -> None:
        self.log.append((time.time(), 0, type(error).__name__))


def _checkout(browser: Browser, product_slug: str) -> tuple[Page, dict]:
    product = browser.get(f"/p/{product_slug}/")
    cart = browser.submit(product, product.form(action_contains="/cart/add/"), quantity="1")
    checkout_link = next(link for link in cart.links if link.rstrip("/").endswith("/checkout"))
    checkout = browser.get(checkout_link)
    return checkout, checkout.form(field="reference")


def cash_on_delivery(browser: Browser, product_slug: str, told: dict) -> None:
    checkout, form = _checkout(browser, product_slug)
    placed = browser.submit(
        checkout,
        form,
        contact_name="Soak shopper",
        email=f"cod-{random.randrange(10**9)}@soak.test",
        shipping_method="pickup",
        payment_method="cash_on_delivery",
    )
    if "/orders/" not in placed.url:
        raise RuntimeError(f"no order page after a cash-on-delivery checkout: {placed.url}")
    told["placed"].append(form["fields"]["reference"])


def _confirm_at_stripe(stripe: requests.Session, stripe_url: str, page: Page) -> str:
    """What Stripe.js does on the card form: confirm the intent with its client secret."""
    secret = page.data.get("data-client-secret", "")
    if not secret:
        raise RuntimeError(f"no card form: {page.url}\n{page.text[-500:]}")
    intent_id = re.match(r"(pi_\w+?)_secret_", secret).group(1)
    confirmed = stripe.post(
        f"{stripe_url}/v1/payment_intents/{intent_id}/confirm",
        data={"client_secret": secret},
        timeout=REQUEST_TIMEOUT,
    )
    confirmed.raise_for_status()
    return intent_id


def _come_back(browser: SoakBrowser, return_url: str, arrived_at: str) -> Page:
    """The return page, reloaded while the shop is down (each try's answer is logged)."""
    for attempt in range(RETURN_TRIES):
        try:
            page = browser.get(return_url)
            if arrived_at in page.url:
                return page
        except (RuntimeError, requests.RequestException) as error:
            if isinstance(error, requests.RequestException):
                browser.failed_to_connect(error)
            if attempt == RETURN_TRIES - 1:
                raise
        time.sleep(RETURN_PAUSE)
    raise RuntimeError(f"the return page never led to {arrived_at}: {return_url}")


def card(browser, product_slug, stripe, stripe_url, told, *, pay: bool) -> None:
    checkout, form = _checkout(browser, product_slug)
    paying = browser.submit(
        checkout,
        form,
        contact_name="Soak card shopper",
        email=f"card-{random.randrange(10**9)}@soak.test",
        shipping_method="pickup",
        payment_method="stripe",
    )
    if not pay:  # the shopper closes the tab: the reservation runs out
        told["abandoned"].append(form["fields"]["reference"])
        return
    told["intents_paid"].append(_confirm_at_stripe(stripe, stripe_url, paying))
    _come_back(browser, paying.data["data-return-url"], "/orders/")
    told["placed"].append(form["fields"]["reference"])


def group_buy(browser, product_slug, stripe, stripe_url, told) -> None:
    product = browser.get(f"/p/{product_slug}/")
    teams = [link for link in product.links if "/groupbuy/t/" in link]
    page = browser.get(random.choice(teams)) if teams else product
    seat_form = page.find_form(field="email")
    if seat_form is None:
        return  # the team filled between the product page and its own page
    taken = browser.submit(
        page, seat_form, refusal_ok=True, email=f"gb-{random.randrange(10**9)}@soak.test"
    )
    if taken.status == 400:
        return  # refused: the team filled meanwhile
    intent_id = _confirm_at_stripe(stripe, stripe_url, taken)
    told["intents_paid"].append(intent_id)
    _come_back(browser, taken.data["data-return-url"], "/groupbuy/t/")
    told["seats_paid"].append(intent_id)


def browse(browser, product_slugs) -> None:
    home = browser.get("/")
    for link in [link for link in home.links if link.startswith("/c/")][:1]:
        browser.get(link)
    browser.get(f"/p/{random.choice(product_slugs)}/")


def console(browser: SoakBrowser, owner: tuple[str, str]) -> None:
    overview = browser.get("/manage/")
    if "/accounts/login/" in overview.url:
        overview = browser.submit(
            overview, overview.form(field="password"), username=owner[0], password=owner[1]
        )
    if "/manage/" not in overview.url:
        raise RuntimeError(f"the owner did not reach /manage/: {overview.url}")
    browser.get("/manage/orders/")


def soak_client(
    base, host, stripe_url, products, group_product, owner, seconds, gate, results
) -> None:
    log: list[tuple[float, int, str]] = []
    browser = SoakBrowser(base, host, log)
    owner_browser = SoakBrowser(base, host, log)
    owner_browser.new_shopper()
    stripe = requests.Session()
    stripe.trust_env = False
    told = {"placed": [], "intents_paid": [], "seats_paid": [], "abandoned": []}
    outcomes: dict[str, int] = {}
    errors: list[str] = []
    flows = [
        ("browse", 4, lambda: browse(browser, products)),
        ("cod", 3, lambda: cash_on_delivery(browser, random.choice(products), told)),
        (
            "card",
            2,
            lambda: card(browser, random.choice(products), stripe, stripe_url, told, pay=True),
        ),
        (
            "card_abandoned",
            1,
            lambda: card(browser, random.choice(products), stripe, stripe_url, told, pay=False),
        ),
        ("groupbuy", 3, lambda: group_buy(browser, group_product, stripe, stripe_url, told)),
        ("console", 1, lambda: console(owner_browser, owner)),
    ]
    names = [name for name, _weight, _flow in flows]
    weights = [weight for _name, weight, _flow in flows]
    deadline = wait_for_start(gate) + seconds
    # Bounded in time and in count.
    for _ in range(100_000):
        if time.time() >= deadline:
            break
        browser.new_shopper()
        name = random.choices(names, weights)[0]
        flow = dict((n, f) for n, _w, f in flows)[name]
        try:
            flow()
            outcomes[name] = outcomes.get(name, 0) + 1
        except requests.RequestException as error:
            browser.failed_to_connect(error)
            outcomes[f"{name}_failed"] = outcomes.get(f"{name}_failed", 0) + 1
            time.sleep(0.5)  # the shop is down: a shopper does not hammer it
        except Exception:
            outcomes[f"{name}_failed"] = outcomes.get(f"{name}_failed", 0) + 1
            if len(errors) < 5:
                errors.append(traceback.format_exc(limit=3)[-1500:])
            time.sleep(0.5)
    results.put({"log": log, "told": told, "outcomes": outcomes, "errors": errors})
