"""The evaluator package's tables of question 3 (approach feedback) and of the sustaining phase.

Registered with `evaluation.package` when the app is ready (`EvaluationConfig.ready`), after the tables
of `package.py`, so they are written last.

`approach_feedback` is collaborative-wide, never by organisation: a team has a handful of members, so
nearly every cell of an organisation's distribution would be under 5 (and, where it was not, a rounded
count of a team of five or six says how each of them answered). The collaborative-wide distribution is
the one the approach page shows; no organisation-level figure is published beside it, so nothing can be
subtracted from it. The comments are left out: members are asked to leave names out, but a comment about a
coach, a ward or a learning set can still identify a person, and the approach page shows them to those
who may read them.

`sustainability_scores` is one row per self-assessment: the team's Sustainability Model points. They are
scores about the work, not counts of people, so they are published as recorded (kind `score`).
"""

from __future__ import annotations

from collections import defaultdict

from . import package
from . import sustainability_model as model
from .approach import _counts, helpful_share
from .models.feedback import PARTS, Rating, rounds_until
from .models.sustainability import AssessmentRound, SustainabilityAssessment

LEVEL_COLUMNS = {
    Rating.VERY_HELPFUL: "very_helpful",
    Rating.HELPFUL: "helpful",
    Rating.NEITHER: "neither",
    Rating.UNHELPFUL: "unhelpful",
    Rating.VERY_UNHELPFUL: "very_unhelpful",
    Rating.NOT_USED: "not_used",
}


@package.table(
    "approach_feedback",
    "The six-monthly approach feedback survey, collaborative-wide: per round and part of the approach, how "
    "many members gave each answer. Not by organisation (a team's few members would be identifiable from "
    "its distribution) and without the comments (which may identify people).",
    [
        ("round", "category", "The survey round: 1, 2, ... (one every six months from the collaborative's start)."),
        ("round_opened_on", "date", "The day the round opened (it stays open six weeks)."),
        ("covers_from", "date", "The start of the six months the round asks about (they end when it opens)."),
        ("round_closed", "flag", "no while the round is still open (its figures may still change), else yes."),
        ("part", "category", "The part of the approach: " + ", ".join(name for name, _ in PARTS) + "."),
        ("part_label", "category", "The part as the survey asks about it."),
        *(
            (column, "count", f"Members answering “{Rating(level).label}”, rounded to 5 (* under 5).")
            for level, column in LEVEL_COLUMNS.items()
        ),
        (
            "helpful_rate",
            "rate",
            "very_helpful + helpful over the five answers other than not_used, each total rounded to 5 first, as "
            "a %; * when either total is under 5. The figure the approach page shows.",
        ),
    ],
)
def approach_feedback_rows(context: package.Context):
    collaborative = context.collaborative
    counts = _counts(collaborative)
    for r in rounds_until(collaborative.start_date, context.today):
        for name, label in PARTS:
            found = counts.get((r.number, name), {})
            share = helpful_share(found)
            yield [
                r.number,
                r.opens_on,
                r.covers_from,
                package.flag(r.closes_on < context.today),
                name,
                label,
                *(package.count(found.get(int(level), 0)) for level in LEVEL_COLUMNS),
                package.SUPPRESSED if share is None else round(share, 4),
            ]


FACTOR_COLUMNS = [
    (
        f.key,
        "score",
        f"{model.GROUPS[f.group]} factor “{f.title}”: the points of the level the team chose "
        f"(0 to {f.top}); blank when not answered.",
    )
    for f in model.FACTORS
]
ROUND_ORDER = {AssessmentRound.START: 0, AssessmentRound.END: 1}


@package.table(
    "sustainability_scores",
    "Each project's NHS Sustainability Model self-assessments, at the start and at the end of phase 3: one row "
    "per assessment, each factor's points, the total and the change since the start"
    + (
        " (levels b and c carry provisional points, to be checked against the printed score sheet)."
        if model.PROVISIONAL
        else "."
    ),
    [
        package.ORGANISATION,
        ("project_id", "id", "The improvement project (focus_populations.csv, measures.csv)."),
        ("round", "category", "start (start of phase 3) or end (end of phase 3)."),
        ("status", "category", "scored (all ten factors answered) or draft (some unanswered: no total)."),
        ("scored_on", "date", "The day it was first scored; blank for a draft."),
        *FACTOR_COLUMNS,
        ("total", "score", f"The sum of the ten factors' points (at most {model.MAXIMUM}); blank for a draft."),
        (
            "total_change",
            "score",
            "On the end row: total minus the start's total, where both are scored; blank otherwise.",
        ),
        *(
            (f"{f.key}_change", "score", f"On the end row: {f.key} minus the start's {f.key}, where both answered it.")
            for f in model.FACTORS
        ),
    ],
)
def sustainability_score_rows(context: package.Context):
    from django.utils import timezone

    rows = (
        SustainabilityAssessment.objects.filter(organisation_id__in=context.organisation_ids)
        .order_by("organisation_id", "project_id", "round")
        .values_list("organisation_id", "project_id", "round", "status", "scored_at", "answers", "total")
    )
    # At most two assessments a project: held per organisation to pair the rounds and to write the rows in the
    # package's organisation order.
    by_org: dict[int, dict[int, dict[str, tuple]]] = defaultdict(lambda: defaultdict(dict))
    for organisation_id, project_id, round_, *rest in rows.iterator(chunk_size=package.CHUNK):
        by_org[organisation_id][project_id][round_] = tuple(rest)
    for organisation_id in context.organisation_ids:
        label = context.label(organisation_id)
        for project_id, rounds in sorted(by_org.get(organisation_id, {}).items()):
            start = rounds.get(AssessmentRound.START)
            for round_ in sorted(rounds, key=lambda r: ROUND_ORDER.get(r, 2)):
                status, scored_at, answers, total = rounds[round_]
                points = model.score(answers).points
                changes = _changes(start, (status, scored_at, answers, total)) if round_ == AssessmentRound.END else {}
                yield [
                    label,
                    project_id,
                    round_,
                    status,
                    timezone.localtime(scored_at).date() if scored_at else None,
                    *(points.get(f.key, "") for f in model.FACTORS),
                    "" if total is None else float(total),
                    changes.get("total", ""),
                    *(changes.get(f.key, "") for f in model.FACTORS),
                ]


def _changes(start: tuple | None, end: tuple) -> dict[str, float]:
    """factor key (and "total") -> end minus start, where both have it."""
    if start is None:
        return {}
    found = {k: v for k, v in model.change(model.score(start[2]), model.score(end[2])).items() if v is not None}
    if start[3] is not None and end[3] is not None:
        found["total"] = round(float(end[3] - start[3]), 1)
    return found
