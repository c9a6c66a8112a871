"""A case study's measure charts: raw for those who may see the organisation, suppressed for everyone else.

Outside its own organisation a figure follows the disclosure rules (DESIGN.md
section 6): counts under 5 are suppressed and others rounded to 5; a rate or
proportion is computed from the rounded counts and suppressed when either is;
a plain value that counts people or events (a whole number, or a unit that
names people or events) is suppressed like a count.
"""

from __future__ import annotations

from django_scopes import scopes_disabled

from measures.disclosure import display, suppress_count

PERIODS = 36
COUNT_UNITS = {
    "people",
    "patients",
    "referrals",
    "admissions",
    "contacts",
    "events",
    "incidents",
    "cases",
    "detentions",
}


def _raw(point, scale: float) -> float | None:
    figure = point.figure
    return None if figure is None else figure * scale


def _suppressed(point, measure, scale: float) -> float | None:
    if point.numerator is not None and point.denominator:
        numerator, denominator = suppress_count(point.numerator), suppress_count(point.denominator)
        if numerator is None or denominator is None:
            return None
        return numerator / denominator * scale
    if point.value is None:
        return None
    value = float(point.value)
    if value.is_integer() or (measure.unit or "").strip().lower() in COUNT_UNITS:
        return suppress_count(round(value)) if value >= 0 else None
    return round(value, 1)


def _scale(measure) -> tuple[float, str]:
    if measure.value_type == "proportion":
        return 100.0, "%"
    if measure.value_type == "rate":
        return float(measure.rate_per or 1), f" per {measure.rate_per:,}" if measure.rate_per else ""
    return 1.0, f" {measure.unit}" if measure.unit else ""


def measure_panels(case_study, *, raw: bool) -> list[dict]:
    """For each included measure: its name, a plotly figure and the table of the same figures."""
    from measures.models import DataPoint

    # The case study was shared by its organisation: read its measures' data outside the viewer's scope,
    # then show raw figures only to those who may see the organisation.
    with scopes_disabled():
        measures = list(case_study.measures.order_by("code"))
        points = list(
            DataPoint.objects.filter(measure__in=measures, stratum="all").order_by("measure_id", "-period_start")
        )
    by_measure: dict[int, list] = {}
    for point in points:
        rows = by_measure.setdefault(point.measure_id, [])
        if len(rows) < PERIODS:
            rows.append(point)
    panels = []
    for measure in measures:
        scale, unit = _scale(measure)
        rows = list(reversed(by_measure.get(measure.pk, [])))
        figures = [_raw(p, scale) if raw else _suppressed(p, measure, scale) for p in rows]
        panels.append(
            {
                "measure": measure,
                "unit": unit,
                "rows": [
                    (p.period_start, display(None if f is None else round(f, 1)))
                    for p, f in zip(rows, figures, strict=True)
                ],
                "figure": {
                    "data": [
                        {
                            "type": "scatter",
                            "mode": "lines+markers",
                            "x": [p.period_start.isoformat() for p in rows],
                            "y": figures,
                            "name": measure.name,
                            "line": {"color": "#005eb8"},
                            "connectgaps": False,
                        }
                    ],
                    "layout": {"showlegend": False, "yaxis": {"title": {"text": unit.strip() or measure.unit_display}}},
                    "config": {"displayModeBar": False},
                },
            }
        )
    return panels
