"""UK local time for things that happen on a day: no Django import.

People are reminded "on the 15th" or "on Monday morning" in UK time, while the
database and Celery beat work in UTC. These helpers turn a UK day and time into
the UTC instant it is, right across the clock changes (last Sunday of March,
01:00 GMT becomes 02:00 BST; last Sunday of October, 02:00 BST becomes 01:00 GMT):

- a time that does not exist (01:30 on the March change day) is read with the
  offset before the change, so it lands an hour later on the clock (02:30 BST);
- a time that happens twice (01:30 on the October change day) is the first one (BST).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
REMINDER_TIME = time(8, 0)  # reminders go out at 08:00 UK time on their day


def london(day: date, at: time = REMINDER_TIME) -> datetime:
    """The UTC instant of `at` UK time on `day`."""
    return datetime.combine(day, at, tzinfo=LONDON).astimezone(UTC)


def london_date(instant: datetime) -> date:
    """The UK calendar day an aware instant falls on."""
    return instant.astimezone(LONDON).date()


def week_start(instant: datetime, at: time = REMINDER_TIME) -> datetime:
    """The latest Monday `at` UK time at or before `instant` (in UTC)."""
    day = london_date(instant)
    monday = london(day - timedelta(days=day.weekday()), at)
    return monday if monday <= instant else london(day - timedelta(days=day.weekday() + 7), at)


def month_start(instant: datetime, at: time = REMINDER_TIME) -> datetime:
    """The latest 1st of a month `at` UK time at or before `instant` (in UTC)."""
    day = london_date(instant)
    first = london(day.replace(day=1), at)
    if first <= instant:
        return first
    previous = (day.replace(day=1) - timedelta(days=1)).replace(day=1)
    return london(previous, at)
