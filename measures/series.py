"""From stored data points to charts: series with gaps, the chart a measure needs, equality gaps."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from qi_projects import equality

from . import disclosure, spc
from . import periods as P
from .charts import ASSURANCE_TEXT, RULE_NAMES, VARIATION_TEXT

MIN_SPC_POINTS = 10  # fewer present points than this: a run chart, not limits that mean little


@dataclass
class Series:
    """One stratum's figures, one per period from the first to the last, None where missing."""

    stratum: str
    periods: list[date]
    numerators: list[int | None]
    denominators: list[int | None]
    values: list[float | None]

    @property
    def present(self) -> int:
        return sum(v is not None for v in self.figures)

    @property
    def figures(self) -> list[float | None]:
        if any(v is not None for v in self.values):
            return self.values
        return [n / d if n is not None and d else None for n, d in zip(self.numerators, self.denominators, strict=True)]


@dataclass
class ChartResult:
    kind: str  # "p", "u", "xmr" or "run"
    series: Series
    chart: spc.Chart | None = None
    run: spc.RunChart | None = None
    rules: str = "mdc"
    scale: float = 1.0
    unit: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def variation(self):
        return self.chart.variation if self.chart else None

    @property
    def assurance(self):
        return self.chart.assurance if self.chart else None

    @property
    def variation_text(self) -> str:
        return VARIATION_TEXT.get(self.variation, VARIATION_TEXT[None])

    @property
    def assurance_text(self) -> str:
        return ASSURANCE_TEXT.get(self.assurance, ASSURANCE_TEXT[None])

    @property
    def rule_name(self) -> str:
        return RULE_NAMES["anhoej"] if self.kind == "run" else RULE_NAMES.get(self.rules, self.rules)


def build_series(points, frequency: str, *, first: date | None = None, last: date | None = None) -> dict[str, Series]:
    """Group data points by stratum on one shared period axis (gaps stay gaps)."""
    by_stratum: dict[str, dict[date, object]] = defaultdict(dict)
    days = set()
    for point in points:
        by_stratum[point.stratum][point.period_start] = point
        days.add(point.period_start)
    if not days:
        return {}
    axis = P.series(frequency, first or min(days), last or max(days))
    result = {}
    for stratum, rows in by_stratum.items():
        result[stratum] = Series(
            stratum=stratum,
            periods=axis,
            numerators=[getattr(rows.get(d), "numerator", None) for d in axis],
            denominators=[getattr(rows.get(d), "denominator", None) for d in axis],
            values=[float(rows[d].value) if d in rows and rows[d].value is not None else None for d in axis],
        )
    return result


def scale_and_unit(measure) -> tuple[float, str]:
    """How a stored fraction is shown: proportions as %, rates per N, values in their unit."""
    if measure.value_type == "proportion":
        return 100.0, "%"
    if measure.value_type == "rate":
        return float(measure.rate_per or 1), f" per {measure.rate_per:,}" if measure.rate_per else ""
    return 1.0, f" {measure.unit}" if measure.unit else ""


def published(measure, numerator: int | None, denominator: int | None, value) -> disclosure.Published:
    """A data point of this measure as a suppressed view shows it, in the measure's unit."""
    scale, unit = scale_and_unit(measure)
    return disclosure.publish(
        numerator, denominator, value, scale=scale, unit=unit, value_is_count=measure.value_is_count
    )


def chart_for(measure, series: Series, settings=None) -> ChartResult:
    """The chart the measure's settings ask for, or the right one for its kind of data."""
    chosen = getattr(settings, "chart_type", "auto") or "auto"
    rules = getattr(settings, "rules", "mdc") or "mdc"
    if chosen == "auto":
        chosen = {"proportion": "p", "rate": "u"}.get(measure.value_type, "xmr")
    scale, unit = scale_and_unit(measure)
    target = float(measure.target) / scale if measure.target is not None else None
    result = ChartResult(kind=chosen, series=series, rules=rules, scale=scale, unit=unit)
    if chosen != "run" and series.present < MIN_SPC_POINTS:
        result.notes.append(
            f"Only {series.present} periods have data: a run chart is shown until there are {MIN_SPC_POINTS}."
        )
        chosen = result.kind = "run"
    if chosen == "run":
        result.run = spc.run_chart(series.figures)
        return result
    rebase = tuple(i for i, d in enumerate(series.periods) if d.isoformat() in set(getattr(settings, "rebase_on", [])))
    kwargs = {
        "improvement": measure.improvement,
        "fix_after": getattr(settings, "fix_after", None),
        "rebase": rebase,
        "target": target,
        "rules": rules,
    }
    if chosen in ("p", "u") and any(n is not None for n in series.numerators):
        laney = bool(getattr(settings, "laney", False))
        function = spc.p_chart if chosen == "p" else spc.u_chart
        result.chart = function(series.numerators, series.denominators, laney=laney, **kwargs)
    else:
        result.kind = "xmr"
        result.chart = spc.xmr_chart(series.figures, **kwargs)
    return result


@dataclass
class Gap:
    focus: str
    reference: str
    periods: list[date]
    focus_rates: list[float | None]
    reference_rates: list[float | None]
    difference: list[float | None]
    ratio: list[float | None]
    chart: spc.Chart | None
    narrowing: str  # plain words: what the SPC on the difference says

    @property
    def focus_label(self) -> str:
        return equality.stratum_label(self.focus)

    @property
    def reference_label(self) -> str:
        return equality.stratum_label(self.reference)


def equality_gap(measure, by_stratum: dict[str, Series], focus: str, reference: str) -> Gap | None:
    """The focus group against the reference group, period by period, with SPC on the difference.

    Whether the gap narrowing is good depends on which group is better off;
    we call it narrowing when the absolute difference shrinks by signal.
    """
    if focus not in by_stratum or reference not in by_stratum:
        return None
    f, r = by_stratum[focus], by_stratum[reference]
    fr, rr = f.figures, r.figures
    difference = [a - b if a is not None and b is not None else None for a, b in zip(fr, rr, strict=True)]
    ratio = [a / b if a is not None and b not in (None, 0) else None for a, b in zip(fr, rr, strict=True)]
    present = [d for d in difference if d is not None]
    chart = None
    narrowing = "Not enough periods with both groups to judge the gap."
    if len(present) >= MIN_SPC_POINTS:
        sign = 1 if sum(present[: len(present) // 2]) >= 0 else -1
        # Narrowing means moving towards zero: for a positive gap that is a decrease.
        chart = spc.xmr_chart(difference, improvement="decrease" if sign > 0 else "increase")
        narrowing = {
            "special_cause_improvement": "The gap is narrowing: a signal, not chance.",
            "special_cause_concern": "The gap is widening: a signal, not chance.",
            "common_cause": "No signal: the gap is not changing beyond chance.",
        }.get(chart.variation, narrowing)
    return Gap(focus, reference, f.periods, fr, rr, difference, ratio, chart, narrowing)
