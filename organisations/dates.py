"""Dates a person types are bounded: within five years either side of today.

A PDSA cycle planned for 2999 or a meeting on 16/12/0001 is a typing slip, not a plan,
and it would stretch every timeline drawn from it. (Measure periods have their own,
tighter bound: measures.periods.bounds.)
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone

YEARS = 5


def window(today: date | None = None) -> tuple[date, date]:
    today = today or timezone.localdate()
    return _shift(today, -YEARS), _shift(today, YEARS)


def _shift(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def near_today(value: date) -> None:
    """Model field validator: refuse a date more than five years from today."""
    if value is None:
        return
    first, last = window()
    if not first <= value <= last:
        raise ValidationError(
            f"Enter a date between {first.day} {first:%B %Y} and {last.day} {last:%B %Y}.", code="date_out_of_range"
        )
