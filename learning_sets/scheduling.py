"""Learning-set dates and London times. No Django imports: trivial to test and reuse.

`propose_year(year, weekday)` suggests the four learning sets of a year: one in
each quarter, near the middle of the quarter (the 15th of February, May, August
and November), on the preferred weekday where possible, nine to seventeen weeks
apart, never at a weekend or on an England and Wales bank holiday (from the
maintained `holidays` package).

`london_to_utc(day, at)` turns a date and a time entered in Europe/London into
an aware UTC datetime. A time the clocks skip (01:30 on the last Sunday of
March) raises `NonexistentTime`; a time that happens twice (01:30 on the last
Sunday of October) is taken at its first occurrence, in British Summer Time, and
`is_ambiguous` lets the caller say so.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays

LONDON = ZoneInfo("Europe/London")
MIDDLE_MONTHS = (2, 5, 8, 11)  # the middle month of each quarter
TARGET_DAY = 15
MIN_GAP = timedelta(weeks=9)
MAX_GAP = timedelta(weeks=17)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class NonexistentTime(ValueError):
    """A wall-clock time that does not happen in London (the spring clock change)."""


@cache
def bank_holidays(year: int) -> frozenset[date]:
    """England and Wales bank holidays in `year` (the two nations share one list; both are read)."""
    days: set[date] = set()
    for subdivision in ("ENG", "WLS"):
        days |= set(holidays.country_holidays("GB", subdiv=subdivision, years=year))
    return frozenset(days)


def bank_holiday_name(day: date) -> str | None:
    names = holidays.country_holidays("GB", subdiv="ENG", years=day.year)
    return names.get(day) or holidays.country_holidays("GB", subdiv="WLS", years=day.year).get(day)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in bank_holidays(day.year)


def quarter_bounds(year: int, quarter: int) -> tuple[date, date]:
    """First and last day of quarter 1 to 4."""
    first = date(year, 3 * quarter - 2, 1)
    last = date(year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1) - timedelta(days=1)
    return first, last


def _candidates(target: date, weekday: int) -> Iterator[date]:
    """The preferred weekday nearest the target, then a week later, a week earlier, and so on;
    then, should none of those do, every day outward from the target."""
    offset = (weekday - target.weekday()) % 7
    if offset > 3:
        offset -= 7
    nearest = target + timedelta(days=offset)
    yield nearest
    for weeks in range(1, 7):
        yield nearest + timedelta(weeks=weeks)
        yield nearest - timedelta(weeks=weeks)
    for days in range(1, 46):
        yield target + timedelta(days=days)
        yield target - timedelta(days=days)


def _fits(day: date, quarter: tuple[date, date], previous: date | None) -> bool:
    if not (quarter[0] <= day <= quarter[1]) or not is_working_day(day):
        return False
    return previous is None or MIN_GAP <= day - previous <= MAX_GAP


def propose_year(year: int, weekday: int) -> list[date]:
    """Four dates, one a quarter, on `weekday` (0 = Monday) where possible; see the module docstring."""
    if not 0 <= weekday <= 4:
        raise ValueError("Learning sets are never at a weekend: choose a weekday from Monday (0) to Friday (4).")
    proposed: list[date] = []
    for quarter, month in enumerate(MIDDLE_MONTHS, start=1):
        bounds = quarter_bounds(year, quarter)
        previous = proposed[-1] if proposed else None
        day = next((d for d in _candidates(date(year, month, TARGET_DAY), weekday) if _fits(d, bounds, previous)), None)
        if day is None:  # cannot happen for real calendars; say so rather than return three dates
            raise ValueError(f"No working day fits quarter {quarter} of {year}.")
        proposed.append(day)
    return proposed


def london_to_utc(day: date, at: time) -> datetime:
    """`day` at `at` on a London clock, as an aware UTC datetime; see the module docstring."""
    local = datetime.combine(day, at.replace(tzinfo=None))
    first = local.replace(tzinfo=LONDON, fold=0)
    if first.astimezone(UTC).astimezone(LONDON).replace(tzinfo=None) != local:
        raise NonexistentTime(
            f"{at:%H:%M} on {day.day} {day:%B %Y} does not exist in London: the clocks go forward an hour that night. "
            "Choose a time from 02:00."
        )
    return first.astimezone(UTC)


def is_ambiguous(day: date, at: time) -> bool:
    """True when `day` at `at` happens twice in London (the autumn clock change)."""
    local = datetime.combine(day, at.replace(tzinfo=None))
    return local.replace(tzinfo=LONDON, fold=0).utcoffset() != local.replace(tzinfo=LONDON, fold=1).utcoffset()


def to_london(moment: datetime) -> datetime:
    return moment.astimezone(LONDON)
