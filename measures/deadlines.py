"""When a measure's data for a period is due, and where each period stands: no Django import.

A collaborative sets one rule for all its organisations (its settings page):
monthly data is due on a day of the following month (default the 15th, moved to
the month's last day when the month is shorter), weekly data a number of days
after the week ends on its Sunday (default 7), quarterly data a number of days
after the quarter's last day (default 30), each by a UK time of day (default 23:59).
Deadlines are worked out as UK days and times (`organisations.clock`) and
returned in UTC, so 23:59 on 29 March 2026 is 22:59 UTC (BST) and 23:59 on
25 October 2026 is 23:59 UTC (GMT again).

A period of one measure is

- "submitted" once its whole-population figure is in;
- "due" until its deadline (a running period is due too);
- "late" for `LATE_DAYS` after the deadline, while it is still chased weekly;
- "missing" after that: a gap on the chart, no longer chased.

Reminders (to the project lead and data champions) go at 08:00 UK time
5 days before the due day, on the due day, and 7, 14, 21 and 28 days after it.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from organisations.clock import london, london_date

from . import periods

SUBMITTED, DUE, LATE, MISSING = "submitted", "due", "late", "missing"
STATUS_LABELS = {SUBMITTED: "Submitted", DUE: "Due", LATE: "Late", MISSING: "Missing"}
LATE_DAYS = 28
BEFORE_DAYS = 5
OVERDUE_WEEKS = LATE_DAYS // 7


@dataclass(frozen=True)
class Rule:
    """A collaborative's data submission rule."""

    monthly_day: int = 15  # day of the following month (a shorter month uses its last day)
    weekly_days: int = 7  # days after the week's last day (Sunday)
    quarterly_days: int = 30  # days after the quarter's last day
    at: time = time(23, 59)  # UK time on the due day


def period_end(frequency: str, start: date) -> date:
    """The last day of the period that starts on `start`."""
    return periods.step(frequency, start) - timedelta(days=1)


def due_date(frequency: str, start: date, rule: Rule = Rule()) -> date:
    """The UK day the period's data is due."""
    if frequency == "monthly":
        following = periods.step("monthly", start)
        last = calendar.monthrange(following.year, following.month)[1]
        return following.replace(day=min(max(rule.monthly_day, 1), last))
    if frequency == "weekly":
        return period_end("weekly", start) + timedelta(days=rule.weekly_days)
    if frequency == "quarterly":
        return period_end("quarterly", start) + timedelta(days=rule.quarterly_days)
    raise ValueError(f"Unknown frequency {frequency!r}")


def deadline(frequency: str, start: date, rule: Rule = Rule()) -> datetime:
    """The instant (UTC) the period's data is due."""
    return london(due_date(frequency, start, rule), rule.at)


def status(frequency: str, start: date, *, submitted: bool, now: datetime, rule: Rule = Rule()) -> str:
    """Where one measure-period stands at `now`: submitted, due, late or missing."""
    if submitted:
        return SUBMITTED
    due = deadline(frequency, start, rule)
    if now <= due:
        return DUE
    if now <= due + timedelta(days=LATE_DAYS):
        return LATE
    return MISSING


def reminders(frequency: str, start: date, rule: Rule = Rule()) -> list[tuple[str, datetime]]:
    """The reminders for one period: (step, UTC instant), in time order.

    Steps are "before" (5 days before the due day), "day" (the due day) and
    "late1" ... "late4" (each week after it). The due-day reminder goes at
    08:00, or at 08:00 the day before when the deadline is within an hour of
    08:00 or earlier, so that it is never sent after the deadline.
    """
    due = due_date(frequency, start, rule)
    on_the_day = london(due)
    if on_the_day > deadline(frequency, start, rule) - timedelta(hours=1):
        on_the_day = london(due - timedelta(days=1))
    steps = [("before", london(due - timedelta(days=BEFORE_DAYS))), ("day", on_the_day)]
    steps += [(f"late{n}", london(due + timedelta(days=7 * n))) for n in range(1, OVERDUE_WEEKS + 1)]
    return steps


def periods_to_watch(frequency: str, now: datetime, rule: Rule = Rule(), *, back: timedelta) -> list[date]:
    """Starts of the periods with a reminder between `now - back` and `now`, newest first.

    Bounded by the calendar, not the data: a handful of periods for any frequency.
    """
    today = london_date(now)
    start = periods.current_start(frequency, today + timedelta(days=BEFORE_DAYS + 2))
    earliest = now - back - timedelta(days=LATE_DAYS + 2)
    found = []
    while deadline(frequency, start, rule) >= earliest:
        if any(now - back < at <= now for _, at in reminders(frequency, start, rule)):
            found.append(start)
        start = periods.step(frequency, start, -1)
    return found


def recent(frequency: str, *, submitted: set[date], now: datetime, rule: Rule = Rule(), count: int = 3) -> list:
    """The last `count` periods that have ended, oldest first: (start, label, status, due day)."""
    today = london_date(now)
    start = periods.step(frequency, periods.current_start(frequency, today), -1)
    rows = []
    for _ in range(count):
        rows.append(
            (
                start,
                periods.label(frequency, start),
                status(frequency, start, submitted=start in submitted, now=now, rule=rule),
                due_date(frequency, start, rule),
            )
        )
        start = periods.step(frequency, start, -1)
    return rows[::-1]
