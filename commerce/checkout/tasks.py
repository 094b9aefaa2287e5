from dataclasses import asdict

from celery import shared_task

from commerce.checkout import settlement


@shared_task(name="commerce.checkout.tasks.settle_checkout")
def settle_checkout(reference: str) -> str:
    """Runs in the shop's schema when a reservation runs out (the fast path: the deadline
    sweep settles the checkout if this message is lost). Safe to run twice."""
    return settlement.settle_checkout(reference)


@shared_task(name="commerce.checkout.tasks.sweep_due_checkouts")
def sweep_due_checkouts() -> dict:
    """Beat, platform level (sent from the public schema; it enters each due shop itself):
    settle every checkout whose settlement task was lost."""
    return asdict(settlement.sweep_due_checkouts())
