"""Sustained improvement per measure, for any number of measures at once (reads measures and PDSA).

`evidence_for(measures)` gives each measure's `MeasureEvidence`: the first
adopted change it shows, the sustained-improvement result of its whole
population (`evaluation.sustained.assess`) and the same for its equality gap
when the project names a focus group and the measure a reference group. The
charts and gaps come from the shared SPC cache (`measures.series.cached_charts`,
`cached_gaps`), so a fixed number of queries whatever the number of measures,
and nothing is worked out again while the data and the adoptions are unchanged.

Call it inside the caller's scope: an organisation's page has its own; the
evaluation's cross-organisation path runs under `scopes_disabled()`, as the
other national-level reads do. The results carry no figure of the data in their `reason`: they may be shown
across organisations. `means_text` holds raw means, for the organisation's own pages.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.db.models import Q

from measures import series
from organisations import shared_cache

from . import sustained

CACHE_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True)
class MeasureEvidence:
    measure_id: int
    organisation_id: int
    change_on: date | None  # the day the first change idea the measure shows was moved to Adopted
    change_text: str
    change_period: date | None  # the first period starting on or after that day
    chart_name: str
    rule_name: str
    result: sustained.Sustained
    gap: sustained.Sustained | None = None
    gap_focus: str = ""  # the groups' labels, e.g. "Black or Black British" against "White"
    gap_reference: str = ""

    periods: tuple[date, ...] = ()  # the chart's period axis, for the dates of the shifts

    @property
    def shift_period(self) -> date | None:
        """The first period of the measure's shift, when there is one."""
        return self._period(self.result.signal_index)

    @property
    def gap_shift_period(self) -> date | None:
        return self._period(self.gap.signal_index) if self.gap else None

    def _period(self, index) -> date | None:
        return self.periods[index] if index is not None and index < len(self.periods) else None


def first_adoptions(measures) -> dict[int, tuple[date, str]]:
    """measure id -> (day, idea) of the first move to Adopted of an idea it tracks or whose cycles it measures.

    Two queries for any number of measures.
    """
    from qi_projects.models import Stage
    from qi_projects.pdsa.models import ChangeIdeaMove, PdsaCycle

    measures = list(measures)
    ideas_of: dict[int, set[int]] = defaultdict(set)
    for m in measures:
        if m.tracks_id:
            ideas_of[m.pk].add(m.tracks_id)
    links = PdsaCycle.measures.through.objects.filter(measure_id__in=[m.pk for m in measures]).values_list(
        "measure_id", "pdsacycle__change_idea_id"
    )
    for measure_id, idea_id in links:
        if idea_id:
            ideas_of[measure_id].add(idea_id)
    all_ideas = {i for ids in ideas_of.values() for i in ids}
    moves = (
        ChangeIdeaMove.objects.filter(Q(change_idea_id__in=all_ideas), to_stage=Stage.ADOPTED)
        .order_by("at", "pk")
        .values_list("change_idea_id", "at", "change_idea__text")
    )
    first: dict[int, tuple[date, str]] = {}
    for idea_id, at, text in moves:
        first.setdefault(idea_id, (at.date(), text))
    result = {}
    for measure_id, ids in ideas_of.items():
        found = sorted(first[i] for i in ids if i in first)
        if found:
            result[measure_id] = found[0]
    return result


def focus_pairs(measures) -> dict[int, tuple[str, str]]:
    """measure id -> (focus stratum, reference stratum), from the projects' focus populations in one query."""
    from qi_projects.models import FocusPopulation

    wanted = [m for m in measures if m.dimension and m.reference_category]
    groups: dict[int, list[str]] = defaultdict(list)
    rows = FocusPopulation.objects.filter(project_id__in={m.project_id for m in wanted}).order_by("pk")
    for project_id, chosen in rows.values_list("project_id", "groups"):
        groups[project_id].extend(chosen or [])
    pairs = {}
    for m in wanted:
        focus = next((s for s in groups[m.project_id] if s.split(":", 1)[0] == m.dimension), None)
        if focus:
            pairs[m.pk] = (focus, f"{m.dimension}:{m.reference_category}")
    return pairs


