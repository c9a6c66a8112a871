"""Has a measure improved, and stayed improved, since the first adopted change? (No Django.)

The evaluation's first question, answered from the SPC engine (`measures/spc.py`)
by one stated standard, the same for a measure and for its equality gap:

1. Baseline: the mean and limits are worked out from the points before the
   first adopted change only, and carried on after it (as if the chart were
   frozen at the change: `fix_after` = the points before).
2. Shift: after the change there is a shift in the improving direction against
   that baseline: a run of `spc.RUN_LENGTH` (7) or more points in a row on the
   improving side of the baseline mean (the engine's `run_above`/`run_below`,
   whichever is improvement). A single point outside the limits, or a trend,
   is a sign of change but not a sustained one.
3. Enough points: at least `MIN_POINTS_AFTER` (12) points after the change,
   so the new level rests on as many points as fresh limits would.
4. Still there: the latest `spc.RUN_LENGTH` points all lie on the improving
   side of the baseline mean: the improvement has held to the latest data.

`assess` says which of these hold and in plain words why, with the numbers
behind it (the change's position, points before and after, both means, the
signal and where it started, the rule set). For an equality gap the improving
direction is towards no gap (`gap_direction`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from measures import spc

MIN_POINTS_AFTER = 12
MIN_POINTS_BEFORE = 6  # a baseline needs a few points before it can carry limits
SHIFT_CAUSES = {"decrease": spc.RUN_BELOW, "increase": spc.RUN_ABOVE}

# What each status means, in the words every page and export uses.
SUSTAINED = "sustained"
NOT_SUSTAINED = "not_sustained"  # a shift appeared after the change but has not held
NO_SHIFT = "no_shift"  # no shift in the improving direction (yet)
WORSE = "worse"  # a shift the wrong way after the change
TOO_FEW = "too_few_points"
NO_CHANGE = "no_change"  # no adopted change to measure from
NO_DIRECTION = "no_direction"  # the measure has no improving direction

STATUS_LABELS = {
    SUSTAINED: "Sustained improvement",
    NOT_SUSTAINED: "Improved, not sustained",
    NO_SHIFT: "No sustained shift",
    WORSE: "Shifted the wrong way",
    TOO_FEW: "Too few points to judge",
    NO_CHANGE: "No adopted change yet",
    NO_DIRECTION: "No improving direction set",
}


@dataclass(frozen=True)
class Sustained:
    status: str
    reason: str  # one or two plain sentences, with no figure of the data (safe across organisations)
    change_index: int | None = None
    points_before: int = 0
    points_after: int = 0
    baseline_mean: float | None = None
    after_mean: float | None = None
    signal: str | None = None  # the shift, in the engine's words: "run_below" or "run_above"
    signal_index: int | None = None  # where the shift's first point is
    improvement: str = "neutral"
    rules: str = "mdc"
    trial_baseline: bool = False  # the baseline rests on fewer than 12 points
    checks: dict = field(default_factory=dict)  # each standard above: met or not
    means_text: str = ""  # the two means in the measure's unit: raw figures, for the organisation's own pages

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def is_sustained(self) -> bool:
        return self.status == SUSTAINED


def gap_direction(differences: Sequence[float | None], change_index: int) -> str:
    """ "decrease" when the gap before the change was above zero (narrowing goes down), else "increase"."""
    before = [d for d in differences[:change_index] if d is not None]
    return "decrease" if sum(before) >= 0 else "increase"


def _chart(kind, values, numerators, denominators, improvement, fix_after, rules):
    if kind in ("p", "u") and numerators is not None:
        function = spc.p_chart if kind == "p" else spc.u_chart
        return function(numerators, denominators, improvement=improvement, fix_after=fix_after, rules=rules)
    return spc.xmr_chart(values, improvement=improvement, fix_after=fix_after, rules=rules)


def _present(points, start: int = 0, stop: int | None = None) -> list[int]:
    return [i for i, p in enumerate(points[start:stop], start) if p.value is not None]


def _better(value: float, mean: float, improvement: str) -> bool:
    return value < mean if improvement == "decrease" else value > mean


def _run_start(points, idx: list[int], mean: float, improvement: str) -> int | None:
    """The first of `spc.RUN_LENGTH` present points in a row strictly on the `improvement` side of `mean`.

    Counted here rather than read from the points' labels: where a point is also
    outside the limits the engine names that rule first, but it is still part of the run.
    """
    streak = 0
    for k, i in enumerate(idx):
        streak = streak + 1 if _better(points[i].value, mean, improvement) else 0
        if streak == spc.RUN_LENGTH:
            return idx[k - spc.RUN_LENGTH + 1]
    return None


def assess(
    values: Sequence[float | None],
    change_index: int | None,
    *,
    improvement: str,
    rules: str = "mdc",
    kind: str = "xmr",
    numerators: Sequence[int | None] | None = None,
    denominators: Sequence[int | None] | None = None,
    describe=lambda v: f"{v:g}",
) -> Sustained:
    """Whether the series shows a sustained improvement after the period at `change_index`.

    `values` are the figures (None for a missing period); for a p or u chart pass
    the counts too. `describe` turns a figure into words with its unit.
    """
    if improvement not in SHIFT_CAUSES:
        return Sustained(NO_DIRECTION, "This measure has no improving direction, so improvement cannot be judged.")
    if change_index is None:
        return Sustained(NO_CHANGE, "No change idea this measure shows has been adopted yet.", improvement=improvement)
    n = len(values)
    before = sum(v is not None for v in values[:change_index])
    after = sum(v is not None for v in values[change_index:])
    common = {
        "change_index": change_index,
        "points_before": before,
        "points_after": after,
        "improvement": improvement,
        "rules": rules,
    }
    if before < MIN_POINTS_BEFORE or after < MIN_POINTS_AFTER or change_index >= n:
        reason = (
            f"{after} point{'s' if after != 1 else ''} after the change and {before} before it: "
            f"at least {MIN_POINTS_AFTER} after and {MIN_POINTS_BEFORE} before are needed to judge."
        )
        return Sustained(TOO_FEW, reason, **common)
    chart = _chart(kind, values, numerators, denominators, improvement, before, rules)
    points = chart.points
    baseline_mean = points[change_index].mean
    after_idx = _present(points, change_index)
    after_mean = sum(points[i].value for i in after_idx) / len(after_idx)
    wanted = SHIFT_CAUSES[improvement]
    worse = "increase" if improvement == "decrease" else "decrease"
    unwanted = SHIFT_CAUSES[worse]
    shift = _run_start(points, after_idx, baseline_mean, improvement)
    wrong = _run_start(points, after_idx, baseline_mean, worse)
    latest = after_idx[-spc.RUN_LENGTH :]
    held = all(_better(points[i].value, baseline_mean, improvement) for i in latest)
    common |= {
        "baseline_mean": baseline_mean,
        "after_mean": after_mean,
        "trial_baseline": before < spc.MIN_LIMIT_POINTS,
        "checks": {"shift": shift is not None, "enough_points": True, "held": shift is not None and held},
    }
    side = "below" if improvement == "decrease" else "above"
    common["means_text"] = f"Baseline mean {describe(baseline_mean)}; mean since the change {describe(after_mean)}."
    if shift is not None and held:
        reason = (
            f"A shift: {spc.RUN_LENGTH} or more points in a row {side} the baseline mean after the change, "
            f"and the latest {len(latest)} points are all still {side} it."
        )
        return Sustained(SUSTAINED, reason, signal=wanted, signal_index=shift, **common)
    if shift is not None:
        back = sum(not _better(points[i].value, baseline_mean, improvement) for i in latest)
        reason = (
            f"A shift {side} the baseline mean appeared after the change, but {back} of the latest {len(latest)} "
            f"points are back on the other side: the improvement has not held."
        )
        return Sustained(NOT_SUSTAINED, reason, signal=wanted, signal_index=shift, **common)
    if wrong is not None:
        reason = "After the change the measure shifted the wrong way: a run away from improvement."
        return Sustained(WORSE, reason, signal=unwanted, signal_index=wrong, **common)
    reason = (
        f"No run of {spc.RUN_LENGTH} points in a row {side} the baseline mean after the change: "
        "what changed is within chance."
    )
    return Sustained(NO_SHIFT, reason, **common)
