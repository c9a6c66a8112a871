"""Statistical process control (SPC): XmR, p, u (and Laney p'/u') and run charts.

Pure Python with no Django imports, so it can be used (and tested) anywhere.

The rules follow NHS England "Making Data Count" (MDC) as described in
``reference/spc-and-equality.md``; run charts follow the Anhøj rules as in
qicharts2. Every chart records the rule set that produced its signals.

Missing periods (``None``, or NaN) are gaps: they appear in ``Chart.points`` but
are excluded from every calculation. Moving ranges, runs, trends and
two-in-three windows all work on the sequence of *present* values, so a gap
neither breaks nor extends a run.
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from itertools import pairwise
from typing import NamedTuple

__all__ = [
    "Chart",
    "Period",
    "Point",
    "RunChart",
    "anhoej_limits",
    "p_chart",
    "run_chart",
    "u_chart",
    "xmr_chart",
]

IMPROVEMENTS = ("increase", "decrease", "neutral")
RULE_SETS = ("mdc", "mdc-pre2023")

XMR_LIMIT = 2.66  # 3 / d2 (d2 = 1.128 for moving ranges of two)
XMR_NEAR = 2 * XMR_LIMIT / 3  # the "2 sigma" band used by two-in-three
SCREEN_FACTOR = 3.267  # D4 for n = 2: upper limit of the moving-range chart
D2 = 1.128
MIN_LIMIT_POINTS = 12  # limits from fewer points are trial limits
RUN_LENGTH = 7
TREND_LENGTH = 7

ABOVE_UPPER = "above_upper"
BELOW_LOWER = "below_lower"
TREND_INCREASING = "trend_increasing"
TREND_DECREASING = "trend_decreasing"
TWO_IN_THREE_ABOVE = "two_in_three_above"
TWO_IN_THREE_BELOW = "two_in_three_below"
RUN_ABOVE = "run_above"
RUN_BELOW = "run_below"

COMMON_CAUSE = "common_cause"
IMPROVEMENT = "special_cause_improvement"
CONCERN = "special_cause_concern"
NEUTRAL_HIGH = "special_cause_neutral_high"
NEUTRAL_LOW = "special_cause_neutral_low"

_HIGH_CAUSES = frozenset({ABOVE_UPPER, TREND_INCREASING, TWO_IN_THREE_ABOVE, RUN_ABOVE})
_LOW_CAUSES = frozenset({BELOW_LOWER, TREND_DECREASING, TWO_IN_THREE_BELOW, RUN_BELOW})

# improvement -> (type of a high signal, type of a low signal). High means
# above the mean or limit, or an increasing trend; low the opposite.
_SIGNAL_TYPES = {
    "increase": (IMPROVEMENT, CONCERN),
    "decrease": (CONCERN, IMPROVEMENT),
    "neutral": (NEUTRAL_HIGH, NEUTRAL_LOW),
}


class Point(NamedTuple):
    """One data point (time period) of a chart. ``value`` is ``None`` for a gap.

    ``mean``/``lower``/``upper`` (and the near-limit band) are filled for gaps
    too when they can be, so a line can be drawn through them; a gap never has
    a ``special_cause`` or ``point_type``. A NamedTuple rather than a frozen
    dataclass: equally immutable, and about five times cheaper to build, which
    matters for the 1,000-point budget.
    """

    index: int
    period: int
    value: float | None
    mean: float | None
    lower: float | None
    upper: float | None
    near_lower: float | None
    near_upper: float | None
    special_cause: str | None
    point_type: str | None
    trial: bool
    numerator: float | None = None
    denominator: float | None = None


@dataclass(frozen=True, slots=True)
class Period:
    """A stretch of the chart with its own mean and limits (see ``rebase``).

    ``start`` and ``end`` are inclusive point indices. ``lower``/``upper`` are
    set for XmR charts only (p and u limits vary point by point). ``mr_bar`` is
    the XmR average moving range and ``sigma_z`` the Laney adjustment.
    """

    index: int
    start: int
    end: int
    mean: float | None
    lower: float | None
    upper: float | None
    n_baseline: int
    trial: bool
    mr_bar: float | None = None
    sigma_z: float | None = None


@dataclass(frozen=True)
class Chart:
    """An SPC chart: points, per-period summaries and the summary icons."""

    chart_type: str  # "xmr" | "p" | "u"
    rules: str  # the rule set that produced the signals
    improvement: str
    target: float | None
    points: tuple[Point, ...]
    periods: tuple[Period, ...]
    variation: str | None
    assurance: str | None
    trial: bool
    laney: bool = False
    screen_outliers: bool = False


@dataclass(frozen=True)
class RunChart:
    """A run chart analysed with the Anhøj rules."""

    points: tuple[float | None, ...]
    median: float | None
    n_useful: int
    longest_run: int
    longest_run_max: int | None
    crossings: int
    crossings_min: int | None
    signal: bool
    rules: str = "anhoej"


# --------------------------------------------------------------------------
# Input checking


def _number(x: object, name: str, i: int) -> float | None:
    """A float, or None for a gap. NaN is a gap too (pandas' missing value)."""
    if x is None:
        return None
    # bool is an int subclass and a string would float() happily: both are
    # almost certainly caller bugs, so refuse them rather than chart them.
    # ValueError, not TypeError: this is bad data, and callers catch one type.
    if isinstance(x, (str, bytes, bool)):
        raise ValueError(f"{name}[{i}] is not a number: {x!r}")  # noqa: TRY004
    try:
        f = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{name}[{i}] is not a number: {x!r}") from None
    if math.isnan(f):
        return None
    if math.isinf(f):
        raise ValueError(f"{name}[{i}] is infinite")
    return f


def _none(x: None) -> None:
    return None


# Types converted without further checks on the fast path (bool is not here:
# ``type(True)`` is bool, not int, so it falls to the slow path and is refused).
_FAST_TYPES = {float: float, int: float, type(None): _none}


def _numbers(values: Iterable[object], name: str) -> list[float | None]:
    """``_number`` over a sequence, with a fast path for plain floats, ints and None."""
    vals = values if isinstance(values, (list, tuple)) else list(values)
    try:
        out = [x if x.__class__ is float else _FAST_TYPES[x.__class__](x) for x in vals]
        # one C-level check for NaN/inf anywhere (fsum raises on inf - inf and
        # on overflow); the slow path then finds and reports the culprit
        if math.isfinite(math.fsum([x for x in out if x is not None])):
            return out
    except (KeyError, ValueError, OverflowError):
        pass
    return [_number(x, name, i) for i, x in enumerate(vals)]


def _check_options(improvement: str, rules: str, fix_after: int | None, target: object) -> float | None:
    if improvement not in IMPROVEMENTS:
        raise ValueError(f"improvement must be one of {', '.join(IMPROVEMENTS)}; got {improvement!r}")
    if rules not in RULE_SETS:
        raise ValueError(f"rules must be one of {', '.join(RULE_SETS)}; got {rules!r}")
    if fix_after is not None and (isinstance(fix_after, bool) or not isinstance(fix_after, int) or fix_after < 1):
        raise ValueError(f"fix_after must be a positive whole number or None; got {fix_after!r}")
    if target is None:
        return None
    try:
        t = _number(target, "target", 0)
    except ValueError:
        t = None
    if t is None:
        raise ValueError(f"target must be a finite number or None; got {target!r}")
    return t


def _period_bounds(n: int, rebase: Iterable[int]) -> list[tuple[int, int]]:
    """[(start, stop)) for each period; index 0 in ``rebase`` is a no-op."""
    starts = {0}
    for r in rebase:
        if isinstance(r, bool) or not isinstance(r, int):
            raise TypeError(f"rebase indices must be whole numbers; got {r!r}")
        if r < 0 or r >= n:
            raise ValueError(f"rebase index {r} is outside the series (0..{n - 1})")
        starts.add(r)
    if n == 0:
        return []
    ordered = sorted(starts)
    return list(pairwise([*ordered, n]))


def _mean(xs: Sequence[float]) -> float:
    # fsum avoids accumulated rounding; clamping keeps a constant series' mean
    # exactly equal to its values (otherwise float noise would put every point
    # a hair above or below the mean and fake a run).
    m = math.fsum(xs) / len(xs)
    return min(max(m, min(xs)), max(xs))


# --------------------------------------------------------------------------
# Special-cause rules


def _select(xs: list, idx: list[int]) -> list:
    """``xs`` at positions ``idx`` (non-empty, ascending): a cheap slice when
    they are contiguous, which is the usual case of a period without gaps."""
    if idx[-1] - idx[0] == len(idx) - 1:
        return xs[idx[0] : idx[-1] + 1]
    return [xs[i] for i in idx]


def _mark(cause: list[str | None], idx: list[int], first: int, stop: int, label: str) -> None:
    """Label present points ``first``..``stop - 1`` (positions in ``idx``) unless already labelled."""
    for j in range(first, stop):
        if cause[idx[j]] is None:
            cause[idx[j]] = label


# The pattern rules are found with regular expressions over a byte string with
# one byte per present point (or per step between points): the scanning then
# runs in C, which keeps a 1,000-point chart well inside its time budget.
_TREND = re.compile(rb"\x02{%d,}|\x00{%d,}" % (TREND_LENGTH - 1, TREND_LENGTH - 1))  # steps: 0 down, 2 up
_RUN = re.compile(rb"\x02{%d,}|\x00{%d,}" % (RUN_LENGTH, RUN_LENGTH))  # sides: 0 below, 2 above
# Points coded A/B: above/below the mean and beyond the near-limit band on
# that side; a/b: on that side but not beyond; o: on the mean. The lookahead
# reports every (overlapping) window of three that satisfies two-in-three.
_TWO_IN_THREE = re.compile(rb"(?=AA[Aa]|A[Aa]A|[Aa]AA|BB[Bb]|B[Bb]B|[Bb]BB)")
# code (side + 1) * 3 + (beyond + 1) -> letter; beyond never opposes side
_TWO_IN_THREE_CODES = bytes.maketrans(bytes(range(9)), b"Bbooooo" + b"aA")


def _outside_limits(cause, idx, vals, limits, near, pre2023: bool) -> list[int]:
    """Label points outside the limits; return for each point whether it is beyond the near-limit band.

    Every present point of a period has limits, or none of them has.
    """
    lower, upper = limits
    near_lower, near_upper = near
    if upper[idx[0]] is None:
        return [0] * len(idx)
    out = [(y > u) - (y < lo) for y, u, lo in zip(vals, _select(upper, idx), _select(lower, idx), strict=True)]
    for j, o in enumerate(out):
        if o:
            cause[idx[j]] = ABOVE_UPPER if o > 0 else BELOW_LOWER
    beyond = [
        (y > u) - (y < lo) for y, u, lo in zip(vals, _select(near_upper, idx), _select(near_lower, idx), strict=True)
    ]
    if pre2023:
        # before Nov 2023 only points between the band and the limits count
        beyond = [0 if o else b for b, o in zip(beyond, out, strict=True)]
    return beyond


def _special_causes(
    ys: list[float | None],
    mean: list[float | None],
    lower: list[float | None],
    upper: list[float | None],
    near_lower: list[float | None],
    near_upper: list[float | None],
    bounds: list[tuple[int, int]],
    rules: str,
) -> list[str | None]:
    """Label each present point with the first rule (by MDC precedence) it breaks.

    Rules are applied in precedence order (outside limits, trend, two-in-three,
    run) and a later rule never overwrites an earlier label. Each period is
    evaluated on its own, over its present values only, so gaps are skipped
    and nothing carries across a rebase. The mean is constant within a period;
    the limits may vary point by point (p and u charts).
    """
    cause: list[str | None] = [None] * len(ys)
    pre2023 = rules == "mdc-pre2023"
    for start, stop in bounds:
        idx = [i for i in range(start, stop) if ys[i] is not None]
        m = mean[start]
        if not idx or m is None:
            continue
        vals: list[float] = _select(ys, idx)
        side = [(y > m) - (y < m) for y in vals]  # +1 above, -1 below, 0 on the mean

        # Outside the limits; `beyond` (+1/-1) counts towards two-in-three.
        beyond = _outside_limits(cause, idx, vals, (lower, upper), (near_lower, near_upper), pre2023)

        # Trend: 7 points each strictly above (below) the one before, i.e. 6
        # equal non-zero steps. A peak shared by two trends keeps the earlier
        # trend's label. Step j runs from point j to point j + 1.
        steps = bytes([(b > a) - (b < a) + 1 for a, b in pairwise(vals)])
        for match in _TREND.finditer(steps):
            label = TREND_INCREASING if steps[match.start()] == 2 else TREND_DECREASING
            _mark(cause, idx, match.start(), match.end() + 1, label)

        # Two-in-three: of 3 consecutive points all on one side of the mean, at
        # least 2 beyond the near-limit band on that side; flag only those.
        codes = bytes([(s + 1) * 3 + b + 1 for s, b in zip(side, beyond, strict=True)]).translate(_TWO_IN_THREE_CODES)
        for match in _TWO_IN_THREE.finditer(codes):
            w = match.start()
            hit = 65 if codes[w] in b"Aa" else 66  # ord("A") / ord("B")
            label = TWO_IN_THREE_ABOVE if hit == 65 else TWO_IN_THREE_BELOW
            for j in (w, w + 1, w + 2):
                if codes[j] == hit and cause[idx[j]] is None:
                    cause[idx[j]] = label

        # Run: 7 or more consecutive points on the same side of the mean.
        sides = bytes([s + 1 for s in side])
        for match in _RUN.finditer(sides):
            label = RUN_ABOVE if sides[match.start()] == 2 else RUN_BELOW
            _mark(cause, idx, match.start(), match.end(), label)
    return cause


def _assurance(
    improvement: str,
    target: float | None,
    lower: float | None,
    upper: float | None,
) -> str | None:
    if target is None or improvement == "neutral" or lower is None or upper is None:
        return None
    if target > upper:
        return "consistent_fail" if improvement == "increase" else "consistent_pass"
    if target < lower:
        return "consistent_pass" if improvement == "increase" else "consistent_fail"
    return "inconsistent"


def _assemble(
    chart_type: str,
    ys: list[float | None],
    mean: list[float | None],
    lower: list[float | None],
    upper: list[float | None],
    near_lower: list[float | None],
    near_upper: list[float | None],
    bounds: list[tuple[int, int]],
    periods: list[Period],
    *,
    improvement: str,
    target: float | None,
    rules: str,
    numerators: list[float | None] | None = None,
    denominators: list[float | None] | None = None,
    laney: bool = False,
    screen_outliers: bool = False,
) -> Chart:
    n = len(ys)
    causes = _special_causes(ys, mean, lower, upper, near_lower, near_upper, bounds, rules)
    period_of = [0] * n
    trial_of = [False] * n
    for p, (start, stop) in enumerate(bounds):
        period_of[start:stop] = [p] * (stop - start)
        trial_of[start:stop] = [periods[p].trial] * (stop - start)
    none = [None] * n
    high, low = _SIGNAL_TYPES[improvement]
    type_of = {None: COMMON_CAUSE} | dict.fromkeys(_HIGH_CAUSES, high) | dict.fromkeys(_LOW_CAUSES, low)
    types = [None if y is None else type_of[c] for y, c in zip(ys, causes, strict=True)]
    points = tuple(
        map(
            partial(tuple.__new__, Point),  # Point._make without its extra call layer
            zip(
                range(n),
                period_of,
                ys,
                mean,
                lower,
                upper,
                near_lower,
                near_upper,
                causes,
                types,
                trial_of,
                numerators if numerators is not None else none,
                denominators if denominators is not None else none,
                strict=True,
            ),
        )
    )

    variation = None
    for pt in reversed(points):
        if pt.value is not None:
            variation = pt.point_type
            break

    # Assurance uses the latest limits: the last period's, and for p/u charts
    # (limits vary with the denominator) the last point in it that has limits.
    assurance = None
    if bounds:
        start, stop = bounds[-1]
        for i in range(stop - 1, start - 1, -1):
            if upper[i] is not None:
                assurance = _assurance(improvement, target, lower[i], upper[i])
                break

    return Chart(
        chart_type=chart_type,
        rules=rules,
        improvement=improvement,
        target=target,
        points=points,
        periods=tuple(periods),
        variation=variation,
        assurance=assurance,
        trial=any(p.trial for p in periods),
        laney=laney,
        screen_outliers=screen_outliers,
    )


# --------------------------------------------------------------------------
# Public charts


def xmr_chart(
    values: Iterable[float | None],
    *,
    improvement: str = "neutral",
    fix_after: int | None = None,
    rebase: Iterable[int] = (),
    target: float | None = None,
    screen_outliers: bool = False,
    rules: str = "mdc",
) -> Chart:
    """XmR (individuals) chart: mean ± 2.66 × average moving range per period.

    ``fix_after=n`` computes each period's mean and limits from its first ``n``
    present values. ``rebase`` lists the indices at which a new period starts.
    ``screen_outliers`` drops moving ranges ≥ 3.267 × mR̄ and recomputes mR̄
    once. A period with fewer than two present baseline values has a mean but
    no limits.
    """
    t = _check_options(improvement, rules, fix_after, target)
    ys = _numbers(values, "values")
    n = len(ys)
    bounds = _period_bounds(n, rebase)
    mean: list[float | None] = [None] * n
    lower: list[float | None] = [None] * n
    upper: list[float | None] = [None] * n
    near_lower: list[float | None] = [None] * n
    near_upper: list[float | None] = [None] * n
    periods: list[Period] = []
    for p, (start, stop) in enumerate(bounds):
        present = [y for y in ys[start:stop] if y is not None]
        base = present if fix_after is None else present[:fix_after]
        m = _mean(base) if base else None
        # Moving ranges only between consecutive present baseline values of
        # this period: never across a gap's absence of data being "zero", and
        # never across a rebase.
        mrs = [abs(b - a) for a, b in pairwise(base)]
        mr_bar = math.fsum(mrs) / len(mrs) if mrs else None
        if screen_outliers and mr_bar:  # skip when mR̄ is 0: nothing to screen
            cut = SCREEN_FACTOR * mr_bar
            kept = [r for r in mrs if r < cut]  # never empty: min(mrs) ≤ mR̄ < cut
            mr_bar = math.fsum(kept) / len(kept)
        lo = hi = nlo = nhi = None
        if m is not None and mr_bar is not None:
            lo, hi = m - XMR_LIMIT * mr_bar, m + XMR_LIMIT * mr_bar
            nlo, nhi = m - XMR_NEAR * mr_bar, m + XMR_NEAR * mr_bar
        width = stop - start
        mean[start:stop] = [m] * width
        lower[start:stop] = [lo] * width
        upper[start:stop] = [hi] * width
        near_lower[start:stop] = [nlo] * width
        near_upper[start:stop] = [nhi] * width
        nb = len(base)
        periods.append(Period(p, start, stop - 1, m, lo, hi, nb, 0 < nb < MIN_LIMIT_POINTS, mr_bar=mr_bar))
    return _assemble(
        "xmr",
        ys,
        mean,
        lower,
        upper,
        near_lower,
        near_upper,
        bounds,
        periods,
        improvement=improvement,
        target=t,
        rules=rules,
        screen_outliers=screen_outliers,
    )


def _check_ratio_rows(nums, dens, is_p: bool, num_name: str, den_name: str) -> None:
    """One cheap pass to find any bad row; then say exactly what is wrong with it."""
    bad = [
        i
        for i, (a, b) in enumerate(zip(nums, dens, strict=True))
        if (a is not None and (a < 0 or (is_p and b is not None and a > b))) or (b is not None and b < 0)
    ]
    if not bad:
        return
    i = bad[0]
    a, b = nums[i], dens[i]
    if a is not None and a < 0:
        raise ValueError(f"{num_name}[{i}] is negative ({a:g})")
    if b is not None and b < 0:
        raise ValueError(f"{den_name}[{i}] is negative ({b:g})")
    raise ValueError(f"{num_name}[{i}] ({a:g}) is greater than {den_name}[{i}] ({b:g})")


def _ratio_chart(
    chart_type: str,
    numerators: Iterable[float | None],
    denominators: Iterable[float | None],
    improvement: str,
    fix_after: int | None,
    rebase: Iterable[int],
    target: float | None,
    laney: bool,
    rules: str,
) -> Chart:
    t = _check_options(improvement, rules, fix_after, target)
    is_p = chart_type == "p"
    num_name, den_name = ("numerators", "denominators") if is_p else ("counts", "exposures")
    nums = _numbers(numerators, num_name)
    dens = _numbers(denominators, den_name)
    n = len(nums)
    if len(dens) != n:
        raise ValueError(f"{num_name} and {den_name} differ in length ({n} and {len(dens)})")
    _check_ratio_rows(nums, dens, is_p, num_name, den_name)
    # a missing numerator or denominator, or a zero denominator, is a gap
    ys: list[float | None] = [a / b if a is not None and b else None for a, b in zip(nums, dens, strict=True)]

    bounds = _period_bounds(n, rebase)
    mean: list[float | None] = [None] * n
    lower: list[float | None] = [None] * n
    upper: list[float | None] = [None] * n
    near_lower: list[float | None] = [None] * n
    near_upper: list[float | None] = [None] * n
    periods: list[Period] = []
    sqrt = math.sqrt
    for p, (start, stop) in enumerate(bounds):
        base = [i for i in range(start, stop) if ys[i] is not None]
        if fix_after is not None:
            base = base[:fix_after]
        nb = len(base)
        centre = None
        sigma_z = None
        if base:
            b_nums, b_dens, b_vals = _select(nums, base), _select(dens, base), _select(ys, base)
            centre = math.fsum(b_nums) / math.fsum(b_dens)  # type: ignore[arg-type]
            # a weighted mean of the ratios lies within them; clamp off float noise
            centre = min(max(centre, min(b_vals)), max(b_vals))  # type: ignore[type-var]
        variance = None
        if centre is not None:
            variance = centre * (1.0 - centre) if is_p else centre
        scale: float | None = 1.0
        # Laney: spread of the z-scores between consecutive baseline points,
        # estimated like an XmR sigma (mean moving range / d2). With variance 0
        # (p̄ of 0 or 1, ū of 0) the limits collapse onto the centre whatever
        # the adjustment, so the scale stays 1.
        if laney and variance:
            zs = [(y - centre) / sqrt(variance / d) for y, d in zip(b_vals, b_dens, strict=True)]  # type: ignore[operator]
            mrs = [abs(b - a) for a, b in pairwise(zs)]
            sigma_z = math.fsum(mrs) / len(mrs) / D2 if mrs else None
            scale = sigma_z
        width = stop - start
        mean[start:stop] = [centre] * width
        if variance is not None and scale is not None:
            c = centre
            k = scale * sqrt(variance)
            # σᵢ for each point; None where there is no positive denominator
            sd = [k / sqrt(d) if d else None for d in dens[start:stop]]
            # clip to [0, 1] (p) or at 0 (u); conditional expressions rather
            # than min()/max() calls because this runs for every point
            lo3 = [None if x is None else c - 3 * x for x in sd]
            lo2 = [None if x is None else c - 2 * x for x in sd]
            lower[start:stop] = [x if x is None or x > 0.0 else 0.0 for x in lo3]
            near_lower[start:stop] = [x if x is None or x > 0.0 else 0.0 for x in lo2]
            hi3 = [None if x is None else c + 3 * x for x in sd]
            hi2 = [None if x is None else c + 2 * x for x in sd]
            if is_p:
                hi3 = [x if x is None or x < 1.0 else 1.0 for x in hi3]
                hi2 = [x if x is None or x < 1.0 else 1.0 for x in hi2]
            upper[start:stop] = hi3
            near_upper[start:stop] = hi2
        periods.append(Period(p, start, stop - 1, centre, None, None, nb, 0 < nb < MIN_LIMIT_POINTS, sigma_z=sigma_z))
    return _assemble(
        chart_type,
        ys,
        mean,
        lower,
        upper,
        near_lower,
        near_upper,
        bounds,
        periods,
        improvement=improvement,
        target=t,
        rules=rules,
        numerators=nums,
        denominators=dens,
        laney=laney,
    )


def p_chart(
    numerators: Iterable[float | None],
    denominators: Iterable[float | None],
    *,
    improvement: str = "neutral",
    fix_after: int | None = None,
    rebase: Iterable[int] = (),
    target: float | None = None,
    laney: bool = False,
    rules: str = "mdc",
) -> Chart:
    """p chart of proportions numerator/denominator: p̄ ± 3·sqrt(p̄(1−p̄)/nᵢ), within [0, 1].

    A missing numerator or denominator, or a zero denominator, is a gap.
    ``laney=True`` widens the limits by σ_z (Laney p′) for large denominators.
    Raises ValueError for negative values, a numerator above its denominator,
    or sequences of different lengths.
    """
    return _ratio_chart("p", numerators, denominators, improvement, fix_after, rebase, target, laney, rules)


def u_chart(
    counts: Iterable[float | None],
    exposures: Iterable[float | None],
    *,
    improvement: str = "neutral",
    fix_after: int | None = None,
    rebase: Iterable[int] = (),
    target: float | None = None,
    laney: bool = False,
    rules: str = "mdc",
) -> Chart:
    """u chart of rates count/exposure: ū ± 3·sqrt(ū/nᵢ), lower limit at least 0.

    Gaps, Laney (u′) and validation as for :func:`p_chart` (counts may exceed
    exposures).
    """
    return _ratio_chart("u", counts, exposures, improvement, fix_after, rebase, target, laney, rules)


# --------------------------------------------------------------------------
# Run charts


def _binom_half_quantile_05(trials: int) -> int:
    """qbinom(0.05, trials, 0.5): smallest k with P(X ≤ k) ≥ 0.05, exactly.

    Works in integers: P(X ≤ k) ≥ 1/20  ⇔  20 · Σ C(trials, i) ≥ 2**trials.
    """
    total = 1 << trials
    c = 1  # C(trials, 0)
    cumulative = 0
    for k in range(trials + 1):
        cumulative += c
        if 20 * cumulative >= total:
            return k
        c = c * (trials - k) // (k + 1)
    return trials  # unreachable: the full sum is 2**trials


def anhoej_limits(n_useful: int) -> tuple[int, int]:
    """(longest run allowed, fewest crossings allowed) for ``n_useful`` points (n ≥ 1)."""
    if n_useful < 1:
        raise ValueError("the Anhøj limits need at least one useful point")
    # R's round() is half-to-even, like Python's; log2(n) + 3 is never exactly
    # k + 0.5 for a whole n, so the tie rule never changes a threshold.
    return round(math.log2(n_useful) + 3), _binom_half_quantile_05(n_useful - 1)


def run_chart(values: Iterable[float | None]) -> RunChart:
    """Run chart around the median with the Anhøj rules (as qicharts2).

    Points on the median and gaps are ignored. Signals when the longest run is
    longer than round(log2(n) + 3) or there are fewer crossings than
    qbinom(0.05, n − 1, 0.5), n being the number of useful points.
    """
    ys = tuple(_numbers(values, "values"))
    present = [y for y in ys if y is not None]
    if not present:
        return RunChart(ys, None, 0, 0, None, 0, None, False)
    median = statistics.median(present)
    sides = [1 if y > median else -1 for y in present if y != median]
    n = len(sides)
    if not n:
        return RunChart(ys, median, 0, 0, None, 0, None, False)
    longest = length = 1
    crossings = 0
    for a, b in pairwise(sides):
        if a == b:
            length += 1
            longest = max(longest, length)
        else:
            crossings += 1
            length = 1
    run_max, cross_min = anhoej_limits(n)
    signal = longest > run_max or crossings < cross_min
    return RunChart(ys, median, n, longest, run_max, crossings, cross_min, signal)
