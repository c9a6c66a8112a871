"""The end-of-programme report of one organisation: everything the page and its PDF show, assembled once.

Aim, focus populations, change theory (drivers and change ideas), each measure's
chart as a small server-side SVG (mean, limits and special-cause points; the PDF
cannot run plotly) with its signal and the sustained-improvement result from
`evaluation.evidence`, what was adopted and spread, sustainability (scores and
plan) and the team's reflections. The organisation's own raw figures: only its
team, coach and the national team see it (`view_workspace`).

A fixed number of queries whatever the number of measures, points and ideas.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from itertools import groupby

from measures import series
from measures.models import Measure
from qi_projects.models import ChangeTheoryElement, FocusPopulation, Kind, Stage, snapshot_tree

from . import evidence as evidence_module
from . import sustainability
from . import sustainability_model as model

SVG_WIDTH, SVG_HEIGHT, PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 640, 210, 6, 6, 24, 40
SPREAD_STAGES = (Stage.SPREADING, Stage.SUSTAINED)

# WeasyPrint logs every step of every render at INFO; only its warnings are worth a log line.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


def pdf(html: str) -> bytes:
    """The report's HTML as a PDF. WeasyPrint is imported here, not at start-up (it is slow to load), and may
    fetch nothing: the report's styles are inline and it has no images, so no address in it is ever opened."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=())).write_pdf()


@dataclass
class SvgChart:
    """A measure's chart as SVG coordinates (strings of x,y pairs), with the scale printed on it."""

    values: list[str] = field(default_factory=list)  # the figures, broken at missing periods
    mean: list[str] = field(default_factory=list)  # one polyline per period of limits
    upper: list[str] = field(default_factory=list)
    lower: list[str] = field(default_factory=list)
    signals: list[tuple[float, float, str]] = field(default_factory=list)  # x, y, "improvement" | "concern" | ...
    top_label: str = ""
    bottom_label: str = ""
    first_period: date | None = None
    last_period: date | None = None
    width: int = SVG_WIDTH
    height: int = SVG_HEIGHT
    plot_right: int = SVG_WIDTH - PAD_RIGHT
    plot_left: int = PAD_LEFT
    plot_bottom: int = SVG_HEIGHT - PAD_BOTTOM


def _segments(xs, ys) -> list[str]:
    """Polylines through the (x, y) pairs, broken where y is None."""
    lines, current = [], []
    for x, y in zip(xs, ys, strict=True):
        if y is None:
            if len(current) > 1:
                lines.append(" ".join(current))
            current = []
            continue
        current.append(f"{x:.1f},{y:.1f}")
    if len(current) > 1:
        lines.append(" ".join(current))
    return lines


def _limit_lines(points, attribute, xs, place) -> list[str]:
    """A mean or limit line, broken where a new period of limits starts (a rebase) and at missing points."""
    lines = []
    for _, group in groupby(range(len(points)), key=lambda i: points[i].period):
        indices = list(group)
        values = [getattr(points[i], attribute) for i in indices]
        lines += _segments([xs[i] for i in indices], [place(v) if v is not None else None for v in values])
    return lines


def svg_chart(result: series.ChartResult) -> SvgChart | None:
    """The whole-population chart drawn as SVG: values, mean and limits (or the run chart's median)."""
    s = result.series
    figures = s.figures
    present = [v for v in figures if v is not None]
    if len(present) < 2:
        return None
    points = list(result.chart.points) if result.chart is not None else []
    extra = [v for p in points for v in (p.upper, p.lower, p.mean) if v is not None]
    if result.run is not None and result.run.median is not None:
        extra.append(result.run.median)
    low, high = min(present + extra), max(present + extra)
    span = (high - low) or 1.0
    width = SVG_WIDTH - PAD_LEFT - PAD_RIGHT
    step = width / max(len(figures) - 1, 1)
    xs = [PAD_LEFT + i * step for i in range(len(figures))]

    def place(v: float) -> float:
        return PAD_TOP + (high - v) / span * (SVG_HEIGHT - PAD_TOP - PAD_BOTTOM)

    chart = SvgChart(
        values=_segments(xs, [place(v) if v is not None else None for v in figures]),
        top_label=_shown(high, result),
        bottom_label=_shown(low, result),
        first_period=s.periods[0] if s.periods else None,
        last_period=s.periods[-1] if s.periods else None,
    )
    if points:
        chart.mean = _limit_lines(points, "mean", xs, place)
        chart.upper = _limit_lines(points, "upper", xs, place)
        chart.lower = _limit_lines(points, "lower", xs, place)
        for p, x in zip(points, xs, strict=False):
            if p.value is not None and p.point_type and p.point_type != "common_cause":
                kind = p.point_type.removeprefix("special_cause_")
                chart.signals.append((round(x, 1), round(place(p.value), 1), kind))
    elif result.run is not None and result.run.median is not None:
        y = place(result.run.median)
        chart.mean = [f"{xs[0]:.1f},{y:.1f} {xs[-1]:.1f},{y:.1f}"]
    return chart


