from dataclasses import asdict
from datetime import datetime

from celery import shared_task

from commerce.groupbuy.notices import send_notices
from commerce.groupbuy.sweep import sweep_all_groupbuy_shops, sweep_groupbuy_shops
from commerce.groupbuy.teams import expire_due_teams, expire_team, release_lapsed_seats


@shared_task(name="commerce.groupbuy.tasks.expire_team")
def expire_team_task(team_id: int) -> str:
    """Scheduled for each team's expiry, in its shop's schema; safe to run twice."""
    return expire_team(team_id)


@shared_task(name="commerce.groupbuy.tasks.expire_due_teams")
def expire_due_teams_task() -> dict[str, int]:
    """A shop's safety net: every open team past its time (batched, one transaction each)."""
    return expire_due_teams()


@shared_task(name="commerce.groupbuy.tasks.sweep_groupbuy_shops")
def sweep_groupbuy_shops_task() -> dict:
    """Beat, platform level (sent from the public schema, it enters each shop itself): the
    safety net behind the per-team ETA tasks, for the shops with group-buy work due."""
    return asdict(sweep_groupbuy_shops())


@shared_task(name="commerce.groupbuy.tasks.sweep_all_groupbuy_shops")
def sweep_all_groupbuy_shops_task() -> dict:
    """Beat, daily, platform level: the slow pass over every shop that ever ran group-buy,
    for work the index of due shops never heard of."""
    return asdict(sweep_all_groupbuy_shops())


@shared_task(name="commerce.groupbuy.tasks.release_lapsed_seats")
def release_lapsed_seats_task(team_id: int, scheduled_for: str | None = None) -> int:
    """At a seat's payment deadline: unpaid seats of the team go back (safe to run twice),
    and the task is scheduled again for the team's next unpaid seat."""
    return release_lapsed_seats(
        team_id,
        scheduled_for=datetime.fromisoformat(scheduled_for) if scheduled_for else None,
    )


@shared_task(name="commerce.groupbuy.tasks.send_notices")
def send_notices_task(*_sent_before_the_outbox) -> int:
    """Soon after a notice is recorded: the shop's unsent group-buy emails, in its schema.
    (Messages queued before the outbox carried the notice ids: they just run it too.)"""
    return send_notices()
