"""The NHS Sustainability Model: its ten factors, four levels each, and their weighted points (no Django).

Source: NHS Institute for Innovation and Improvement, *Sustainability Model and
Guide* (Maher, Gustafson and Evans, 2010; first edition 2007), "The Sustainability
Model master score system". A team picks, for each factor, the one statement
(level a to d) that best describes its improvement; each level carries its own
points, weighted by how much the factor predicts sustainability, and the ten
add up to at most 100.1 (often rounded to "100"). The Institute's guidance reads
a total of 55 or more as a reason for optimism that the change will last.

How sure each number is (the printed score sheet was not to hand when this
table was written; correct it here and nothing else changes):

- The top level's points of eight factors are the maxima that Implementation
  Science Communications 2:71 (2021), table 5, reports for the model:
  benefits 8.5, credibility 9.1, adaptability 7.0, monitoring 6.5, staff
  involvement 11.4, staff attitudes 11.0, senior leadership 15.0,
  infrastructure 9.5.
- Clinical leadership 15.5 and fit with the organisation 6.6 are the remaining
  22.1 of the published 100.1 maximum, split as the score sheet is remembered:
  to be checked.
- Level d scores 0.0 (the same table's ranges start at 0 for the factors whose
  lowest level it saw).
- Levels b and c are provisional: two thirds and one third of the factor's
  maximum, rounded to 0.1, until checked against the printed sheet.
  `PROVISIONAL` says so, and the pages that show scores say it too.

The level statements are this programme's plain-English wording of the
model's (not the Guide's text word for word).
"""

from __future__ import annotations

from dataclasses import dataclass, field

LEVELS = ("a", "b", "c", "d")
PROVISIONAL = True  # levels b and c (and two maxima) not yet checked against the printed score sheet
OPTIMISM_THRESHOLD = 55.0


@dataclass(frozen=True)
class Factor:
    key: str
    group: str
    title: str
    question: str
    statements: tuple[str, str, str, str]  # levels a (strongest) to d
    top: float  # the points of level a

    @property
    def points(self) -> dict[str, float]:
        return {"a": self.top, "b": round(self.top * 2 / 3, 1), "c": round(self.top / 3, 1), "d": 0.0}

    def choices(self) -> list[tuple[str, str]]:
        return [(letter, text) for letter, text in zip(LEVELS, self.statements, strict=True)]


PROCESS, STAFF, ORGANISATION = "process", "staff", "organisation"
GROUPS = {PROCESS: "Process", STAFF: "Staff", ORGANISATION: "Organisation"}

