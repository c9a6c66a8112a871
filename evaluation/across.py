"""Series and signals across organisations, for `/evaluation/series/` (reads measures and PDSA).

Each enrolled organisation's measures, under the organisation's evaluation
label, filtered by a programme change idea (the measures that track a local
copy of it or measure one of the copy's PDSA cycles), an equality dimension
(the measures broken down by it) and a measure library entry (the copies of
it). Each measure shows its latest variation and assurance icons, its most
recent special-cause signal, its sustained-improvement result and its
equality gap's (`evaluation.evidence`), and a small table of its latest
periods as a suppressed view publishes them (`measures.series.published`:
counts under 5 are `*`, others rounded to 5, rates from the rounded counts).
The gap in that table is the focus group's published figure minus the
reference group's, so it tells nothing the rounded counts do not, and is `*`
when either is.

The list is sorted by label and paginated (`PAGE_SIZE` measures a page): only
the page's measures are charted, so the work and the query count of a page do
not grow with the number of organisations.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Q
from django_scopes import scopes_disabled

from measures import disclosure
from measures import periods as P
from measures.charts import SIGNAL_WORDS, TYPE_WORDS
from measures.models import DataPoint, Measure, MeasureTemplate
from measures.series import ChartResult, cached_charts, gap_unit, published
from qi_projects import equality
from qi_projects.models import ChangeTheoryElement, Kind, ProgrammeChangeTheory, ProgrammeElement
from qi_projects.pdsa.models import PdsaCycle

from . import answers, evidence, pseudonyms

PAGE_SIZE = 20
LATEST = 6  # periods in each measure's table


@dataclass(frozen=True)
class Choices:
    """What the filters offer: (value, label) pairs, values as the query string carries them."""

    ideas: list[tuple[str, str]]
    dimensions: list[tuple[str, str]]
    library: list[tuple[str, str]]


def choices(collaborative) -> Choices:
    """The programme's change ideas, the equality dimensions, the measure library (two queries)."""
    with scopes_disabled():
        theory = ProgrammeChangeTheory.objects.filter(collaborative=collaborative).first()
        ideas = []
        if theory is not None:
            elements = ProgrammeElement.objects.filter(diagram=theory, kind=Kind.CHANGE_IDEA, removed_at=None)
            ideas = [
                (str(pk), text)
                for pk, text in elements.order_by(
                    "parent__parent__position", "parent__position", "position", "pk"
                ).values_list("pk", "text")
            ]
        library = MeasureTemplate.objects.filter(collaborative=collaborative).order_by("code")
        library_choices = [(str(pk), f"{code} {name}") for pk, code, name in library.values_list("pk", "code", "name")]
    dimensions = [(d.code, d.label) for d in equality.DIMENSIONS.values()]
    return Choices(ideas, dimensions, library_choices)


def _idea_filter(collaborative, idea_id: int, organisation_ids) -> Q:
    copies = ChangeTheoryElement.objects.filter(
        source_id=idea_id,
        source__diagram__collaborative=collaborative,
        kind=Kind.CHANGE_IDEA,
        organisation_id__in=organisation_ids,
        removed_at=None,
    ).values("pk")
    cycles = PdsaCycle.measures.through.objects.filter(pdsacycle__change_idea_id__in=copies).values("measure_id")
    return Q(tracks_id__in=copies) | Q(pk__in=cycles)


def selected(collaborative, *, idea: int | None = None, dimension: str = "", library: int | None = None) -> list:
    """(label, code, measure id) of every measure that matches and has data, sorted by label (one query).

    Labels are keyed hashes worked out in Python, so the sort (and the page cut from it) happens here;
    a thousand measures are a thousand small tuples.
    """
    labels = pseudonyms.enrolled_labels(collaborative)
    with scopes_disabled():
        organisation_ids = answers.enrolled(collaborative).values("organisation_id")
        measures = Measure.objects.filter(organisation_id__in=organisation_ids).filter(
            Exists(DataPoint.objects.filter(measure_id=OuterRef("pk"), stratum="all"))
        )
        if dimension:
            measures = measures.filter(dimension=dimension)
        if library:
            measures = measures.filter(library_source_id=library)
        if idea:
            measures = measures.filter(_idea_filter(collaborative, idea, organisation_ids))
        found = list(measures.values_list("organisation_id", "code", "pk"))
    rows = [(labels.get(org, ""), code, pk, org) for org, code, pk in found]
    rows.sort()
    return rows


@dataclass
class SeriesRow:
    organisation: str
    measure: Measure
    chart: ChartResult | None
    signal: str
    whole: answers.Verdict | None = None
    gap: answers.Verdict | None = None
    gap_groups: str = ""
    gap_unit: str = ""
    table: list[dict] = field(default_factory=list)


