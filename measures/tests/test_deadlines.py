"""Deadline arithmetic in UK time (measures.deadlines, organisations.clock): worked dates in comments.

The clock changes used: 29 March 2026 (01:00 GMT becomes 02:00 BST) and
25 October 2026 (02:00 BST becomes 01:00 GMT); 28 March 2027 and 31 October 2027.
"""

import ast
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from measures import deadlines as D
from organisations import clock

DEFAULT = D.Rule()


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- Due days: month ends, leap years -------------------------------------------------


@pytest.mark.parametrize(
    "frequency, start, due",
    [
        ("monthly", date(2026, 1, 1), date(2026, 2, 15)),  # January's data: 15 February
        ("monthly", date(2026, 12, 1), date(2027, 1, 15)),  # over the year end
        ("weekly", date(2026, 11, 23), date(2026, 12, 6)),  # week ends Sunday 29 November; 7 days on
        ("weekly", date(2026, 12, 28), date(2027, 1, 10)),  # a week across the new year
        ("quarterly", date(2026, 1, 1), date(2026, 4, 30)),  # Q1 ends 31 March; 30th day after
        ("quarterly", date(2026, 10, 1), date(2027, 1, 30)),  # Q4 ends 31 December
        ("quarterly", date(2027, 10, 1), date(2028, 1, 30)),
        ("quarterly", date(2028, 1, 1), date(2028, 4, 30)),  # leap year Q1 ends 31 March all the same
    ],
)
def test_default_due_days(frequency, start, due):
    assert D.due_date(frequency, start) == due


def test_a_monthly_day_past_the_month_end_uses_the_last_day_leap_years_included():
    rule = D.Rule(monthly_day=31)
    assert D.due_date("monthly", date(2026, 1, 1), rule) == date(2026, 2, 28)  # February 2026: 28 days
    assert D.due_date("monthly", date(2028, 1, 1), rule) == date(2028, 2, 29)  # 2028 is a leap year
    assert D.due_date("monthly", date(2100, 1, 1), rule) == date(2100, 2, 28)  # 2100 is not
    assert D.due_date("monthly", date(2026, 3, 1), rule) == date(2026, 4, 30)
    assert D.due_date("monthly", date(2026, 4, 1), rule) == date(2026, 5, 31)
    assert D.due_date("monthly", date(2026, 1, 1), D.Rule(monthly_day=29)) == date(2026, 2, 28)
    assert D.due_date("monthly", date(2028, 1, 1), D.Rule(monthly_day=30)) == date(2028, 2, 29)


def test_leap_day_periods():
    # The week starting Monday 28 February 2028 ends Sunday 5 March (29 February in between).
    assert D.period_end("weekly", date(2028, 2, 28)) == date(2028, 3, 5)
    assert D.due_date("weekly", date(2028, 2, 28)) == date(2028, 3, 12)
    assert D.period_end("monthly", date(2028, 2, 1)) == date(2028, 2, 29)
    assert D.due_date("weekly", date(2028, 2, 21), D.Rule(weekly_days=2)) == date(2028, 2, 29)


def test_other_rules():
    rule = D.Rule(monthly_day=1, weekly_days=0, quarterly_days=90)
    assert D.due_date("monthly", date(2026, 1, 1), rule) == date(2026, 2, 1)
    assert D.due_date("weekly", date(2026, 11, 23), rule) == date(2026, 11, 29)  # the week's own Sunday
    assert D.due_date("quarterly", date(2026, 1, 1), rule) == date(2026, 6, 29)


# --- Deadlines in UTC across both clock changes ----------------------------------------


def test_a_deadline_is_uk_time_returned_in_utc():
    # 15 February 2026, 23:59 GMT = 23:59 UTC; 15 May 2026, 23:59 BST = 22:59 UTC.
    assert D.deadline("monthly", date(2026, 1, 1)) == utc(2026, 2, 15, 23, 59)
    assert D.deadline("monthly", date(2026, 4, 1)) == utc(2026, 5, 15, 22, 59)


