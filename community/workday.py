"""When a question is due: the platform answers in two rounds each working day (settings
COMMUNITY_*, in COMMUNITY_TIMEZONE).

- asked on a working day before the day starts → by that morning's cut-off;
- asked during the day, up to the last intake → by the end of that working day;
- asked later, or on a day off → by the next working day's morning cut-off.
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def _clock(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def _at(day, clock: str, zone) -> datetime:
    return datetime.combine(day, _clock(clock), tzinfo=zone)


def _is_workday(day) -> bool:
    return day.isoweekday() in settings.COMMUNITY_WORKDAYS


def answer_due(asked_at: datetime) -> datetime:
    zone = zoneinfo.ZoneInfo(settings.COMMUNITY_TIMEZONE)
    local = asked_at.astimezone(zone)
    day = local.date()
    if _is_workday(day):
        if local < _at(day, settings.COMMUNITY_WORKDAY_START, zone):
            return _at(day, settings.COMMUNITY_MORNING_CUTOFF, zone)
        if local <= _at(day, settings.COMMUNITY_LAST_INTAKE, zone):
            return _at(day, settings.COMMUNITY_EVENING_CUTOFF, zone)
    for _ in range(7):
        day += timedelta(days=1)
        if _is_workday(day):
            return _at(day, settings.COMMUNITY_MORNING_CUTOFF, zone)
    raise ImproperlyConfigured("COMMUNITY_WORKDAYS names no day of the week (1-7)")