def _shown(value, result) -> str:
    return "" if value is None else f"{round(value * result.scale, 2):g}{result.unit}"


@dataclass
class MeasureSection:
    measure: Measure
    result: series.ChartResult | None
    svg: SvgChart | None
    evidence: object | None  # evaluation.evidence.MeasureEvidence
    latest: str = ""
    latest_period: date | None = None
    mean: str = ""
    limits: str = ""
    points: int = 0


def _measure_section(measure, result, found) -> MeasureSection:
    section = MeasureSection(measure=measure, result=result, svg=None, evidence=found)
    if result is None:
        return section
    s = result.series
    present = [(d, v) for d, v in zip(s.periods, s.figures, strict=True) if v is not None]
    section.points = len(present)
    if present:
        section.latest_period, latest = present[-1]
        section.latest = _shown(latest, result)
    last = next((p for p in reversed(result.chart.points) if p.value is not None), None) if result.chart else None
    if last is not None:
        section.mean = _shown(last.mean, result)
        if last.lower is not None and last.upper is not None:
            section.limits = f"{_shown(last.lower, result)} to {_shown(last.upper, result)}"
    elif result.run is not None:
        section.mean = result.run_median
    section.svg = svg_chart(result)
    return section


@dataclass
class ProjectReport:
    project: object
    focus_populations: list
    tree: object | None  # the live change theory as snapshot_tree gives it
    measures: list[MeasureSection]
    adopted: list  # kept change ideas
    spread: list  # ideas spreading or sustained
    abandoned: int
    sustaining: sustainability.ProjectSustainability

    @property
    def has_data(self) -> bool:
        return any(m.result is not None for m in self.measures)


def _trees(project_ids) -> tuple[dict[int, object], dict[int, list]]:
    """project id -> its live change theory tree, and -> its change ideas: one query."""
    elements = defaultdict(list)
    aims = {}
    ideas = defaultdict(list)
    rows = (
        ChangeTheoryElement.objects.filter(diagram__project_id__in=project_ids, removed_at=None)
        .select_related("diagram")
        .order_by("position", "pk")
    )
    for e in rows:
        project_id = e.diagram.project_id
        aims[project_id] = e.diagram.aim
        elements[project_id].append(
            {"id": e.pk, "kind": e.kind, "parent": e.parent_id, "text": e.text, "position": e.position}
        )
        if e.kind == Kind.CHANGE_IDEA:
            ideas[project_id].append(e)
    trees = {pk: snapshot_tree({"aim": aims[pk], "elements": elements[pk]}) for pk in elements}
    return trees, ideas


def build(organisation) -> dict:
    """The report's context: one `ProjectReport` a project, and whether anything has data."""
    sustaining = sustainability.for_organisation(organisation)
    ids = [item.project.pk for item in sustaining]
    focus = defaultdict(list)
    for population in FocusPopulation.objects.filter(project_id__in=ids).order_by("created_at", "pk"):
        focus[population.project_id].append(population)
    trees, ideas = _trees(ids)
    measures = list(
        Measure.objects.filter(project_id__in=ids).select_related("chart_settings").order_by("kind", "code", "pk")
    )
    versions = series.data_versions(measures)
    charts = series.cached_charts(measures, versions=versions)
    evidence = evidence_module.evidence_for(measures)
    by_project = defaultdict(list)
    for measure in measures:
        by_project[measure.project_id].append(
            _measure_section(measure, charts.get(measure.pk), evidence.get(measure.pk))
        )
    projects = []
    for item in sustaining:
        pk = item.project.pk
        project_ideas = ideas.get(pk, [])
        projects.append(
            ProjectReport(
                project=item.project,
                focus_populations=focus[pk],
                tree=trees.get(pk),
                measures=by_project[pk],
                adopted=[i for i in project_ideas if i.stage in sustainability.KEPT_STAGES],
                spread=[i for i in project_ideas if i.stage in SPREAD_STAGES],
                abandoned=sum(1 for i in project_ideas if i.stage == Stage.ABANDONED),
                sustaining=item,
            )
        )
    return {"projects": projects, "has_data": any(p.has_data for p in projects), "maximum": model.MAXIMUM}