def test_deadlines_on_the_days_of_both_clock_changes():
    march = D.Rule(monthly_day=29)  # February's data is due on the 29th of the following month
    assert D.due_date("monthly", date(2026, 2, 1), march) == date(2026, 3, 29)
    # 29 March 2026 23:59 is BST (the clocks went forward at 01:00 GMT): 22:59 UTC.
    assert D.deadline("monthly", date(2026, 2, 1), march) == utc(2026, 3, 29, 22, 59)
    # The day before, still GMT.
    assert D.deadline("monthly", date(2026, 2, 1), D.Rule(monthly_day=28)) == utc(2026, 3, 28, 23, 59)
    october = D.Rule(monthly_day=25)
    # 25 October 2026 23:59 is GMT again (the clocks went back at 02:00 BST): 23:59 UTC.
    assert D.deadline("monthly", date(2026, 9, 1), october) == utc(2026, 10, 25, 23, 59)
    # The day before, BST: 24 October 23:59 BST = 22:59 UTC.
    assert D.deadline("monthly", date(2026, 9, 1), D.Rule(monthly_day=24)) == utc(2026, 10, 24, 22, 59)
    # 2027: 28 March (BST from 01:00 UTC) and 31 October (GMT from 01:00 UTC).
    assert D.deadline("monthly", date(2027, 2, 1), D.Rule(monthly_day=28)) == utc(2027, 3, 28, 22, 59)
    assert D.deadline("monthly", date(2027, 9, 1), D.Rule(monthly_day=31)) == utc(2027, 10, 31, 23, 59)


def test_a_deadline_at_0030_on_the_change_nights():
    # 00:30 on 29 March 2026 is before the change at 01:00 GMT: still GMT, 00:30 UTC.
    rule = D.Rule(monthly_day=29, at=time(0, 30))
    assert D.deadline("monthly", date(2026, 2, 1), rule) == utc(2026, 3, 29, 0, 30)
    # 00:30 on 25 October 2026 is before the change at 02:00 BST: still BST, 23:30 UTC the day before.
    rule = D.Rule(monthly_day=25, at=time(0, 30))
    assert D.deadline("monthly", date(2026, 9, 1), rule) == utc(2026, 10, 24, 23, 30)


def test_times_that_do_not_exist_or_happen_twice():
    # 01:30 on 29 March 2026 never happens (01:00 GMT -> 02:00 BST): read with GMT, i.e. 02:30 BST.
    assert clock.london(date(2026, 3, 29), time(1, 30)) == utc(2026, 3, 29, 1, 30)
    assert clock.london(date(2026, 3, 29), time(2, 30)) == utc(2026, 3, 29, 1, 30)
    # 01:30 on 25 October 2026 happens twice: the first, in BST, 00:30 UTC.
    assert clock.london(date(2026, 10, 25), time(1, 30)) == utc(2026, 10, 25, 0, 30)
    assert clock.london(date(2026, 10, 25), time(2, 30)) == utc(2026, 10, 25, 2, 30)


def test_weekly_deadlines_keep_their_uk_time_through_the_changes():
    # Weekly data due on the Sundays either side of each change, at 23:59 UK time.
    assert D.deadline("weekly", date(2026, 3, 16)) == utc(2026, 3, 29, 22, 59)  # BST
    assert D.deadline("weekly", date(2026, 3, 9)) == utc(2026, 3, 22, 23, 59)  # GMT
    assert D.deadline("weekly", date(2026, 10, 12)) == utc(2026, 10, 25, 23, 59)  # GMT
    assert D.deadline("weekly", date(2026, 10, 5)) == utc(2026, 10, 18, 22, 59)  # BST


def test_reminders_go_at_0800_uk_time_across_a_change():
    # February 2026's data is due Sunday 15 March; its weekly late reminders cross 29 March.
    steps = dict(D.reminders("monthly", date(2026, 2, 1)))
    assert steps["before"] == utc(2026, 3, 10, 8, 0)  # GMT
    assert steps["day"] == utc(2026, 3, 15, 8, 0)
    assert steps["late1"] == utc(2026, 3, 22, 8, 0)
    assert steps["late2"] == utc(2026, 3, 29, 7, 0)  # 08:00 BST, the first morning of summer time
    assert steps["late4"] == utc(2026, 4, 12, 7, 0)
    assert list(steps) == ["before", "day", "late1", "late2", "late3", "late4"]
    # And in October: September's data due 15 October (BST), late4 on 12 November (GMT).
    steps = dict(D.reminders("monthly", date(2026, 9, 1)))
    assert steps["day"] == utc(2026, 10, 15, 7, 0)
    assert steps["late2"] == utc(2026, 10, 29, 8, 0)


