"""Plotly figures for SPC charts, as plain dicts drawn by static/js/charts.js.

Colours are Making Data Count's. Each period's mean and process limits are
drawn separately (broken at rebases) and dashed while they are trial limits.
Hover text says in plain words what a point means.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from . import spc

GREY, BLUE, ORANGE, PURPLE, RED = "#a6a6a6", "#00b0f0", "#e46c0a", "#490092", "#de1b1b"
POINT_COLOURS = {
    None: GREY,
    "common_cause": GREY,
    "special_cause_improvement": BLUE,
    "special_cause_concern": ORANGE,
    "special_cause_neutral_high": PURPLE,
    "special_cause_neutral_low": PURPLE,
}
SIGNAL_WORDS = {
    "above_upper": "above the upper process limit",
    "below_lower": "below the lower process limit",
    "trend_increasing": "part of a run of 7 or more rising points",
    "trend_decreasing": "part of a run of 7 or more falling points",
    "two_in_three_above": "2 of 3 points close to the upper limit",
    "two_in_three_below": "2 of 3 points close to the lower limit",
    "run_above": "part of 7 or more points in a row above the mean",
    "run_below": "part of 7 or more points in a row below the mean",
}
TYPE_WORDS = {
    "special_cause_improvement": "improvement",
    "special_cause_concern": "concern",
    "special_cause_neutral_high": "unusually high",
    "special_cause_neutral_low": "unusually low",
}
VARIATION_TEXT = {
    "common_cause": "Common cause variation: no signal of change",
    "special_cause_improvement": "Special cause variation: improvement",
    "special_cause_concern": "Special cause variation: concern",
    "special_cause_neutral_high": "Special cause variation: unusually high (no direction set)",
    "special_cause_neutral_low": "Special cause variation: unusually low (no direction set)",
    None: "Not enough data for a signal",
}
ASSURANCE_TEXT = {
    "consistent_pass": "The process will consistently meet the target",
    "consistent_fail": "The process will not meet the target without change",
    "inconsistent": "The process will sometimes meet the target and sometimes not",
    None: "No target, or no direction: no assurance",
}
RULE_NAMES = {
    "mdc": "NHS England Making Data Count rules, with the November 2023 change: two of three points "
    "close to a limit, counting points beyond it",
    "mdc-pre2023": "NHS England Making Data Count rules as before November 2023: two of three points "
    "between the near-limit band and a limit",
    "anhoej": "the Anhøj rules for run charts: an unusually long run on one side of the median, "
    "or unusually few crossings of it",
}
CHART_NAMES = {
    "p": "a p chart: the proportion each period, with limits that widen when fewer people are counted",
    "u": "a u chart: the rate each period, with limits that widen when the base is smaller",
    "xmr": "an XmR chart: each value, with limits from the usual change between periods",
    "run": "a run chart: each value against the median, until there are enough points for limits",
}
HIGH_CAUSES = {"above_upper", "trend_increasing", "two_in_three_above", "run_above"}


@dataclass(frozen=True)
class Annotation:
    """A marker on the chart: a PDSA cycle's start or a phase change."""

    on: date
    label: str
    detail: str
    kind: str = "pdsa"  # "pdsa" or "phase"
    url: str = ""  # the page the marker links to (a PDSA cycle's)
    number: int | None = None  # PDSA markers are numbered 1, 2, 3... in date order on each chart


def numbered(annotations) -> list[Annotation]:
    """The annotations in date order, PDSA cycles numbered 1, 2, 3... as the chart and table show them."""
    notes, n = [], 0
    for note in sorted(annotations, key=lambda a: (a.on, a.kind != "phase", a.label)):
        if note.kind == "pdsa":
            n += 1
            note = replace(note, number=n)
        notes.append(note)
    return notes


def _stagger(annotations, days: int) -> list[int]:
    """A level per marker so that markers closer than `days` apart stack instead of merging into a bar."""
    levels, last = [], {}
    for note in annotations:
        level = 0
        while level in last and (note.on - last[level]).days < days:
            level += 1
        last[level] = note.on
        levels.append(level)
    return levels


def plain(text: str) -> str:
    """Text a person typed, made safe for plotly's own markup: plotly draws `<a href>`, `<b>`
    and `<br>` inside hover labels, titles and tick labels, so every `<` and `&` is an entity."""
    return html.escape(str(text), quote=True)


