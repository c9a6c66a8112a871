"""Question 3, what helped: the approach feedback aggregated by part and over time, disclosure-controlled.

Every count here is a count of people, so it is published by the disclosure
rules (`measures.disclosure`: under 5 is `*`, others rounded to 5) and a part
with fewer than 5 answers in a round is shown as `*` whole (its distribution
and its share). The share who found a part helpful is worked out from the
rounded counts. Comments are shown without names and without the organisation's
label (counting one organisation's comments in a round would count its people).
The learning-set surveys (learning_sets.Feedback) rate the learning sets
themselves and are shown beside them the same way.
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Count, Q
from django.utils import timezone
from django_scopes import scopes_disabled

from measures.disclosure import SUPPRESSED, THRESHOLD, suppress_count

from .models.feedback import PARTS, ApproachFeedback, Rating, rounds_until

RATINGS = [
    Rating.VERY_HELPFUL,
    Rating.HELPFUL,
    Rating.NEITHER,
    Rating.UNHELPFUL,
    Rating.VERY_UNHELPFUL,
    Rating.NOT_USED,
]
COMMENTS_SHOWN = 60  # per round, newest first; the package holds them all


def _shown(n: int | None) -> str:
    published = suppress_count(n or 0)
    return SUPPRESSED if published is None else str(published)


def helpful_share(counts: dict[int, int]) -> float | None:
    """Helpful or very helpful, of those who used the part, as a %: both counts of people rounded first.

    The rounded number who found it helpful over the rounded number who used it; None (shown `*`) when
    either is suppressed (under 5, including none). Counting each suppressed rating as 0 instead would
    claim 0% when 3 of 9 found it helpful, or 100% when 5 of 9 did. The page and the evaluator package
    (`approach_feedback.csv`) both publish this figure.
    """
    used = suppress_count(sum(n for r, n in counts.items() if r != Rating.NOT_USED))
    helpful = suppress_count(counts.get(Rating.VERY_HELPFUL, 0) + counts.get(Rating.HELPFUL, 0))
    if used is None or helpful is None:
        return None
    return 100 * helpful / used


def _share_helpful(counts: dict[int, int]) -> str:
    share = helpful_share(counts)
    return SUPPRESSED if share is None else f"{round(share)}%"


def _counts(collaborative) -> dict[tuple[int, str], dict[int, int]]:
    """(round, part) -> rating -> number of answers, in one query."""
    aggregates = {f"{name}_{int(r)}": Count("pk", filter=Q(**{name: int(r)})) for name, _ in PARTS for r in RATINGS}
    rows = (
        ApproachFeedback.objects.filter(collaborative=collaborative)
        .order_by()
        .values("round_number")
        .annotate(total=Count("pk"), **aggregates)
    )
    result: dict[tuple[int, str], dict[int, int]] = {}
    for row in rows:
        for name, _ in PARTS:
            result[(row["round_number"], name)] = {int(r): row[f"{name}_{int(r)}"] for r in RATINGS}
    return result


def part_rows(collaborative, rounds) -> list[dict]:
    counts = _counts(collaborative)
    rows = []
    for name, label in PARTS:
        cells = []
        for r in rounds:
            c = counts.get((r.number, name), {})
            answered = sum(v for k, v in c.items() if k != Rating.NOT_USED)
            if answered < THRESHOLD:
                cells.append({"round": r, "suppressed": True, "answers": SUPPRESSED, "helpful": SUPPRESSED})
                continue
            cells.append(
                {
                    "round": r,
                    "suppressed": False,
                    "answers": _shown(answered),
                    "distribution": [(Rating(k).label, _shown(c.get(k, 0))) for k in RATINGS],
                    "helpful": _share_helpful(c),
                }
            )
        rows.append({"part": name, "label": label, "cells": cells})
    return rows


def comments(collaborative, rounds) -> list[dict]:
    """Each round's comments, newest first, with no person's name and no organisation's label."""
    by_round: dict[int, list] = defaultdict(list)
    rows = (
        ApproachFeedback.objects.filter(collaborative=collaborative)
        .exclude(helped="", did_not_help="")
        .order_by("round_number", "-submitted_at", "-pk")
        .values_list("round_number", "helped", "did_not_help")
    )
    for number, helped, did_not_help in rows:
        by_round[number].append({"helped": helped, "did_not_help": did_not_help})
    return [
        {
            "round": r,
            "comments": by_round[r.number][:COMMENTS_SHOWN],
            "more": max(len(by_round[r.number]) - COMMENTS_SHOWN, 0),
        }
        for r in reversed(rounds)
        if by_round[r.number]
    ]


def learning_set_rows(collaborative) -> list[dict]:
    """Each past learning set's survey: answers and the share who found it useful (4 or 5), suppressed."""
    from learning_sets.models import LearningSet

    sets = (
        LearningSet.objects.filter(collaborative=collaborative, starts_at__lte=timezone.now())
        .exclude(status=LearningSet.Status.CANCELLED)
        .annotate(
            answers=Count("feedback"),
            useful=Count("feedback", filter=Q(feedback__usefulness__gte=4)),
        )
        .order_by("starts_at", "pk")
    )
    rows = []
    for s in sets:
        answers, useful = suppress_count(s.answers), suppress_count(s.useful)
        share = f"{round(100 * useful / answers)}%" if answers and useful is not None else SUPPRESSED
        rows.append({"title": s.title, "starts_at": s.starts_at, "answers": _shown(s.answers), "useful": share})
    return rows


def figure(rows, rounds) -> dict:
    """Share who found each part helpful, one bar series per round; suppressed cells are left out."""

    def number(text: str):
        return int(text.rstrip("%")) if text.endswith("%") else None

    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "name": r.label,
                "y": [row["label"] for row in rows],
                "x": [number(row["cells"][i]["helpful"]) for row in rows],
                "hovertemplate": "%{y}: %{x}% helpful<extra>" + r.label + "</extra>",
            }
            for i, r in enumerate(rounds)
        ],
        "layout": {
            "barmode": "group",
            "xaxis": {
                "title": {"text": "Found it helpful or very helpful (% of those who used it)"},
                "range": [0, 100],
            },
            "yaxis": {"autorange": "reversed", "automargin": True},
            "height": max(360, 28 * len(rows) * max(len(rounds), 1) + 160),
            "margin": {"l": 10, "r": 20, "t": 30, "b": 60},
            "legend": {"orientation": "h", "y": -0.25},
        },
    }


def approach_page(collaborative) -> dict:
    with scopes_disabled():
        rounds = rounds_until(collaborative.start_date, timezone.localdate())
        rows = part_rows(collaborative, rounds)
        return {
            "collaborative": collaborative,
            "rounds": rounds,
            "rows": rows,
            "figure": figure(rows, rounds) if rounds else None,
            "comments": comments(collaborative, rounds),
            "learning_sets": learning_set_rows(collaborative),
            "answers": _shown(ApproachFeedback.objects.filter(collaborative=collaborative).count()),
            "answer": answer(rows, rounds),
        }


def answer(rows, rounds) -> dict | None:
    """The latest round with shown figures: the parts found most and least helpful."""
    for i in reversed(range(len(rounds))):
        cells = [(row["cells"][i]["helpful"], row["label"]) for row in rows]
        shown = [(int(helpful.rstrip("%")), label) for helpful, label in cells if helpful.endswith("%")]
        if shown:
            shown.sort(key=lambda x: (-x[0], x[1]))
            most, least = shown[0], shown[-1]
            return {"round": rounds[i], "most": most, "least": least, "parts": len(shown), "tied": most[0] == least[0]}
    return None
