"""Plotly figures for the programme, as plain dicts (drawn by static/js/charts.js)."""

import html
from datetime import date

PHASE_COLOURS = {1: "#005eb8", 2: "#007f3b", 3: "#330072"}
PHASE_NAMES = {1: "Local design", 2: "Testing and scaling up", 3: "Sustaining"}
MS_PER_DAY = 86_400_000


def timeline_figure(rows: list[dict], today: date, height: int | None = None) -> dict:
    """Each organisation's three phases: planned (pale) and actual (solid), with a line at today."""
    traces = []
    for number in (1, 2, 3):
        planned = {"y": [], "base": [], "x": [], "text": []}
        actual = {"y": [], "base": [], "x": [], "text": []}
        for row in rows:
            name = html.escape(row["organisation"].name)  # plotly draws markup in tick labels
            for phase in row["phases"]:
                if phase.number != number:
                    continue
                planned["y"].append(name)
                planned["base"].append(phase.planned_start.isoformat())
                planned["x"].append(((phase.planned_end - phase.planned_start).days + 1) * MS_PER_DAY)
                planned["text"].append(
                    f"{PHASE_NAMES[number]} planned {phase.planned_start:%d %b %Y} to {phase.planned_end:%d %b %Y}"
                )
                if phase.actual_start:
                    end = phase.actual_end or today
                    actual["y"].append(name)
                    actual["base"].append(phase.actual_start.isoformat())
                    actual["x"].append(max((end - phase.actual_start).days + 1, 1) * MS_PER_DAY)
                    state = f"ended {phase.actual_end:%d %b %Y}" if phase.actual_end else "under way"
                    actual["text"].append(f"{PHASE_NAMES[number]} started {phase.actual_start:%d %b %Y}, {state}")
        common = {"type": "bar", "orientation": "h", "hoverinfo": "text", "textposition": "none"}
        traces.append(
            {
                **common,
                **planned,
                "name": f"{PHASE_NAMES[number]} (planned)",
                "marker": {"color": PHASE_COLOURS[number], "opacity": 0.25},
                "width": 0.8,
            }
        )
        traces.append(
            {
                **common,
                **actual,
                "name": f"{PHASE_NAMES[number]} (actual)",
                "marker": {"color": PHASE_COLOURS[number]},
                "width": 0.4,
            }
        )
    return {
        "data": traces,
        "layout": {
            "barmode": "overlay",
            "height": height or max(260, 60 + 42 * len(rows)),
            "margin": {"l": 10, "r": 10, "t": 30, "b": 40},
            "xaxis": {"type": "date"},
            "yaxis": {"automargin": True, "autorange": "reversed"},
            "legend": {"orientation": "h", "y": -0.2},
            "shapes": [
                {
                    "type": "line",
                    "xref": "x",
                    "yref": "paper",
                    "x0": today.isoformat(),
                    "x1": today.isoformat(),
                    "y0": 0,
                    "y1": 1,
                    "line": {"color": "#d5281b", "dash": "dot"},
                }
            ],
            "annotations": [
                {
                    "x": today.isoformat(),
                    "y": 1,
                    "xref": "x",
                    "yref": "paper",
                    "text": "Today",
                    "showarrow": False,
                    "yanchor": "bottom",
                }
            ],
        },
        "config": {"displayModeBar": False},
    }