def test_the_due_day_reminder_goes_the_day_before_an_early_deadline():
    steps = dict(D.reminders("monthly", date(2026, 2, 1), D.Rule(monthly_day=29, at=time(0, 30))))
    assert steps["day"] == utc(2026, 3, 28, 8, 0)  # the deadline is 00:30 on the 29th
    steps = dict(D.reminders("monthly", date(2026, 2, 1), D.Rule(at=time(9, 30))))
    assert steps["day"] == utc(2026, 3, 15, 8, 0)  # 08:00 is 90 minutes before a 09:30 deadline


def test_weekly_digest_and_monthly_summary_moments():
    # Monday 30 March 2026 08:00 BST = 07:00 UTC: a minute before it, the week before's Monday.
    assert clock.week_start(utc(2026, 3, 30, 7, 0)) == utc(2026, 3, 30, 7, 0)
    assert clock.week_start(utc(2026, 3, 30, 6, 59)) == utc(2026, 3, 23, 8, 0)
    assert clock.week_start(utc(2026, 10, 26, 8, 0)) == utc(2026, 10, 26, 8, 0)  # GMT again
    assert clock.week_start(utc(2026, 10, 28, 12, 0)) == utc(2026, 10, 26, 8, 0)
    assert clock.month_start(utc(2026, 4, 1, 7, 0)) == utc(2026, 4, 1, 7, 0)
    assert clock.month_start(utc(2026, 4, 1, 6, 0)) == utc(2026, 3, 1, 8, 0)
    assert clock.month_start(utc(2027, 1, 1, 7, 59)) == utc(2026, 12, 1, 8, 0)


# --- Statuses ---------------------------------------------------------------------------


def test_status_of_a_period_through_its_life():
    start = date(2026, 1, 1)  # due 15 February 2026, 23:59 GMT
    at = D.deadline("monthly", start)
    assert D.status("monthly", start, submitted=False, now=utc(2026, 1, 20)) == D.DUE  # still running
    assert D.status("monthly", start, submitted=False, now=at) == D.DUE
    assert D.status("monthly", start, submitted=False, now=at + timedelta(minutes=1)) == D.LATE
    assert D.status("monthly", start, submitted=False, now=at + timedelta(days=28)) == D.LATE
    assert D.status("monthly", start, submitted=False, now=at + timedelta(days=28, minutes=1)) == D.MISSING
    assert D.status("monthly", start, submitted=True, now=at + timedelta(days=100)) == D.SUBMITTED


def test_recent_periods_for_the_data_page():
    now = utc(2026, 12, 10, 12, 0)
    rows = D.recent("monthly", submitted={date(2026, 10, 1)}, now=now)
    assert [(r[0], r[2]) for r in rows] == [
        (date(2026, 9, 1), D.MISSING),  # due 15 October, 56 days ago
        (date(2026, 10, 1), D.SUBMITTED),
        (date(2026, 11, 1), D.DUE),  # due 15 December
    ]
    assert rows[2][1] == "Nov 2026" and rows[2][3] == date(2026, 12, 15)


def test_periods_to_watch_are_the_few_with_a_reminder_in_the_window():
    back = timedelta(days=1)
    # Thursday 10 December 2026 08:05: November's "5 days before"; the week of 30 November's too.
    assert D.periods_to_watch("monthly", utc(2026, 12, 10, 8, 5), back=back) == [date(2026, 11, 1)]
    assert D.periods_to_watch("weekly", utc(2026, 12, 8, 8, 5), back=back) == [date(2026, 11, 30)]
    assert D.periods_to_watch("monthly", utc(2026, 12, 10, 7, 55), back=back) == []
    # 22 December: November's first weekly late reminder.
    assert D.periods_to_watch("monthly", utc(2026, 12, 22, 9, 0), back=back) == [date(2026, 11, 1)]
    assert D.periods_to_watch("quarterly", utc(2027, 1, 30, 8, 0), back=back) == [date(2026, 10, 1)]


def test_the_arithmetic_modules_import_no_django():
    for module in (D, clock):
        tree = ast.parse(Path(module.__file__).read_text())
        names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        names |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        assert not any(name.startswith("django") for name in names), module.__name__
