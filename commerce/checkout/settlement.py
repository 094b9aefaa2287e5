"""Settling checkouts at the end of their reservation, from the ETA task or the sweep.

A reservation's end is a row: `CheckoutSession.reserved_until` of a reserved checkout, and
the shop's entry in the public `deadlines.DueShop` index (written when the stock was
reserved). The `settle_checkout` task queued for that moment is only the fast path: when
the broker loses it (Redis restarted without persistence, a queue purged), the beat sweep
finds the shop in the index and settles its due checkouts with the same function. Settling
is idempotent: a checkout settles once, whichever gets there first.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Min
from django.utils import timezone

from commerce.checkout.models import CheckoutSession, CheckoutStatus
from commerce.checkout.services import SETTLEMENT_DEADLINE, SETTLEMENT_GRACE, release_reservation
from commerce.payments.webhooks import finalize_from_stripe
from deadlines.services import due_merchant_ids, reschedule
from tenants.models import Merchant

logger = logging.getLogger(__name__)

# Checkouts settled per shop and run, and shops per run: one shop's backlog (or a fleet-wide
# outage's) is worked off over a few runs instead of holding up one for ever.
CHECKOUT_BATCH = 200
SHOP_BATCH = 500


def settle_checkout(reference: str, *, now: datetime | None = None) -> str:
    """Finalize a checkout that was paid but never finalized (webhook lost, shopper closed
    the tab), else give its stock back once its reservation is over. Safe to run twice:
    "finalized", "released", "nothing to do", or Stripe's status of a payment still open."""
    now = now or timezone.now()
    session = CheckoutSession.objects.filter(reference=reference).first()
    if session is None or session.status != CheckoutStatus.RESERVED:
        return "nothing to do"
    status, order = finalize_from_stripe(session)
    if order is not None:
        return "finalized"
    if session.reserved_until < now and release_reservation(session.pk, now=now):
        return "released"
    return status


@dataclass
class ShopSettlement:
    """What one shop's run did: outcome -> checkouts, and the references that raised."""

    outcomes: dict[str, int] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)


def settle_due_checkouts(*, now: datetime, batch_size: int = CHECKOUT_BATCH) -> ShopSettlement:
    """Every checkout of the current shop whose settlement is due by `now`, each on its own
    (one Stripe failure leaves that checkout reserved for the next run and stops no other)."""
    due = (
        CheckoutSession.objects.filter(
            status=CheckoutStatus.RESERVED, reserved_until__lte=now - SETTLEMENT_GRACE
        )
        .order_by("reserved_until", "pk")
        .values_list("reference", flat=True)[:batch_size]
    )
    run = ShopSettlement()
    for reference in list(due):
        try:
            outcome = settle_checkout(str(reference), now=now)
        except Exception:
            logger.exception("Settling checkout %s failed; the next sweep retries it", reference)
            run.failed.append(str(reference))
            continue
        run.outcomes[outcome] = run.outcomes.get(outcome, 0) + 1
    return run


def next_settlement_due() -> datetime | None:
    """When the current shop's next settlement falls due (None: nothing is reserved)."""
    earliest = CheckoutSession.objects.filter(status=CheckoutStatus.RESERVED).aggregate(
        earliest=Min("reserved_until")
    )["earliest"]
    return None if earliest is None else earliest + SETTLEMENT_GRACE


@dataclass(frozen=True)
class SweepOutcome:
    shops_swept: int
    shops_failed: int
    outcomes: dict[str, int]
    checkouts_failed: int


def sweep_due_checkouts(
    now: datetime | None = None, *, shop_batch: int = SHOP_BATCH
) -> SweepOutcome:
    """Platform level: settle the due checkouts of every shop the public index names as due,
    and record each shop's next due time. Shops with nothing due are not visited."""
    now = now or timezone.now()
    due_ids = due_merchant_ids(kind=SETTLEMENT_DEADLINE, now=now, limit=shop_batch)
    merchants = Merchant.objects.in_bulk(due_ids)
    swept = failed_shops = failed_checkouts = 0
    outcomes: dict[str, int] = {}
    for merchant_id in due_ids:
        merchant = merchants.get(merchant_id)
        if merchant is None:  # the shop is gone: so are its deadlines
            reschedule(kind=SETTLEMENT_DEADLINE, merchant_id=merchant_id, next_due=lambda: None)
            continue
        try:
            with merchant:
                run = settle_due_checkouts(now=now)
                reschedule(
                    kind=SETTLEMENT_DEADLINE, merchant_id=merchant.pk, next_due=next_settlement_due
                )
        except Exception:
            logger.exception("Checkout settlement sweep failed for shop %s", merchant.slug)
            failed_shops += 1
            continue
        swept += 1
        failed_checkouts += len(run.failed)
        for outcome, count in run.outcomes.items():
            outcomes[outcome] = outcomes.get(outcome, 0) + count
    return SweepOutcome(
        shops_swept=swept,
        shops_failed=failed_shops,
        outcomes=outcomes,
        checkouts_failed=failed_checkouts,
    )
