"""Collection periods: weekly (from Monday), monthly (from the 1st), quarterly (from 1 Jan, Apr, Jul, Oct)."""

from datetime import date, timedelta

QUARTER_MONTHS = (1, 4, 7, 10)


def problem(frequency: str, day: date) -> str | None:
    """Why `day` cannot start a period of this frequency, or None when it can."""
    if frequency == "monthly" and day.day != 1:
        return f"a monthly period starts on the 1st: use {day.replace(day=1).isoformat()}"
    if frequency == "quarterly" and (day.day != 1 or day.month not in QUARTER_MONTHS):
        start = date(day.year, QUARTER_MONTHS[(day.month - 1) // 3], 1)
        return f"a quarterly period starts on 1 January, April, July or October: use {start.isoformat()}"
    if frequency == "weekly" and day.weekday() != 0:
        monday = day - timedelta(days=day.weekday())
        return f"a weekly period starts on a Monday: use {monday.isoformat()}"
    return None


def step(frequency: str, day: date, n: int = 1) -> date:
    if frequency == "weekly":
        return day + timedelta(weeks=n)
    months = 3 * n if frequency == "quarterly" else n
    index = day.month - 1 + months
    return date(day.year + index // 12, index % 12 + 1, 1)


def series(frequency: str, first: date, last: date) -> list[date]:
    """Every period start from `first` to `last` inclusive: missing periods become visible gaps."""
    days, current = [], first
    while current <= last:
        days.append(current)
        current = step(frequency, current)
    return days


def current_start(frequency: str, today: date) -> date:
    if frequency == "weekly":
        return today - timedelta(days=today.weekday())
    if frequency == "quarterly":
        return date(today.year, QUARTER_MONTHS[(today.month - 1) // 3], 1)
    return today.replace(day=1)


def label(frequency: str, day: date) -> str:
    if frequency == "weekly":
        return f"w/c {day:%d %b %Y}"
    if frequency == "quarterly":
        return f"Q{(day.month - 1) // 3 + 1} {day.year}"
    return f"{day:%b %Y}"


YEARS_BEFORE_START = 5  # data may reach back this far before the collaborative started, for a baseline


def bounds(frequency: str, started: date, today: date) -> tuple[date, date]:
    """The first and last period a data point may have.

    From the period holding the day five years before the collaborative
    started, to the current period: no future periods.
    """
    try:
        earliest = started.replace(year=started.year - YEARS_BEFORE_START)
    except ValueError:  # 29 February
        earliest = started.replace(year=started.year - YEARS_BEFORE_START, day=28)
    return current_start(frequency, earliest), current_start(frequency, today)


def outside(frequency: str, day: date, started: date, today: date) -> str | None:
    """Why `day` is outside the periods a data point may have, or None when it is inside."""
    first, last = bounds(frequency, started, today)
    if first <= day <= last:
        return None
    return (
        f"the period must be between {long_label(frequency, first)} and {long_label(frequency, last)} "
        f"(from {YEARS_BEFORE_START} years before the collaborative started to the current period)"
    )


def long_label(frequency: str, day: date) -> str:
    if frequency == "weekly":
        return f"the week of {day.day} {day:%B %Y}"
    if frequency == "quarterly":
        return f"Q{(day.month - 1) // 3 + 1} {day.year}"
    return f"{day:%B %Y}"
