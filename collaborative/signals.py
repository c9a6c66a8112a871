"""What the many-organisation pages need of each measure's chart, small enough to fetch a thousand at once.

The coach portfolio and the programme board show each measure as its variation and
assurance icons, the flags need its latest point's type and latest period, and the
progress score its last few point types. A whole `ChartResult` (series, limits,
every point) is far more than that: unpickling a thousand of them costs more than
the page's budget. So each chart's `Signal` is cached beside it under the same
version key (the measure's data version and definition digest, measures/series.py):
a changed figure or setting reads a new key, and nothing has to invalidate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from measures import series
from organisations import shared_cache

RECENT = 6  # the progress score looks for an improvement in the last six points


@dataclass(frozen=True)
class RecentPoint:
    point_type: str | None


@dataclass(frozen=True)
class RecentChart:
    points: tuple[RecentPoint, ...]


@dataclass(frozen=True)
class Signal:
    """A chart in brief: its icons and their words, its latest period and its last point types."""

    variation: str | None
    direction: str | None
    assurance: str | None
    variation_text: str
    assurance_text: str
    latest_period: date | None
    chart: RecentChart | None  # the last few points, as `progress.project_state` reads them

    @classmethod
    def of(cls, result) -> Signal:
        present = [d for d, v in zip(result.series.periods, result.series.figures, strict=True) if v is not None]
        chart = None
        if result.chart is not None:
            chart = RecentChart(tuple(RecentPoint(p.point_type) for p in result.chart.points[-RECENT:]))
        return cls(
            variation=result.variation,
            direction=result.direction,
            assurance=result.assurance,
            variation_text=result.variation_text,
            assurance_text=result.assurance_text,
            latest_period=present[-1] if present else None,
            chart=chart,
        )


NONE = "no-signal"


def cached_signals(measures, versions: dict[int, str]) -> dict[int, Signal]:
    """measure id -> its whole-population chart's Signal; measures without data there are left out.

    One cache read; on a miss, the charts of the missing measures (series.cached_charts) and one write."""
    keys = {m.pk: "sig:" + series.chart_cache_key(m, "all", versions[m.pk]) for m in measures if m.pk in versions}
    found = shared_cache.get_many(list(keys.values()))
    signals = {pk: found[key] for pk, key in keys.items() if key in found}
    missing = [m for m in measures if m.pk in keys and m.pk not in signals]
    if missing:
        charts = series.cached_charts(missing, versions=versions)
        fresh = {m.pk: Signal.of(charts[m.pk]) if m.pk in charts else NONE for m in missing}
        shared_cache.set_many({keys[pk]: signal for pk, signal in fresh.items()}, series.CHART_CACHE_SECONDS)
        signals.update(fresh)
    return {pk: s for pk, s in signals.items() if s != NONE}
