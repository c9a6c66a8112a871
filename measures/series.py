"""From stored data points to charts: series with gaps, the chart a measure needs, equality gaps,
and `measure_page`, which assembles everything a measure's chart page shows."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, fields
from datetime import date

from collaborative.registry import change_adoptions, chart_annotations
from qi_projects import equality

from . import disclosure, spc
from . import periods as P
from .charts import (
    ASSURANCE_TEXT,
    CHART_NAMES,
    HIGH_CAUSES,
    RULE_NAMES,
    VARIATION_TEXT,
    Annotation,
    gap_figures,
    numbered,
    point_words,
    run_figure,
    spc_figure,
)

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
    def direction(self) -> str | None:
        """ "high" or "low": which way the latest point's special cause went (the icon points that way)."""
        if not self.chart or self.variation in (None, "common_cause"):
            return None
        last = next((p for p in reversed(self.chart.points) if p.value is not None), None)
        if last is None or last.special_cause is None:
            return None
        return "high" if last.special_cause in HIGH_CAUSES else "low"

    @property
    def variation_text(self) -> str:
        if self.run is not None:
            return self.run_text
        text = VARIATION_TEXT.get(self.variation, VARIATION_TEXT[None])
        if self.direction and self.variation in ("special_cause_improvement", "special_cause_concern"):
            text += ", " + ("higher" if self.direction == "high" else "lower") + " than before"
        return text

    @property
    def run_text(self) -> str:
        run = self.run
        if run.median is None or run.longest_run_max is None:
            return "Not enough data points away from the median to test for a signal yet"
        if run.signal:
            return "A signal: the data has shifted (Anhøj rules)"
        return "No signal: only random variation around the median (Anhøj rules)"

    @property
    def run_median(self) -> str:
        if self.run is None or self.run.median is None:
            return ""
        return f"{round(self.run.median * self.scale, 2):g}{self.unit}"

    @property
    def chart_name(self) -> str:
        name = CHART_NAMES.get(self.kind, self.kind)
        if self.chart is not None and getattr(self.chart, "laney", False):
            name += " (Laney-adjusted for large samples)"
        return name

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


# --- One measure's chart page: everything it shows, from one call -------------------


def strata_of(measure) -> list[tuple[str, str]]:
    """(stratum, label) for the whole population and each group of the measure's dimension."""
    rows = [("all", "Everyone")]
    if measure.dimension:
        for category, _ in equality.DIMENSIONS[measure.dimension].categories:
            stratum = f"{measure.dimension}:{category}"
            rows.append((stratum, equality.stratum_label(stratum)))
    return rows