def point_words(point, scale: float = 1.0, unit: str = "") -> str:
    if point.value is None:
        return "No data for this period (a gap, not zero)"
    text = f"{_fmt(point.value * scale)}{unit}"
    if point.special_cause:
        text += f": {SIGNAL_WORDS[point.special_cause]}"
        if point.point_type in TYPE_WORDS:
            text += f", {TYPE_WORDS[point.point_type]}"
    else:
        text += ": common cause variation"
    if point.trial:
        text += " (trial limits)"
    return text


def _fmt(value: float) -> str:
    return f"{value:,.1f}" if abs(value) < 1000 else f"{value:,.0f}"


def spc_figure(
    chart: spc.Chart,
    periods: Sequence[date],
    *,
    title: str = "",
    scale: float = 1.0,
    unit: str = "",
    annotations: Sequence[Annotation] = (),
) -> dict:
    """An SPC chart: points coloured by type, limits per period, target, annotations."""
    x = [p.isoformat() for p in periods]
    points = chart.points

    def scaled(v):
        return None if v is None else v * scale

    traces: list[dict] = [
        {
            "type": "scatter",
            "mode": "lines",
            "x": x,
            "y": [scaled(p.value) for p in points],
            "line": {"color": GREY, "width": 1.5},
            "hoverinfo": "skip",
            "showlegend": False,
            "connectgaps": False,
        }
    ]
    for name, key, dash_when_final in (("Mean", "mean", "solid"), ("Process limits", "upper", "dot")):
        for period in chart.periods:
            segment = range(period.start, period.end + 1)
            dash = "dash" if period.trial else dash_when_final
            for attribute in [key] if key == "mean" else ["upper", "lower"]:
                traces.append(
                    {
                        "type": "scatter",
                        "mode": "lines",
                        "x": [x[i] for i in segment],
                        "y": [scaled(getattr(points[i], attribute)) for i in segment],
                        "line": {
                            "color": "#231f20" if key == "mean" else "#7f7f7f",
                            "dash": dash,
                            "width": 1.5 if key == "mean" else 1,
                            "shape": "hv" if chart.chart_type != "xmr" else "linear",
                        },
                        "name": name + (" (trial)" if period.trial else ""),
                        "legendgroup": name,
                        "showlegend": period.index == 0 and attribute != "lower",
                        "hoverinfo": "skip",
                    }
                )
    traces.append(
        {
            "type": "scatter",
            "mode": "markers",
            "x": x,
            "y": [scaled(p.value) for p in points],
            "marker": {"color": [POINT_COLOURS.get(p.point_type, GREY) for p in points], "size": 8},
            "text": [f"{periods[i]:%b %Y}: {plain(point_words(p, scale, unit))}" for i, p in enumerate(points)],
            "hoverinfo": "text",
            "name": "Data",
            "showlegend": False,
        }
    )
    shapes = []
    if chart.target is not None:
        shapes.append(
            {
                "type": "line",
                "xref": "paper",
                "x0": 0,
                "x1": 1,
                "yref": "y",
                "y0": chart.target * scale,
                "y1": chart.target * scale,
                "line": {"color": RED, "dash": "dash", "width": 1.5},
            }
        )
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": [None],
                "y": [None],
                "name": "Target",
                "line": {"color": RED, "dash": "dash"},
                "hoverinfo": "skip",
            }
        )
    if annotations:
        values = [p.value * scale for p in points if p.value is not None]
        top = max(values) if values else 1
        for note in annotations:
            shapes.append(
                {
                    "type": "line",
                    "xref": "x",
                    "yref": "paper",
                    "x0": note.on.isoformat(),
                    "x1": note.on.isoformat(),
                    "y0": 0,
                    "y1": 1,
                    "line": {"color": "#005eb8" if note.kind == "pdsa" else "#330072", "dash": "dot", "width": 1},
                }
            )
        traces += _annotation_traces(annotations, top, periods)
    return {
        "data": traces,
        "layout": {
            "title": {"text": plain(title)} if title else None,
            "height": 380,
            "margin": {"l": 50, "r": 10, "t": 40 if title else 10, "b": 40},
            "xaxis": {"type": "date"},
            "yaxis": {
                "title": {"text": plain(unit.strip())},
                "rangemode": "tozero" if chart.chart_type != "xmr" else None,
            },
            "shapes": shapes,
            "legend": {"orientation": "h", "y": -0.15},
            "hovermode": "closest",
        },
        "config": {"displayModeBar": False},
    }


