"""The six-monthly approach feedback survey: how helpful each part of the programme's approach has been.

Rounds are not stored: round k of a collaborative (k = 1, 2, ...) opens
`ROUND_MONTHS * k` months after the collaborative started and stays open for
`OPEN_DAYS` days, asking about the six months before it (`round_at`,
`open_round`). Each member (a team role in an enrolled organisation) answers
once a round and may change their answer until the round closes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django_scopes import ScopedManager

from organisations import text as bounded

ROUND_MONTHS = 6
OPEN_DAYS = 42  # six weeks to answer


class Rating(models.IntegerChoices):
    VERY_HELPFUL = 5, "Very helpful"
    HELPFUL = 4, "Helpful"
    NEITHER = 3, "Neither helpful nor unhelpful"
    UNHELPFUL = 2, "Unhelpful"
    VERY_UNHELPFUL = 1, "Very unhelpful"
    NOT_USED = 0, "Not used"


# The parts of the approach, in the order the survey asks: (field, label).
PARTS = [
    ("coaching", "Coaching from your QI coach"),
    ("learning_sets", "Learning sets"),
    ("experts", "Equality and coproduction experts"),
    ("change_theory", "The programme change theory"),
    ("pdsa", "PDSA cycles"),
    ("measurement", "Measurement and SPC charts"),
    ("coproduction", "Coproduction with people with lived experience"),
    ("platform", "This platform"),
]


def _add_months(day: date, months: int) -> date:
    import calendar

    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Round:
    number: int
    opens_on: date
    closes_on: date  # the last day answers are taken

    @property
    def covers_from(self) -> date:
        return _add_months(self.opens_on, -ROUND_MONTHS)

    def is_open(self, today: date) -> bool:
        return self.opens_on <= today <= self.closes_on

    @property
    def label(self) -> str:
        return f"Round {self.number} ({self.opens_on:%B %Y})"


def round_at(start: date, number: int) -> Round:
    opens = _add_months(start, ROUND_MONTHS * number)
    return Round(number, opens, opens + timedelta(days=OPEN_DAYS - 1))


def rounds_until(start: date, today: date) -> list[Round]:
    """Every round that has opened by `today`, oldest first."""
    found, number = [], 1
    while (r := round_at(start, number)).opens_on <= today:
        found.append(r)
        number += 1
    return found


def open_round(start: date, today: date) -> Round | None:
    latest = rounds_until(start, today)[-1:] or [None]
    return latest[0] if latest[0] is not None and latest[0].is_open(today) else None


def _rating_field(label: str):
    return models.PositiveSmallIntegerField(label, choices=Rating.choices)


class ApproachFeedback(models.Model):
    """One member's answers to one round of the approach feedback survey."""

    collaborative = models.ForeignKey("collaborative.Collaborative", on_delete=models.CASCADE, related_name="+")
    round_number = models.PositiveSmallIntegerField()
    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    coaching = _rating_field(PARTS[0][1])
    learning_sets = _rating_field(PARTS[1][1])
    experts = _rating_field(PARTS[2][1])
    change_theory = _rating_field(PARTS[3][1])
    pdsa = _rating_field(PARTS[4][1])
    measurement = _rating_field(PARTS[5][1])
    coproduction = _rating_field(PARTS[6][1])
    platform = _rating_field(PARTS[7][1])
    helped = bounded.TextField("What has helped most", max_length=2000, blank=True)
    did_not_help = bounded.TextField("What has not helped, or should change", max_length=2000, blank=True)
    submitted_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["round_number", "submitted_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["collaborative", "round_number", "user"], name="one_approach_feedback_per_round"
            ),
            *[
                models.CheckConstraint(condition=models.Q(**{f"{name}__lte": 5}), name=f"approach_{name}_0_to_5")
                for name, _ in PARTS
            ],
        ]

    def __str__(self) -> str:
        return f"Approach feedback, round {self.round_number}"
