"""Group-buy's Celery wake-ups: a team's expiry, its next seat release, the notice run.

Each is sent after the commit that made it due (the caller's `transaction.on_commit`); the
tasks import this package, so they are imported here only when sent. The beat sweep
(`sweep.py`) catches any wake-up the broker lost.
"""

from __future__ import annotations

from datetime import datetime

from django.db import connection, transaction

from commerce.cache import key as cache_key
from core import cache_guard
from deadlines.services import note_due

# The shop's row in the public index of due shops (`deadlines.DueShop`): the earliest
# group-buy deadline of the shop, so the sweep visits only the shops with work due.
GROUPBUY_DEADLINE = "groupbuy"


def note_groupbuy_due(at: datetime) -> None:
    """In the transaction that sets a deadline: the current shop has group-buy work at `at`.

    Called only where a deadline can be the team's earliest (a team opened, a seat that
    starts its team's release chain): a later seat's window ends after the pending check,
    which is already in the index, so the hot join path adds no statement."""
    note_due(kind=GROUPBUY_DEADLINE, merchant_id=connection.tenant.pk, due_at=at)


def schedule_seat_release(team_id: int, at: datetime) -> None:
    from commerce.groupbuy.tasks import release_lapsed_seats_task

    release_lapsed_seats_task.apply_async(args=[team_id, at.isoformat()], eta=at)


def schedule_team_expiry(team_id: int, at: datetime) -> None:
    from commerce.groupbuy.tasks import expire_team_task

    expire_team_task.apply_async(args=[team_id], eta=at)


# After a notice is recorded, the shop's outbox is sent this soon by one task: the seats
# paid meanwhile add their notices to the same run instead of each sending a task.
NOTICE_BATCH_SECONDS = 1
# A run that never came (its message lost) stops holding the next one back after this.
NOTICE_RUN_FLAG_SECONDS = 60


def send_notices_soon() -> None:
    transaction.on_commit(_queue_notice_run)


def _queue_notice_run() -> None:
    from commerce.groupbuy.tasks import send_notices_task

    # Redis down (it is the broker too): no run now; the group-buy sweep sends the unsent
    # notices within five minutes.
    if cache_guard.add(_notice_run_flag(), 1, NOTICE_RUN_FLAG_SECONDS, when_unavailable=False):
        send_notices_task.apply_async(countdown=NOTICE_BATCH_SECONDS)


def _notice_run_flag() -> str:
    return cache_key("groupbuy-notice-run")


def allow_next_notice_run() -> None:
    """A run is starting: the notices committed from now on queue a run of their own."""
    cache_guard.delete(_notice_run_flag())