def _annotation_traces(annotations, top: float, periods) -> list[dict]:
    """Numbered PDSA markers and phase-change diamonds, each with its own legend entry; a marker
    carries its cycle's address (customdata) so that clicking it opens the cycle."""
    span = max((periods[-1] - periods[0]).days, 1) if periods else 365
    levels = dict(zip(map(id, annotations), _stagger(annotations, max(span // 40, 1)), strict=True))
    traces = []
    for kind, name, symbol, colour in (
        ("pdsa", "PDSA cycles (numbered; click to open)", "circle", "#005eb8"),
        ("phase", "Phase changes", "diamond", "#330072"),
    ):
        notes = [n for n in annotations if n.kind == kind]
        if not notes:
            continue
        traces.append(
            {
                "type": "scatter",
                "mode": "markers+text" if kind == "pdsa" else "markers",
                "x": [n.on.isoformat() for n in notes],
                "y": [top * (1.08 + 0.07 * levels[id(n)]) for n in notes],
                "name": name,
                "marker": {"symbol": symbol, "size": 18 if kind == "pdsa" else 13, "color": colour},
                "text": [str(n.number) for n in notes] if kind == "pdsa" else None,
                "textfont": {"color": "#ffffff", "size": 11},
                "textposition": "middle center",
                "hovertext": [f"{n.on:%d %b %Y}: {plain(n.label)}<br>{plain(n.detail)}" for n in notes],
                "hoverinfo": "text",
                "customdata": [n.url for n in notes],
                "cliponaxis": False,
            }
        )
    return traces


def run_figure(run: spc.RunChart, periods: Sequence[date], *, scale=1.0, unit="", annotations=()) -> dict:
    """A run chart with its median, for series too short for SPC limits."""
    x = [p.isoformat() for p in periods]
    y = [None if v is None else v * scale for v in run.points]
    traces = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "x": x,
            "y": y,
            "name": "Data",
            "line": {"color": GREY},
            "marker": {"color": GREY, "size": 8},
            "connectgaps": False,
            "text": [
                f"{periods[i]:%b %Y}: " + ("no data (a gap)" if v is None else plain(f"{_fmt(v)}{unit}"))
                for i, v in enumerate(y)
            ],
            "hoverinfo": "text",
        },
    ]
    if run.median is not None:
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": [x[0], x[-1]],
                "y": [run.median * scale] * 2,
                "name": "Median",
                "line": {"color": "#231f20"},
                "hoverinfo": "skip",
            }
        )
    if annotations:
        values = [v for v in y if v is not None]
        traces += _annotation_traces(list(annotations), max(values) if values else 1, periods)
    return {
        "data": traces,
        "layout": {
            "height": 340,
            "margin": {"l": 50, "r": 10, "t": 10, "b": 40},
            "xaxis": {"type": "date"},
            "legend": {"orientation": "h", "y": -0.2},
        },
        "config": {"displayModeBar": False},
    }


def gap_figures(gap, scale: float) -> dict:
    """The two groups' rates over time, and SPC on the difference between them when there is one."""
    x = [p.isoformat() for p in gap.periods]

    def sc(values):
        return [None if v is None else v * scale for v in values]

    data = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "x": x,
            "y": sc(gap.focus_rates),
            "name": gap.focus_label,
            "line": {"color": "#005eb8"},
            "connectgaps": False,
        },
        {
            "type": "scatter",
            "mode": "lines+markers",
            "x": x,
            "y": sc(gap.reference_rates),
            "name": gap.reference_label,
            "line": {"color": "#768692"},
            "connectgaps": False,
        },
    ]
    figure = {
        "data": data,
        "layout": {
            "height": 320,
            "margin": {"l": 50, "r": 10, "t": 10, "b": 40},
            "xaxis": {"type": "date"},
            "legend": {"orientation": "h", "y": -0.2},
        },
        "config": {"displayModeBar": False},
    }
    if gap.chart is not None:
        figure_gap = spc_figure(gap.chart, gap.periods, scale=scale)
        return {"groups": figure, "difference": figure_gap}
    return {"groups": figure, "difference": None}