FACTORS: tuple[Factor, ...] = (
    Factor(
        "benefits",
        PROCESS,
        "Benefits beyond helping patients",
        "Besides helping patients, does the change reduce waste and make jobs easier?",
        (
            "It clearly saves time or effort and makes jobs easier, and everyone involved can see and say how.",
            "It saves time or effort or makes jobs easier, and most of the people involved know it.",
            "Some people see a benefit beyond patients, but it is not widely known or talked about.",
            "It brings no benefit beyond patients, or it makes jobs harder.",
        ),
        8.5,
    ),
    Factor(
        "credibility",
        PROCESS,
        "Credibility of the benefits",
        "Are the benefits to patients, staff and the organisation visible, believed and talked about?",
        (
            "The benefits are shown by data, widely known and believed, and staff and patients can describe them.",
            "The benefits are shown by data and known by most of the people involved.",
            "Some people know of the benefits, but there is little evidence to show them.",
            "The benefits are not known, not shown, or not believed.",
        ),
        9.1,
    ),
    Factor(
        "adaptability",
        PROCESS,
        "Adaptability of the improved process",
        "Can the new way of working keep going when people, services or pressures change?",
        (
            "It can adapt to changes around it without losing what makes it work, and does not depend on one "
            "person or group.",
            "It can cope with most changes around it, but depends on a few key people.",
            "It would struggle if people or circumstances changed, and depends on one person or group.",
            "It would stop if the people or circumstances that started it changed.",
        ),
        7.0,
    ),
    Factor(
        "monitoring",
        PROCESS,
        "Effectiveness of the system to monitor progress",
        "Is there a system to keep measuring progress, and do its results get back to people?",
        (
            "Progress is measured routinely against the aim and the results are fed back to everyone involved.",
            "Progress is measured routinely, but the results reach only some of the people involved.",
            "Progress is measured now and then, and the results are seldom shared.",
            "Progress is not measured, or the measurement stops when the project ends.",
        ),
        6.5,
    ),
    Factor(
        "involvement",
        STAFF,
        "Staff involvement and training to sustain the process",
        "Have staff been involved from the start and trained to keep the new way going?",
        (
            "Staff were involved from the start, shaped the change, and have the training and skills to keep it going.",
            "Staff were involved in designing and testing the change, and most have been trained.",
            "Some staff were involved or trained, but many were not.",
            "Staff were not involved in the change and have not been trained to sustain it.",
        ),
        11.4,
    ),
    Factor(
        "attitudes",
        STAFF,
        "Staff attitudes towards sustaining the change",
        "Do staff believe in the change and feel able to keep it going?",
        (
            "Staff believe the change is right, feel it is theirs and can speak up to keep it working.",
            "Most staff support the change and believe it will last.",
            "Staff are divided, or support it only while the project team is around.",
            "Staff do not support the change and expect it to stop.",
        ),
        11.0,
    ),
    Factor(
        "senior_leadership",
        STAFF,
        "Senior leadership engagement",
        "Are senior leaders visibly involved, and do they help remove barriers?",
        (
            "Senior leaders know the change well, champion it, share information about it and help remove barriers.",
            "Senior leaders support the change and are kept informed, but are seldom involved.",
            "Senior leaders know of the change but are not involved in it.",
            "Senior leaders are not aware of the change, or do not support it.",
        ),
        15.0,
    ),
    Factor(
        "clinical_leadership",
        STAFF,
        "Clinical leadership engagement",
        "Are clinical leaders involved, and do they promote the change to their peers?",
        (
            "Clinical leaders took part from the start, promote the change to their peers and help keep it going.",
            "Clinical leaders support the change and take part when asked.",
            "Clinical leaders know of the change but are not involved in it.",
            "Clinical leaders are not aware of the change, or do not support it.",
        ),
        15.5,
    ),
    Factor(
        "fit",
        ORGANISATION,
        "Fit with the organisation's strategic aims and culture",
        "Does the change fit the organisation's aims and the way it works?",
        (
            "The change is part of the organisation's strategy and fits its culture; success has been recognised.",
            "The change fits the organisation's aims and culture, though it is not named in its strategy.",
            "The change fits some of the organisation's aims but sits apart from how it usually works.",
            "The change does not fit the organisation's aims or culture.",
        ),
        6.6,
    ),
    Factor(
        "infrastructure",
        ORGANISATION,
        "Infrastructure for sustainability",
        "Are policies, job descriptions, facilities and equipment in place to support the new way?",
        (
            "Policies, procedures, job descriptions, equipment and facilities all support the new way of working.",
            "Most of the policies, roles, equipment and facilities needed are in place.",
            "Some are in place; others are missing or still describe the old way.",
            "Nothing has been put in place to support the new way of working.",
        ),
        9.5,
    ),
)

BY_KEY = {factor.key: factor for factor in FACTORS}
MAXIMUM = round(sum(factor.top for factor in FACTORS), 1)  # 100.1


@dataclass(frozen=True)
class Score:
    """A self-assessment's result: each answered factor's points, what is missing, and the total when complete."""

    points: dict[str, float] = field(default_factory=dict)  # factor key -> points, answered factors only
    missing: tuple[str, ...] = ()  # factor keys not answered, in the model's order

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def total(self) -> float | None:
        """The sum of the ten factors' points; None until every factor is answered (a draft is not scored)."""
        return round(sum(self.points.values()), 1) if self.complete else None

    def group_totals(self) -> dict[str, float | None]:
        totals = {}
        for group in GROUPS:
            keys = [f.key for f in FACTORS if f.group == group]
            totals[group] = round(sum(self.points[k] for k in keys), 1) if all(k in self.points for k in keys) else None
        return totals

    @property
    def missing_titles(self) -> list[str]:
        return [BY_KEY[key].title for key in self.missing]


def score(answers: dict[str, str]) -> Score:
    """The points of each answered factor (level letters "a" to "d"); unknown keys and letters are ignored."""
    points = {}
    for factor in FACTORS:
        letter = (answers or {}).get(factor.key)
        if letter in LEVELS:
            points[factor.key] = factor.points[letter]
    missing = tuple(f.key for f in FACTORS if f.key not in points)
    return Score(points=points, missing=missing)


def change(first: Score, second: Score) -> dict[str, float | None]:
    """factor key -> second minus first, where both rounds answered it."""
    return {
        f.key: round(second.points[f.key] - first.points[f.key], 1)
        if f.key in first.points and f.key in second.points
        else None
        for f in FACTORS
    }