def grid_strata(measure, added=()) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The groups the data grid shows (everyone, those with data, those in the measurement strategy:
    the focus population's groups and the reference group, and any the person added), and the rest."""
    from qi_projects.models import FocusPopulation

    from .models import DataPoint

    wanted = {"all", *added}
    wanted |= set(DataPoint.objects.filter(measure=measure).values_list("stratum", flat=True).distinct())
    if measure.dimension:
        if measure.reference_category:
            wanted.add(f"{measure.dimension}:{measure.reference_category}")
        for groups in FocusPopulation.objects.filter(project_id=measure.project_id).values_list("groups", flat=True):
            wanted |= {g for g in groups or [] if g.split(":", 1)[0] == measure.dimension}
    every = strata_of(measure)
    return [s for s in every if s[0] in wanted], [s for s in every if s[0] not in wanted]


def focus_stratum(measure) -> str | None:
    """The first focus-population group of the measure's project on the measure's dimension."""
    from qi_projects.models import FocusPopulation

    if not measure.dimension:
        return None
    for population in FocusPopulation.objects.filter(project_id=measure.project_id):
        for stratum in population.groups or []:
            if stratum.split(":", 1)[0] == measure.dimension:
                return stratum
    return None


def phase_annotations(organisation) -> list[Annotation]:
    from collaborative.models import PhaseEvent

    events = PhaseEvent.objects.filter(organisation=organisation, kind__in=["started", "gate_passed"]).select_related(
        "phase"
    )
    return [
        Annotation(e.on_date, f"{e.get_kind_display()}: {e.phase.get_number_display()}", e.reason or "", kind="phase")
        for e in events
    ]


def rebase_annotations(page) -> list[Annotation]:
    return [
        Annotation(
            r.period_start,
            "New limits from here",
            f"{r.reason} ({r.by.display_name if r.by else 'someone'})",
            kind="phase",
        )
        for r in page.rebases
    ]


def extra_annotations(measure) -> list[Annotation]:
    """Annotations other apps register for a measure's chart (PDSA cycles: collaborative.registry)."""
    return [note for _, source in chart_annotations.items() for note in source(measure)]


def chart_table(measure, result: ChartResult) -> list[dict]:
    """The chart's figures, limits and signals as table rows, scaled as the chart shows them."""
    rows = []
    s = result.series
    points = result.chart.points if result.chart else None
    for i, period in enumerate(s.periods):
        figure = s.figures[i]
        row = {
            "period": P.label(measure.frequency, period),
            "numerator": s.numerators[i],
            "denominator": s.denominators[i],
            "figure": None if figure is None else round(figure * result.scale, 2),
        }
        if points:
            point = points[i]
            row.update(
                mean=_r(point.mean, result.scale),
                lower=_r(point.lower, result.scale),
                upper=_r(point.upper, result.scale),
                signal=point_words(point, result.scale, result.unit) if point.special_cause else "",
            )
        rows.append(row)
    return rows


def _r(value, scale):
    return None if value is None else round(value * scale, 2)


def _r(value, scale):
    return None if value is None else round(value * scale, 2)


def gap_unit(measure) -> str:
    """The unit of a difference between two groups' figures: a difference of percentages is in points."""
    if measure.value_type == "proportion":
        return "percentage points"
    if measure.value_type == "rate":
        return f"per {measure.rate_per:,}" if measure.rate_per else "rate"
    return measure.unit or "value"


def gap_rows(gap: Gap, measure) -> list[dict]:
    scale, _ = scale_and_unit(measure)
    return [
        {
            "period": P.label(measure.frequency, d),
            "focus": None if f is None else round(f * scale, 2),
            "reference": None if r is None else round(r * scale, 2),
            "difference": None if diff is None else round(diff * scale, 2),
            "ratio": None if ratio is None else round(ratio, 2),
        }
        for d, f, r, diff, ratio in zip(
            gap.periods, gap.focus_rates, gap.reference_rates, gap.difference, gap.ratio, strict=True
        )
    ]


MIN_POINTS_AFTER_REBASE = 7  # enough points after the change for the shift to be a sustained one


@dataclass(frozen=True)
class RebaseOffer:
    """A sustained shift after an adopted change: the chart may start new limits at `period`."""

    period: date
    period_label: str
    change: str
    adopted_on: date
    points_after: int


def _shift_start(chart, start: int) -> int | None:
    """The first index at or after `start` that begins a shift: MIN_POINTS_AFTER_REBASE present points
    in a row on one side of the mean (whatever other rule also flags them, such as outside the limits)."""
    present = [(i, p) for i, p in enumerate(chart.points) if p.value is not None and i >= start]
    sides = [(i, (p.value > p.mean) - (p.value < p.mean)) for i, p in present if p.mean is not None]
    for k in range(len(sides) - MIN_POINTS_AFTER_REBASE + 1):
        window = [side for _, side in sides[k : k + MIN_POINTS_AFTER_REBASE]]
        if window[0] != 0 and all(side == window[0] for side in window):
            return sides[k][0]
    return None


def rebase_offer(chart, periods: list[date], adoptions, rebased: set[date], frequency: str) -> RebaseOffer | None:
    """The first shift (MIN_POINTS_AFTER_REBASE points in a row on one side of the mean) that starts
    after an adopted change, where no new limits were started since the change."""
    if chart is None:
        return None
    for adopted_on, change in adoptions:
        if any(day >= adopted_on for day in rebased):
            continue
        after = next((i for i, period in enumerate(periods) if period >= adopted_on), None)
        j = None if after is None else _shift_start(chart, after)
        if j is not None:
            points_after = sum(p.value is not None for p in chart.points[j:])
            return RebaseOffer(periods[j], P.label(frequency, periods[j]), change, adopted_on, points_after)
    return None


@dataclass
class MeasurePage:
    """What the measure chart page shows for one group: the series, its chart and table, the
    annotations inside its periods, the equality gap and the latest changes to the data."""

    strata: list[tuple[str, str]]
    chosen: str
    chosen_label: str
    settings: object | None
    result: ChartResult | None = None
    figure: dict | None = None
    table: list[dict] = field(default_factory=list)
    annotations: list[Annotation] = field(default_factory=list)
    gap: Gap | None = None
    gap_figure: dict | None = None
    gap_rows: list[dict] = field(default_factory=list)
    gap_unit: str = ""
    rebase_offer: RebaseOffer | None = None
    rebases: list = field(default_factory=list)
    revisions: list = field(default_factory=list)

    def context(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def measure_page(measure, stratum: str = "all") -> MeasurePage:
    """Everything the chart page of `measure` shows for `stratum` (the whole population if unknown)."""
    from .models import ChartSettings, DataPoint, DataPointRevision, Rebase

    labels = dict(strata_of(measure))
    chosen = stratum if stratum in labels else "all"
    points = list(DataPoint.objects.filter(measure=measure).order_by("period_start"))
    by_stratum = build_series(points, measure.frequency)
    try:
        settings = measure.chart_settings
    except ChartSettings.DoesNotExist:
        settings = None
    page = MeasurePage(
        # Offer the groups that have data (and everyone): an empty group's chart says nothing.
        strata=[(s, label) for s, label in labels.items() if s == "all" or s in by_stratum],
        chosen=chosen,
        chosen_label=labels[chosen],
        settings=settings,
        revisions=list(DataPointRevision.objects.filter(measure=measure).select_related("by")[:20]),
        rebases=list(Rebase.objects.filter(measure=measure).select_related("by")),
    )
    current = by_stratum.get(chosen)
    if current is not None:
        _chart_part(page, measure, current, settings)
    focus = focus_stratum(measure)
    reference = f"{measure.dimension}:{measure.reference_category}" if measure.reference_category else None
    if focus and reference:
        page.gap = equality_gap(measure, by_stratum, focus, reference)
        if page.gap is not None:
            page.gap_figure = gap_figures(page.gap, scale_and_unit(measure)[0])
            page.gap_rows = gap_rows(page.gap, measure)
            page.gap_unit = gap_unit(measure)
    return page


def _chart_part(page: MeasurePage, measure, current: Series, settings) -> None:
    result = chart_for(measure, current, settings)
    end = P.step(measure.frequency, current.periods[-1])
    notes = phase_annotations(measure.organisation_id) + extra_annotations(measure) + rebase_annotations(page)
    page.annotations = numbered([a for a in notes if current.periods[0] <= a.on < end])
    if result.chart is not None:
        page.figure = spc_figure(
            result.chart, current.periods, scale=result.scale, unit=result.unit, annotations=page.annotations
        )
    else:
        page.figure = run_figure(
            result.run, current.periods, scale=result.scale, unit=result.unit, annotations=page.annotations
        )
    page.result = result
    page.table = chart_table(measure, result)
    if current is not None and measure.frequency and result.chart is not None:
        adoptions = [item for _, source in change_adoptions.items() for item in source(measure)]
        rebased = {date.fromisoformat(d) for d in getattr(settings, "rebase_on", None) or []}
        page.rebase_offer = rebase_offer(result.chart, current.periods, adoptions, rebased, measure.frequency)


# --- SPC results in the shared cache --------------------------------------------------
#
# A chart is worked out again only when its inputs change. The key carries the data
# version of the measure (how many points it has and when the latest was saved: an
# edit, an import or a deletion changes one of them) and a digest of the definition
# and chart settings, so a changed figure or setting reads a new key and the old one
# simply expires. Nothing has to remember to invalidate.

CHART_CACHE_SECONDS = 7 * 24 * 3600
NO_CHART = "no-chart"


def data_versions(measures) -> dict[int, str]:
    """measure id -> its data version, for all the measures in one query."""
    from django.db.models import Count, Max

    from .models import DataPoint

    rows = (
        DataPoint.objects.filter(measure__in=measures)
        .order_by()
        .values("measure_id")
        .annotate(n=Count("pk"), latest=Max("updated_at"))
    )
    return {r["measure_id"]: f"{r['n']}.{r['latest'].timestamp():.6f}" for r in rows}


def _definition_digest(measure) -> str:
    import hashlib

    settings = getattr(measure, "chart_settings", None)
    parts = [
        measure.updated_at,
        measure.target,
        measure.improvement,
        measure.value_type,
        measure.frequency,
        getattr(measure, "rate_per", None),
        getattr(measure, "unit", ""),
    ]
    if settings is not None:
        parts += [settings.chart_type, settings.rules, settings.fix_after, settings.rebase_on, settings.laney]
    return hashlib.sha1(repr(parts).encode()).hexdigest()[:16]


def chart_cache_key(measure, stratum: str, version: str) -> str:
    return f"spc:{measure.pk}:{stratum}:{version}:{_definition_digest(measure)}"


def cached_charts(measures, stratum: str = "all", *, versions=None) -> dict[int, ChartResult]:
    """measure id -> the ChartResult of its `stratum` series, from the shared cache where the data has not changed.

    Two queries whatever the number of measures (versions, then the points of those not cached).
    Measures without data in the stratum are left out.
    """
    from organisations import shared_cache

    from .models import DataPoint

    measures = list(measures)
    versions = versions if versions is not None else data_versions(measures)
    keys = {m.pk: chart_cache_key(m, stratum, versions[m.pk]) for m in measures if m.pk in versions}
    found = shared_cache.get_many(list(keys.values()))
    results = {pk: found[key] for pk, key in keys.items() if key in found}  # NO_CHART where there is none
    missing = [m for m in measures if m.pk in keys and m.pk not in results]
    if not missing:
        return {pk: r for pk, r in results.items() if r != NO_CHART}
    points: dict[int, list] = defaultdict(list)
    for point in DataPoint.objects.filter(measure__in=missing, stratum=stratum).order_by("period_start"):
        points[point.measure_id].append(point)
    fresh = {}
    for measure in missing:
        built = build_series(points.get(measure.pk, []), measure.frequency).get(stratum)
        # "No chart" is cached too: a measure with data in other groups only is not looked up again.
        fresh[measure.pk] = chart_for(measure, built, getattr(measure, "chart_settings", None)) if built else NO_CHART
    shared_cache.set_many({keys[pk]: result for pk, result in fresh.items()}, CHART_CACHE_SECONDS)
    results.update(fresh)
    return {pk: r for pk, r in results.items() if r != NO_CHART}


def cached_chart(measure, stratum: str = "all") -> ChartResult | None:
    """One measure's chart for `stratum`, cached as `cached_charts` caches it."""
    return cached_charts([measure], stratum).get(measure.pk)


def cached_gaps(pairs, *, versions=None) -> dict[tuple[int, str, str], Gap | None]:
    """(measure id, focus, reference) -> the equality gap, cached by the measure's data version like the charts."""
    from organisations import shared_cache

    from .models import DataPoint

    pairs = list(pairs)
    versions = versions if versions is not None else data_versions({m for m, _, _ in pairs})
    keys = {
        (m.pk, f, r): f"gap:{m.pk}:{f}:{r}:{versions[m.pk]}:{_definition_digest(m)}"
        for m, f, r in pairs
        if m.pk in versions
    }
    found = shared_cache.get_many(list(keys.values()))
    results = {pair: found[key] for pair, key in keys.items() if key in found}
    missing = [(m, f, r) for m, f, r in pairs if (m.pk, f, r) in keys and (m.pk, f, r) not in results]
    if missing:
        points: dict[int, list] = defaultdict(list)
        wanted = {s for _, f, r in missing for s in (f, r)}
        rows = DataPoint.objects.filter(measure__in={m for m, _, _ in missing}, stratum__in=wanted)
        for point in rows.order_by("period_start"):
            points[point.measure_id].append(point)
        fresh = {}
        for measure, focus, reference in missing:
            gap = equality_gap(measure, build_series(points[measure.pk], measure.frequency), focus, reference)
            fresh[(measure.pk, focus, reference)] = gap if gap is not None else NO_CHART
        shared_cache.set_many({keys[pair]: gap for pair, gap in fresh.items()}, CHART_CACHE_SECONDS)
        results.update(fresh)
    return {pair: gap for pair, gap in results.items() if gap != NO_CHART}
