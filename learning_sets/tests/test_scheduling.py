"""propose_year and London times: pure functions, no database."""

import subprocess
import sys
from datetime import date, time, timedelta

import pytest

from learning_sets.scheduling import (
    MAX_GAP,
    MIN_GAP,
    NonexistentTime,
    bank_holidays,
    is_ambiguous,
    london_to_utc,
    propose_year,
)

YEARS = range(2024, 2041)


@pytest.mark.parametrize("weekday", range(5))
@pytest.mark.parametrize("year", YEARS)
def test_four_dates_one_a_quarter_spaced_on_working_days(year, weekday):
    dates = propose_year(year, weekday)
    assert len(dates) == 4
    assert [(d.month - 1) // 3 + 1 for d in dates] == [1, 2, 3, 4]
    assert all(d.year == year for d in dates)
    for day in dates:
        assert day.weekday() < 5, f"{day} is a weekend"
        assert day not in bank_holidays(year), f"{day} is a bank holiday"
    for earlier, later in zip(dates, dates[1:], strict=False):
        assert MIN_GAP <= later - earlier <= MAX_GAP, f"{earlier} to {later}"


@pytest.mark.parametrize("weekday", range(5))
@pytest.mark.parametrize("year", YEARS)
def test_the_preferred_weekday_unless_that_week_is_blocked(year, weekday):
    for day in propose_year(year, weekday):
        if day.weekday() != weekday:
            # Only when the preferred weekday nearest the middle of the quarter is a bank holiday.
            nearest = min(
                (date(year, day.month, 15) + timedelta(days=n) for n in range(-3, 4)),
                key=lambda d: (d.weekday() != weekday, abs((d - date(year, day.month, 15)).days)),
            )
            assert nearest in bank_holidays(year)


def test_a_bank_holiday_on_the_preferred_day_moves_a_week():
    # 2026: Monday 4 May and Monday 25 May are bank holidays; 18 May is the Monday nearest the 15th.
    assert propose_year(2026, 0)[1] == date(2026, 5, 18)
    # 2029: the late summer bank holiday is Monday 27 August; the Monday nearest 15 August is the 13th.
    assert propose_year(2029, 0)[2] == date(2029, 8, 13)
    assert date(2026, 5, 25) in bank_holidays(2026) and date(2026, 12, 28) in bank_holidays(2026)


def test_known_year():
    # Wednesdays nearest the 15th of February, May, August and November 2027.
    assert propose_year(2027, 2) == [date(2027, 2, 17), date(2027, 5, 12), date(2027, 8, 18), date(2027, 11, 17)]


@pytest.mark.parametrize("weekday", [5, 6, -1, 7])
def test_a_weekend_or_unknown_weekday_is_refused(weekday):
    with pytest.raises(ValueError, match="weekend|weekday"):
        propose_year(2027, weekday)


def test_london_times_are_stored_in_utc():
    assert london_to_utc(date(2027, 1, 20), time(10, 0)).isoformat() == "2027-01-20T10:00:00+00:00"  # GMT
    assert london_to_utc(date(2027, 7, 21), time(10, 0)).isoformat() == "2027-07-21T09:00:00+00:00"  # BST


def test_a_time_the_clocks_skip_is_refused():
    # The clocks go forward at 01:00 GMT on the last Sunday of March: 01:30 never happens.
    with pytest.raises(NonexistentTime, match="does not exist in London"):
        london_to_utc(date(2026, 3, 29), time(1, 30))
    assert london_to_utc(date(2026, 3, 29), time(2, 0)).isoformat() == "2026-03-29T01:00:00+00:00"


def test_a_time_that_happens_twice_is_the_first_in_summer_time():
    # The clocks go back at 02:00 BST on the last Sunday of October: 01:30 happens twice.
    assert is_ambiguous(date(2026, 10, 25), time(1, 30))
    assert london_to_utc(date(2026, 10, 25), time(1, 30)).isoformat() == "2026-10-25T00:30:00+00:00"
    assert not is_ambiguous(date(2026, 10, 25), time(10, 0))


def test_scheduling_does_not_import_django():
    code = (
        "import sys, learning_sets.scheduling; sys.exit(1 if any(m.startswith('django') for m in sys.modules) else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0
