"""What the evaluation area's pages show, one function a page, for one collaborative at a time.

Every page here reads across the collaborative's organisations, so each runs
its reads under `scopes_disabled()` (a national-level path, as the programme
board's) and shows organisations only by `pseudonyms.labels` and figures only
through the disclosure rules (`measures.series.published`). The views in
`evaluation/views/questions.py` render what these functions return.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Paginator
from django.db.models import Count
from django_scopes import scopes_disabled

from collaborative.models import Enrolment, Phase
from measures import spc
from measures.charts import RULE_NAMES
from measures.models import DataPoint, Measure
from measures.series import published

from . import evidence, pseudonyms, sustained


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


# --- Question 1: have we achieved a sustained improvement? ---------------------------

STATUS_TAGS = {
    sustained.SUSTAINED: "nhsuk-tag--green",
    sustained.NOT_SUSTAINED: "nhsuk-tag--yellow",
    sustained.NO_SHIFT: "nhsuk-tag--grey",
    sustained.WORSE: "nhsuk-tag--red",
    sustained.TOO_FEW: "nhsuk-tag--white",
    sustained.NO_CHANGE: "nhsuk-tag--grey",
    sustained.NO_DIRECTION: "nhsuk-tag--grey",
}
GAP_CHART = "an XmR chart of the gap (the focus group's figure minus the reference group's) each period"
SIGNAL_TEXT = {
    "run_above": f"a run of {spc.RUN_LENGTH} or more points in a row above the baseline mean",
    "run_below": f"a run of {spc.RUN_LENGTH} or more points in a row below the baseline mean",
}


@dataclass(frozen=True)
class Verdict:
    """One sustained-improvement result as the evaluation shows it: no figure of the data in it."""

    status: str
    label: str
    tag: str
    evidence: list[str]

    @property
    def is_sustained(self) -> bool:
        return self.status == sustained.SUSTAINED


def _month(day) -> str:
    return day.strftime("%b %Y") if day else ""


def too_few_text(result: sustained.Sustained) -> str:
    text = f"Too few points: {result.points_after} after the change, {sustained.MIN_POINTS_AFTER} needed"
    if result.points_before < sustained.MIN_POINTS_BEFORE:
        text += f"; {result.points_before} before it, {sustained.MIN_POINTS_BEFORE} needed for a baseline"
    return text + "."


def verdict(result: sustained.Sustained, ev: evidence.MeasureEvidence, shift_period, *, chart_name: str) -> Verdict:
    """The result with its evidence: the chart, the rule set, the dates and the signal, in words."""
    rules = RULE_NAMES.get(result.rules, result.rules)
    lines = [
        f"Chart: {chart_name}.",
        f"Rules: {rules}; judged against the limits fixed at the change (a run of 7, 12 points after it).",
    ]
    if ev.change_on:
        lines.append(
            f"First adopted change {ev.change_on:%-d %b %Y}; the baseline is the points before "
            f"{_month(ev.change_period) or 'it'}."
        )
    if result.status == sustained.TOO_FEW:
        lines.append(too_few_text(result))
    else:
        if result.signal:
            lines.append(f"Signal: {SIGNAL_TEXT.get(result.signal, result.signal)}, from {_month(shift_period)}.")
        if result.points_after:
            lines.append(f"{result.points_after} points after the change, {result.points_before} before.")
        lines.append(result.reason)
    return Verdict(result.status, result.label, STATUS_TAGS[result.status], lines)


def _measures(collaborative):
    with scopes_disabled():
        organisation_ids = enrolled(collaborative).values("organisation_id")
        return list(
            Measure.objects.filter(organisation_id__in=organisation_ids)
            .select_related("chart_settings")
            .order_by("organisation_id", "code", "pk")
        )


def sustained_rows(collaborative) -> list[dict]:
    """One row per measure with data: its organisation's label, the whole population's and the gap's verdicts."""
    measures = _measures(collaborative)
    with scopes_disabled():
        found = evidence.evidence_for(measures)
    labels = pseudonyms.enrolled_labels(collaborative)
    rows = []
    for m in measures:
        ev = found.get(m.pk)
        if ev is None:
            continue
        gap = None
        if ev.gap is not None:
            gap = verdict(ev.gap, ev, ev.gap_shift_period, chart_name=GAP_CHART)
        rows.append(
            {
                "organisation": labels[m.organisation_id],
                "organisation_id": m.organisation_id,
                "measure": m,
                "whole": verdict(ev.result, ev, ev.shift_period, chart_name=ev.chart_name),
                "gap": gap,
                "gap_groups": f"{ev.gap_focus} against {ev.gap_reference}" if ev.gap is not None else "",
            }
        )
    rows.sort(key=lambda r: (r["organisation"], r["measure"].code, r["measure"].pk))
    return rows


def sustained_summary(rows: list[dict]) -> dict:
    """The collaborative's answer in counts of measures and of organisations (never of people)."""
    judged = [r for r in rows if r["whole"].status not in (sustained.NO_CHANGE, sustained.NO_DIRECTION)]
    improved = [r for r in rows if r["whole"].is_sustained]
    gaps = [r for r in rows if r["gap"] is not None and r["gap"].status not in (sustained.NO_CHANGE,)]
    return {
        "measures": len(rows),
        "judged": len(judged),
        "sustained": len(improved),
        "too_few": sum(r["whole"].status == sustained.TOO_FEW for r in rows),
        "organisations": len({r["organisation_id"] for r in rows}),
        "organisations_sustained": len({r["organisation_id"] for r in improved}),
        "gaps": len(gaps),
        "gaps_narrowed": sum(r["gap"].is_sustained for r in gaps),
        "organisations_gap_narrowed": len({r["organisation_id"] for r in gaps if r["gap"].is_sustained}),
    }


SUSTAINED_PAGE_SIZE = 50  # table rows a page: the answer counts every measure, the table shows a page of them


def sustained_page(collaborative, page=None) -> dict:
    rows = sustained_rows(collaborative)
    current = Paginator(rows, SUSTAINED_PAGE_SIZE).get_page(page)
    return {
        "collaborative": collaborative,
        "rows": current.object_list,
        "page": current,
        "summary": sustained_summary(rows),
    }
