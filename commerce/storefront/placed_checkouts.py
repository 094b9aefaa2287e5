"""The checkouts placed in this browser, by their references.

A checkout's reference travels in URLs (Stripe's redirect back, browser history, server
logs), so knowing it must not be enough to open the card pay and return pages: only the
session that placed the checkout may. The order status page has its own secret token and
stays shareable, as the emailed link promises. Group-buy seats are bound the same way
(commerce/groupbuy/storefront.py, SESSION_SEATS).
"""

from django.contrib.sessions.backends.base import SessionBase
from django.db import connection

SESSION_CHECKOUTS = "storefront_checkout_references"
# A browser that placed more checkouts than this has long stopped paying for the oldest.
KEPT_CHECKOUTS = 50


def remember_checkout(session: SessionBase, reference: str) -> None:
    references = session.get(SESSION_CHECKOUTS, [])
    if reference not in references:
        session[SESSION_CHECKOUTS] = [*references[-(KEPT_CHECKOUTS - 1) :], reference]


def placed_here(session: SessionBase, reference: str) -> bool:
    return str(reference) in session.get(SESSION_CHECKOUTS, [])


def placed_elsewhere(session: SessionBase, reference: str) -> bool:
    """A reference another browser already placed: replaying its form must not hand this
    browser that checkout (placing is idempotent by reference)."""
    if placed_here(session, reference):
        return False
    with connection.cursor() as cursor:
        cursor.execute(_USED_SQL, [reference, reference])
        return cursor.fetchone()[0]


# One fixed statement for both tables: it is on every order placed, and compiling the ORM's
# union of the two cost more than the database's work.
_USED_SQL = """
    SELECT EXISTS (SELECT 1 FROM checkout_checkoutsession WHERE reference = %s::uuid)
        OR EXISTS (SELECT 1 FROM orders_order WHERE reference = %s::uuid)
"""
