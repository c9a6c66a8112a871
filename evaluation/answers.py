"""What the evaluation area's pages show, one function a page, for one collaborative at a time.

Every page here reads across the collaborative's organisations, so each runs
its reads under `scopes_disabled()` (a national-level path, as the programme
board's) and shows organisations only by `pseudonyms.labels` and figures only
through the disclosure rules (`measures.series.published`). The views in
`evaluation/views/questions.py` render what these functions return.
"""

from __future__ import annotations

from django.db.models import Count
from django_scopes import scopes_disabled

from collaborative.models import Enrolment, Phase
from measures.models import DataPoint, Measure
from measures.series import published

from . import pseudonyms


def enrolled(collaborative):
    """The active enrolments of the collaborative (a queryset; call inside `scopes_disabled()`)."""
    return Enrolment.objects.filter(active=True, collaborative=collaborative)


def overview(collaborative, today) -> dict:
    """The evaluation's front page: where the organisations are, and whether names are shown."""
    with scopes_disabled():
        by_phase = dict(
            enrolled(collaborative)
            .with_flags(today)
            .order_by()
            .values_list("current_phase")
            .annotate(n=Count("pk"))
            .values_list("current_phase", "n")
        )
    labels = dict(Phase.Number.choices)
    phase_rows = [(labels[n], by_phase.get(n, 0)) for n in (1, 2, 3)]
    phase_rows.append(("Not in a phase (not started or finished)", by_phase.get(None, 0)))
    return {
        "collaborative": collaborative,
        "phase_rows": phase_rows,
        "organisations": sum(by_phase.values()),
        "names_allowed": collaborative.evaluation_names_allowed,
    }


EXPORT_COLUMNS = [
    "organisation",
    "measure_code",
    "measure_name",
    "period_start",
    "stratum",
    "numerator",
    "denominator",
    "rate",
    "value",
]


def export_rows(collaborative):
    """Every data point of every enrolled organisation, suppressed, organisations by their evaluation label.

    The rate is in its measure's unit and worked out from the rounded counts; a
    value that counts people or events is rounded like a count. Streamed in chunks.
    """
    yield EXPORT_COLUMNS
    labels = pseudonyms.enrolled_labels(collaborative)
    with scopes_disabled():
        organisation_ids = enrolled(collaborative).values("organisation_id")
        measures = Measure.objects.filter(organisation_id__in=organisation_ids).in_bulk()
        points = (
            DataPoint.objects.filter(organisation_id__in=organisation_ids)
            .values_list(
                "organisation_id", "measure_id", "period_start", "stratum", "numerator", "denominator", "value"
            )
            .order_by("organisation_id", "measure__code", "stratum", "period_start")
            .iterator(chunk_size=5000)
        )
        for organisation_id, measure_id, period, stratum, numerator, denominator, value in points:
            measure = measures[measure_id]
            figures = published(measure, numerator, denominator, value)
            label = labels[organisation_id]
            yield [label, measure.code, measure.name, period.isoformat(), stratum, *figures.cells()]