def _change_index(periods: list[date], change_on: date | None) -> int | None:
    if change_on is None:
        return None
    return next((i for i, period in enumerate(periods) if period >= change_on), len(periods))


def _assess_chart(measure, result: series.ChartResult, change_index) -> sustained.Sustained:
    s = result.series
    kind = result.kind if result.kind in ("p", "u") else "xmr"
    return sustained.assess(
        s.figures,
        change_index,
        improvement=measure.improvement,
        rules=result.rules,
        kind=kind,
        numerators=s.numerators if kind != "xmr" else None,
        denominators=s.denominators if kind != "xmr" else None,
        describe=lambda v: f"{round(v * result.scale, 2):g}{result.unit}",
    )


def _assess_gap(measure, gap: series.Gap, change_on) -> sustained.Sustained:
    index = _change_index(gap.periods, change_on)
    scale, _ = series.scale_and_unit(measure)
    unit = series.gap_unit(measure)
    direction = sustained.gap_direction(gap.difference, index) if index is not None else "decrease"
    return sustained.assess(
        gap.difference,
        index,
        improvement=direction,
        describe=lambda v: f"{round(v * scale, 2):g} {unit}".rstrip(),
    )


def _build(measure, chart, gap, adoption, pair) -> MeasureEvidence:
    change_on, change_text = adoption if adoption else (None, "")
    periods = chart.series.periods
    index = _change_index(periods, change_on)
    gap_result = _assess_gap(measure, gap, change_on) if gap is not None else None
    evidence = MeasureEvidence(
        measure_id=measure.pk,
        organisation_id=measure.organisation_id,
        change_on=change_on,
        change_text=change_text,
        change_period=periods[index] if index is not None and index < len(periods) else None,
        periods=tuple(periods),
        chart_name=chart.chart_name,
        rule_name=chart.rule_name,
        result=_assess_chart(measure, chart, index),
        gap=gap_result,
        gap_focus=gap.focus_label if gap is not None else "",
        gap_reference=gap.reference_label if gap is not None else "",
    )
    return evidence


def evidence_for(measures) -> dict[int, MeasureEvidence]:
    """measure id -> its evidence; measures without whole-population data are left out.

    Pass the measures with `select_related("chart_settings")`. A fixed number of
    queries whatever the number of measures (versions, charts
    and gaps not cached, adoptions, focus groups); results cached by the data
    version, the definition and the first adoption.
    """
    measures = list(measures)
    versions = series.data_versions(measures)
    adoptions = first_adoptions(measures)
    pairs = focus_pairs(measures)
    keys = {
        m.pk: f"sustained:1:{series.chart_cache_key(m, 'all', versions[m.pk])}:{adoptions.get(m.pk, ('', ''))[0]}"
        for m in measures
        if m.pk in versions
    }
    found = shared_cache.get_many(list(keys.values()))
    results = {pk: found[key] for pk, key in keys.items() if key in found}
    missing = [m for m in measures if m.pk in keys and m.pk not in results]
    if missing:
        charts = series.cached_charts(missing, versions=versions)
        gaps = series.cached_gaps([(m, *pairs[m.pk]) for m in missing if m.pk in pairs], versions=versions)
        fresh = {}
        for m in missing:
            if m.pk not in charts:
                fresh[m.pk] = series.NO_CHART
                continue
            gap = gaps.get((m.pk, *pairs[m.pk])) if m.pk in pairs else None
            fresh[m.pk] = _build(m, charts[m.pk], gap, adoptions.get(m.pk), pairs.get(m.pk))
        shared_cache.set_many({keys[pk]: value for pk, value in fresh.items()}, CACHE_SECONDS)
        results.update(fresh)
    return {pk: r for pk, r in results.items() if r != series.NO_CHART}