def latest_signal(result: ChartResult, frequency: str) -> str:
    """The most recent special cause on the chart, when and what it was, in words (no figure of the data)."""
    if result.run is not None:
        return result.run_text
    points = result.chart.points
    for period, point in zip(reversed(result.series.periods), reversed(points), strict=True):
        if point.special_cause:
            text = f"{P.label(frequency, period)}: {SIGNAL_WORDS[point.special_cause]}"
            if point.point_type in TYPE_WORDS:
                text += f" ({TYPE_WORDS[point.point_type]})"
            return text
    return "No special cause: common cause variation throughout"


def _figure(measure, numerator, denominator, value) -> float | None:
    """A point's published figure as a number in the measure's unit (None when suppressed)."""
    shown = published(measure, numerator, denominator, value)
    if measure.has_fraction or numerator is not None:
        return shown.rate
    return None if shown.value is None else float(shown.value)


def _group_points(measures, pairs) -> dict[tuple[int, str], dict[date, tuple]]:
    """(measure id, stratum) -> period -> (numerator, denominator, value), for the focus and reference groups."""
    wanted = Q()
    for m in measures:
        if m.pk in pairs:
            wanted |= Q(measure_id=m.pk, stratum__in=pairs[m.pk])
    found: dict[tuple[int, str], dict[date, tuple]] = defaultdict(dict)
    if not wanted:
        return found
    rows = DataPoint.objects.filter(wanted).values_list(
        "measure_id", "stratum", "period_start", "numerator", "denominator", "value"
    )
    for measure_id, stratum, period, numerator, denominator, value in rows:
        found[(measure_id, stratum)][period] = (numerator, denominator, value)
    return found


def _gap_text(measure, focus: tuple | None, reference: tuple | None) -> str:
    if focus is None or reference is None:
        return "–"
    difference = disclosure.suppress_difference(_figure(measure, *focus), _figure(measure, *reference))
    return disclosure.display(difference, "+,.1f")


def series_table(measure, result: ChartResult, groups=None) -> list[dict]:
    """The latest `LATEST` periods with data, newest first, as a suppressed view publishes them."""
    s = result.series
    present = [i for i, v in enumerate(s.figures) if v is not None][-LATEST:]
    rows = []
    for i in reversed(present):
        shown = published(measure, s.numerators[i], s.denominators[i], s.values[i])
        row = {
            "period": P.label(measure.frequency, s.periods[i]),
            "period_start": s.periods[i],
            "numerator": shown.numerator_text,
            "denominator": shown.denominator_text,
            "figure": shown.figure_text,
        }
        if groups is not None:
            focus, reference = groups
            row["gap"] = _gap_text(measure, focus.get(s.periods[i]), reference.get(s.periods[i]))
        rows.append(row)
    return rows


def _row(label, measure, chart, ev, pair, points) -> SeriesRow:
    row = SeriesRow(label, measure, chart, latest_signal(chart, measure.frequency))
    if ev is not None:
        row.whole = answers.verdict(ev.result, ev, ev.shift_period, chart_name=ev.chart_name)
        if ev.gap is not None:
            row.gap = answers.verdict(ev.gap, ev, ev.gap_shift_period, chart_name=answers.GAP_CHART)
    groups = None
    if pair is not None:
        focus, reference = pair
        groups = (points.get((measure.pk, focus), {}), points.get((measure.pk, reference), {}))
        row.gap_groups = f"{equality.stratum_label(focus)} minus {equality.stratum_label(reference)}"
        row.gap_unit = gap_unit(measure)
    row.table = series_table(measure, chart, groups)
    return row


def rows_for(page_rows) -> list[SeriesRow]:
    """The rows of one page: charts, evidence and the groups' points of its measures only (a fixed number of
    queries whatever the page holds)."""
    labels = {pk: label for label, _, pk, _ in page_rows}
    with scopes_disabled():
        measures = list(Measure.objects.filter(pk__in=labels).select_related("chart_settings"))
        charts = cached_charts(measures)
        found = evidence.evidence_for(measures)
        pairs = evidence.focus_pairs(measures)
        points = _group_points(measures, pairs)
    by_pk = {m.pk: m for m in measures}
    result = []
    for label, _, pk, _ in page_rows:
        measure = by_pk.get(pk)
        if measure is None or pk not in charts:
            continue
        result.append(_row(label, measure, charts[pk], found.get(pk), pairs.get(pk), points))
    return result


def series_page(collaborative, *, page=None, **filters) -> dict:
    matching = selected(collaborative, **filters)
    current = Paginator(matching, PAGE_SIZE).get_page(page)
    return {
        "collaborative": collaborative,
        "latest": LATEST,
        "page": current,
        "rows": rows_for(current.object_list),
        "measures": len(matching),
        "organisations": len({org for *_, org in matching}),
    }
