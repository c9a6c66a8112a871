"""Tests for measures.spc (pure Python: run with ``-p no:django``).

Expected numbers are worked by hand in the comments. Most XmR tests build on a
12-point baseline that alternates between 10 and 12:

    mean 11, every moving range 2, so mR̄ = 2
    process limits  11 ± 2.66 × 2       = 5.68 .. 16.32
    near-limit band 11 ± (2/3 × 2.66) × 2 = 11 ± 3.5467 = 7.4533 .. 14.5467

and fixes the limits on it (``fix_after=12``), so that the points appended
after it do not move the mean or the limits.
"""

import dataclasses
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from measures.spc import anhoej_limits, p_chart, run_chart, u_chart, xmr_chart

ENDS_BELOW = [12, 10] * 6  # last baseline point (10) is below the mean
ENDS_ABOVE = [10, 12] * 6  # last baseline point (12) is above the mean
UPPER, LOWER = 16.32, 5.68
NEAR_UPPER, NEAR_LOWER = 11 + 2 / 3 * 2.66 * 2, 11 - 2 / 3 * 2.66 * 2


def fixed(values, **kwargs):
    """XmR chart with limits fixed on the 12-point baseline."""
    return xmr_chart(values, fix_after=12, **kwargs)


def flagged(chart):
    """{index: special_cause} for every flagged point."""
    return {p.index: p.special_cause for p in chart.points if p.special_cause}


def approx(x):
    return pytest.approx(x, rel=1e-9, abs=1e-12)


# --------------------------------------------------------------------------
# XmR limits


def test_xmr_limits_are_mean_plus_minus_2_66_average_moving_range():
    chart = xmr_chart(ENDS_ABOVE)
    period = chart.periods[0]
    assert period.mean == approx(11)
    assert period.mr_bar == approx(2)
    for p in chart.points:
        assert p.mean == approx(11)
        assert p.upper == approx(UPPER)
        assert p.lower == approx(LOWER)
        assert p.near_upper == approx(NEAR_UPPER)  # 14.5467
        assert p.near_lower == approx(NEAR_LOWER)  # 7.4533
    assert flagged(chart) == {}
    assert {p.point_type for p in chart.points} == {"common_cause"}
    assert chart.chart_type == "xmr"
    assert chart.rules == "mdc"


def test_chart_records_its_settings_and_is_immutable():
    chart = xmr_chart(ENDS_ABOVE, improvement="increase", target=14, rules="mdc-pre2023")
    assert (chart.improvement, chart.target, chart.rules) == ("increase", 14, "mdc-pre2023")
    with pytest.raises(dataclasses.FrozenInstanceError):
        chart.trial = True
    with pytest.raises(AttributeError):
        chart.points[0].value = 3


# --------------------------------------------------------------------------
# Rule 1: outside the process limits


def test_point_above_upper_limit_is_special_cause():
    chart = fixed(ENDS_BELOW + [17])  # 17 > 16.32
    assert flagged(chart) == {12: "above_upper"}
    assert chart.points[12].point_type == "special_cause_neutral_high"


def test_point_below_lower_limit_is_special_cause():
    chart = fixed(ENDS_ABOVE + [5])  # 5 < 5.68
    assert flagged(chart) == {12: "below_lower"}
    assert chart.points[12].point_type == "special_cause_neutral_low"


def test_point_just_inside_limit_is_common_cause():
    chart = fixed(ENDS_BELOW + [16.3])  # 16.3 < 16.32 and alone beyond the band
    assert flagged(chart) == {}


@pytest.mark.parametrize(
    ("value", "improvement", "expected"),
    [
        (17, "increase", "special_cause_improvement"),
        (17, "decrease", "special_cause_concern"),
        (17, "neutral", "special_cause_neutral_high"),
        (5, "increase", "special_cause_concern"),
        (5, "decrease", "special_cause_improvement"),
        (5, "neutral", "special_cause_neutral_low"),
    ],
)
def test_point_type_follows_improvement_direction(value, improvement, expected):
    base = ENDS_BELOW if value > 11 else ENDS_ABOVE
    chart = fixed(base + [value], improvement=improvement)
    assert chart.points[12].point_type == expected
    assert chart.variation == expected  # the latest point's type


# --------------------------------------------------------------------------
# Rule 2: run of 7 on one side of the mean


def test_seven_points_above_mean_are_a_run():
    # index 11 (10) is below the mean, then 7 points at 11.5 above it
    chart = fixed(ENDS_BELOW + [11.5] * 7)
    assert flagged(chart) == {i: "run_above" for i in range(12, 19)}


def test_seven_points_below_mean_are_a_run():
    chart = fixed(ENDS_ABOVE + [10.5] * 7, improvement="increase")
    assert flagged(chart) == {i: "run_below" for i in range(12, 19)}
    assert chart.points[18].point_type == "special_cause_concern"


def test_six_points_on_one_side_are_not_a_run():
    chart = fixed(ENDS_BELOW + [11.5] * 6)
    assert flagged(chart) == {}


def test_point_on_the_mean_breaks_a_run():
    # 3 above, one exactly on the mean (11), 4 above: no stretch of 7
    chart = fixed(ENDS_BELOW + [11.5] * 3 + [11] + [11.5] * 4)
    assert flagged(chart) == {}


def test_run_longer_than_seven_flags_every_point():
    chart = fixed(ENDS_BELOW + [11.5] * 9)
    assert flagged(chart) == {i: "run_above" for i in range(12, 21)}


# --------------------------------------------------------------------------
# Rule 3: trend of 7 points each higher (lower) than the last


def test_seven_increasing_points_are_a_trend_even_across_the_mean():
    # 10 (index 11) -> 8 is a fall, then 8, 9, ..., 14 rise: 6 rises, 7 points.
    # 8, 9 and 10 are below the mean, 12..14 above: the trend crosses it.
    # 14 < 14.5467, so nothing is beyond the band.
    chart = fixed(ENDS_BELOW + [8, 9, 10, 11, 12, 13, 14], improvement="increase")
    assert flagged(chart) == {i: "trend_increasing" for i in range(12, 19)}
    # the direction of the trend, not the side of the mean, decides the type
    assert chart.points[12].value == 8
    assert chart.points[12].point_type == "special_cause_improvement"


def test_seven_decreasing_points_are_a_trend():
    # 12 (index 11) -> 14 is a rise, then 14 down to 8: 6 falls
    chart = fixed(ENDS_ABOVE + [14, 13, 12, 11, 10, 9, 8], improvement="increase")
    assert flagged(chart) == {i: "trend_decreasing" for i in range(12, 19)}
    assert chart.points[12].point_type == "special_cause_concern"


def test_six_increasing_points_are_not_a_trend():
    chart = fixed(ENDS_BELOW + [9, 10, 11, 12, 13, 14])  # 10 -> 9 falls; 5 rises
    assert flagged(chart) == {}


def test_equal_neighbours_break_a_trend():
    chart = fixed(ENDS_BELOW + [8, 9, 10, 10, 11, 12, 13])  # 3 rises, flat, 3 rises
    assert flagged(chart) == {}


# --------------------------------------------------------------------------
# Rule 4: two of three beyond the near-limit band


def test_two_of_three_above_band_flags_only_the_points_beyond_it():
    # 15 > 14.5467, 11.5 above the mean but inside the band, 15 again
    chart = fixed(ENDS_BELOW + [15, 11.5, 15])
    assert flagged(chart) == {12: "two_in_three_above", 14: "two_in_three_above"}
    assert chart.points[13].point_type == "common_cause"


def test_two_of_three_below_band():
    # 7 < 7.4533, 10.5 below the mean but inside the band
    chart = fixed(ENDS_ABOVE + [7, 10.5, 7], improvement="decrease")
    assert flagged(chart) == {12: "two_in_three_below", 14: "two_in_three_below"}
    assert chart.points[12].point_type == "special_cause_improvement"


def test_two_in_three_needs_all_three_on_the_same_side_of_the_mean():
    chart = fixed(ENDS_BELOW + [15, 10.5, 15])  # 10.5 is below the mean
    assert flagged(chart) == {}


def test_one_point_beyond_band_is_not_two_in_three():
    chart = fixed(ENDS_BELOW + [15, 11.5, 11.5])
    assert flagged(chart) == {}


def test_mdc_2023_counts_a_point_beyond_the_limit_towards_two_in_three():
    # 17 is beyond the upper limit (16.32), 15 is in the band (14.5467..16.32),
    # 11.5 is above the mean: all three on the same side.
    values = ENDS_BELOW + [17, 15, 11.5]
    # Since Nov 2023 the 17 counts, so 2 of 3 are beyond the band: the 15 is flagged.
    assert flagged(fixed(values, rules="mdc")) == {12: "above_upper", 13: "two_in_three_above"}
    # Before, only points between the band and the limit counted: just one here.
    assert flagged(fixed(values, rules="mdc-pre2023")) == {12: "above_upper"}


def test_pre2023_rules_still_flag_two_points_in_the_band():
    chart = fixed(ENDS_BELOW + [15, 11.5, 15], rules="mdc-pre2023")
    assert flagged(chart) == {12: "two_in_three_above", 14: "two_in_three_above"}
    assert chart.rules == "mdc-pre2023"


# --------------------------------------------------------------------------
# Overlapping rules: outside limits, then trend, then two-in-three, then run


def test_outside_limits_takes_precedence_over_trend():
    chart = fixed(ENDS_BELOW + [8, 9, 10, 11, 12, 13, 17])
    expected = {i: "trend_increasing" for i in range(12, 18)}
    expected[18] = "above_upper"
    assert flagged(chart) == expected


def test_trend_takes_precedence_over_two_in_three():
    # 9 .. 15 rise 7 times from 10 -> 9 (a fall); 14.6 and 15 are both beyond
    # 14.5467 with 13 above the mean, which alone would be two-in-three.
    chart = fixed(ENDS_BELOW + [9, 10, 11, 12, 13, 14.6, 15])
    assert flagged(chart) == {i: "trend_increasing" for i in range(12, 19)}


def test_trend_takes_precedence_over_run():
    # index 11 (12) and the 7 rising points 11.5 .. 14.5 are all above the
    # mean: a run of 8, of which the last 7 are also a trend (12 -> 11.5 falls).
    chart = fixed(ENDS_ABOVE + [11.5, 12, 12.5, 13, 13.5, 14, 14.5])
    expected = {11: "run_above"}
    expected.update({i: "trend_increasing" for i in range(12, 19)})
    assert flagged(chart) == expected


def test_two_in_three_takes_precedence_over_run():
    chart = fixed(ENDS_BELOW + [11.5, 11.5, 15, 11.5, 15, 11.5, 11.5])
    expected = {i: "run_above" for i in range(12, 19)}
    expected[14] = expected[16] = "two_in_three_above"
    assert flagged(chart) == expected


def test_outside_limits_takes_precedence_over_run():
    chart = fixed(ENDS_BELOW + [11.5] * 3 + [17] + [11.5] * 3)
    expected = {i: "run_above" for i in range(12, 19)}
    expected[15] = "above_upper"
    assert flagged(chart) == expected


# --------------------------------------------------------------------------
# Missing values


def test_gap_appears_without_value_or_signal_but_with_the_lines():
    # present values 10, 12, 10, 12: mean 11, moving ranges 2, 2, 2
    chart = xmr_chart([10, None, 12, 10, 12])
    gap = chart.points[1]
    assert (gap.value, gap.special_cause, gap.point_type) == (None, None, None)
    assert gap.mean == approx(11)
    assert gap.upper == approx(UPPER)
    assert chart.periods[0].n_baseline == 4


def test_moving_range_spans_a_gap_between_present_values():
    # a gap is not a zero: moving ranges are |12-10| = 2 and |13-12| = 1
    chart = xmr_chart([10, None, None, 12, 13])
    assert chart.periods[0].mr_bar == approx(1.5)
    assert chart.points[0].mean == approx(35 / 3)


def test_gap_inside_a_run_neither_breaks_nor_extends_it():
    chart = fixed(ENDS_BELOW + [11.5] * 3 + [None] + [11.5] * 4)
    assert flagged(chart) == {i: "run_above" for i in (12, 13, 14, 16, 17, 18, 19)}
    # six present points plus a gap are still only six
    assert flagged(fixed(ENDS_BELOW + [11.5] * 3 + [None] + [11.5] * 3)) == {}


def test_trend_continues_over_a_gap():
    chart = fixed(ENDS_BELOW + [8, 9, 10, None, 11, 12, 13, 14])
    assert flagged(chart) == {i: "trend_increasing" for i in (12, 13, 14, 16, 17, 18, 19)}


def test_variation_is_the_type_of_the_last_present_point():
    chart = fixed(ENDS_BELOW + [17, None, None], improvement="increase")
    assert chart.variation == "special_cause_improvement"


def test_all_missing_series_has_no_limits_or_icons():
    chart = xmr_chart([None, None, None], improvement="increase", target=3)
    assert [p.value for p in chart.points] == [None, None, None]
    assert chart.points[0].mean is None and chart.points[0].upper is None
    assert (chart.variation, chart.assurance, chart.trial) == (None, None, False)


def test_empty_series():
    chart = xmr_chart([])
    assert chart.points == () and chart.periods == ()
    assert chart.variation is None and chart.assurance is None


def test_nan_is_treated_as_a_gap():
    chart = xmr_chart([10, float("nan"), 12, 10, 12])
    assert chart.points[1].value is None
    assert chart.periods[0].mr_bar == approx(2)


# --------------------------------------------------------------------------
# Baseline fixing, rebasing, screening, trial limits


def test_fix_after_keeps_limits_from_the_first_n_points():
    chart = fixed(ENDS_BELOW + [30] * 6)  # index 11 (10) is below: no run
    assert all(p.mean == approx(11) for p in chart.points)
    assert chart.points[17].upper == approx(UPPER)
    assert flagged(chart) == {i: "above_upper" for i in range(12, 18)}
    assert chart.periods[0].n_baseline == 12
    assert chart.trial is False


def test_fix_after_counts_present_points_only():
    # baseline = the first two *present* values, 10 and 12: mean 11, mR̄ 2
    chart = xmr_chart([10, None, 12, 30], fix_after=2)
    assert chart.periods[0].n_baseline == 2
    assert chart.points[3].upper == approx(UPPER)
    assert flagged(chart) == {3: "above_upper"}


def test_rebase_gives_each_period_its_own_mean_and_limits():
    values = [10, 12] * 6 + [20, 22] * 6
    chart = xmr_chart(values, rebase=(12,))
    first, second = chart.periods
    assert (first.start, first.end, second.start, second.end) == (0, 11, 12, 23)
    assert first.mean == approx(11) and second.mean == approx(21)
    # the 12 -> 20 step belongs to neither period, so both mR̄ are 2
    assert first.mr_bar == approx(2) and second.mr_bar == approx(2)
    assert chart.points[12].period == 1
    assert chart.points[12].lower == approx(21 - 5.32)
    assert chart.points[12].upper == approx(21 + 5.32)
    assert flagged(chart) == {}
    # Without the rebase: mean 16, mR̄ (22 + 8 + 22) / 23 = 2.26, limits
    # 9.99 .. 22.01, band 11.99 .. 20.01. Every point is flagged: the 10s and
    # 22s as two-in-three (each window holds two of them), the rest as runs.
    unrebased = flagged(xmr_chart(values))
    assert {unrebased[i] for i in range(0, 12, 2)} == {"two_in_three_below"}
    assert {unrebased[i] for i in range(1, 12, 2)} == {"run_below"}
    assert {unrebased[i] for i in range(12, 24, 2)} == {"run_above"}
    assert {unrebased[i] for i in range(13, 24, 2)} == {"two_in_three_above"}


def test_trend_does_not_continue_across_a_rebase():
    values = ENDS_BELOW + [8, 9, 10, 11, 12, 13, 14]
    assert flagged(fixed(values)) == {i: "trend_increasing" for i in range(12, 19)}
    # Rebased at 15: period 0 keeps its limits (8, 9, 10 are inside the band
    # 7.45 .. 14.55); period 1 is 11, 12, 13, 14: mean 12.5, mR̄ 1, limits
    # 9.84 .. 15.16, band 10.73 .. 14.27. Neither half is a trend of 7.
    assert flagged(fixed(values, rebase=(15,))) == {}


def test_run_does_not_continue_across_a_rebase():
    # Without a rebase: mean (132 + 46 + 37 + 38) / 23 = 11, and the four
    # 11.5s with 12, 13, 12 make 7 points above it.
    values = ENDS_BELOW + [11.5] * 4 + [12, 13, 12, 10, 9, 10, 9]
    assert {i: "run_above" for i in range(12, 19)}.items() <= flagged(xmr_chart(values)).items()
    # Rebased at 16: period 0 has mean 178 / 16 = 11.125 (4 points above it);
    # period 1 has mean 75 / 7 = 10.71, mR̄ 7 / 6, band 8.65 .. 12.78, limits
    # 7.61 .. 13.82: 3 points above, then 4 below, and only 13 beyond the band.
    assert flagged(xmr_chart(values, rebase=(16,))) == {}


def test_rebase_index_out_of_range_is_an_error():
    with pytest.raises(ValueError, match="rebase"):
        xmr_chart([1, 2, 3], rebase=(3,))


def test_screening_drops_outlying_moving_ranges_once():
    # moving ranges: ten of 2, then |40 - 10| = 30; mR̄ = 50 / 11 = 4.545
    # 30 ≥ 3.267 × 4.545 = 14.85, so it is dropped: mR̄ = 20 / 10 = 2
    # mean = (6 × 10 + 5 × 12 + 40) / 12 = 160 / 12 = 13.333
    values = [10, 12] * 5 + [10, 40]
    plain = xmr_chart(values)
    screened = xmr_chart(values, screen_outliers=True)
    assert plain.periods[0].mr_bar == approx(50 / 11)
    assert plain.points[0].upper == approx(160 / 12 + 2.66 * 50 / 11)  # 25.424
    assert screened.periods[0].mr_bar == approx(2)
    assert screened.points[0].upper == approx(160 / 12 + 5.32)  # 18.653
    assert screened.screen_outliers is True
    assert screened.points[11].special_cause == "above_upper"


def test_screening_a_constant_series_does_not_divide_by_zero():
    chart = xmr_chart([4] * 10, screen_outliers=True)
    assert chart.periods[0].mr_bar == 0
    assert flagged(chart) == {}


def test_limits_from_fewer_than_12_points_are_trial_limits():
    chart = xmr_chart(ENDS_ABOVE[:11])
    assert chart.trial is True
    assert chart.periods[0].trial is True
    assert all(p.trial for p in chart.points)
    assert xmr_chart(ENDS_ABOVE).trial is False


def test_any_short_period_makes_the_chart_trial():
    chart = xmr_chart(ENDS_ABOVE + [10, 12, 10], rebase=(12,))
    assert [p.trial for p in chart.periods] == [False, True]
    assert chart.trial is True
    assert chart.points[0].trial is False and chart.points[12].trial is True


def test_single_point_period_has_a_mean_but_no_limits():
    chart = xmr_chart([5])
    assert chart.points[0].mean == 5
    assert chart.points[0].upper is None
    assert chart.periods[0].mr_bar is None


# --------------------------------------------------------------------------
# Assurance (limits 5.68 .. 16.32)


@pytest.mark.parametrize(
    ("improvement", "target", "expected"),
    [
        ("increase", 20, "consistent_fail"),  # target above the upper limit
        ("increase", 5, "consistent_pass"),  # target below the lower limit
        ("increase", 11, "inconsistent"),
        ("decrease", 20, "consistent_pass"),
        ("decrease", 5, "consistent_fail"),
        ("decrease", 11, "inconsistent"),
        ("neutral", 20, None),
        ("increase", None, None),
    ],
)
def test_assurance(improvement, target, expected):
    assert xmr_chart(ENDS_ABOVE, improvement=improvement, target=target).assurance == expected


def test_target_on_a_limit_is_inconsistent():
    # only a target strictly beyond a limit is passed or failed every time
    limits = xmr_chart(ENDS_ABOVE).points[0]
    for target in (limits.upper, limits.lower):
        assert xmr_chart(ENDS_ABOVE, improvement="increase", target=target).assurance == "inconsistent"


def test_assurance_uses_the_last_period():
    # last period 20/22: limits 15.68 .. 26.32, so 18 is inside them (the
    # first period's upper limit, 16.32, is below 18)
    chart = xmr_chart([10, 12] * 6 + [20, 22] * 6, rebase=(12,), improvement="increase", target=18)
    assert chart.assurance == "inconsistent"


def test_assurance_needs_limits():
    assert xmr_chart([5], improvement="increase", target=3).assurance is None


# --------------------------------------------------------------------------
# Options


@pytest.mark.parametrize(
    "kwargs",
    [
        {"improvement": "up"},
        {"rules": "ihi"},
        {"fix_after": 0},
        {"fix_after": 2.5},
        {"target": "high"},
    ],
)
def test_bad_options_are_rejected(kwargs):
    with pytest.raises(ValueError):
        xmr_chart([1, 2, 3], **kwargs)


@pytest.mark.parametrize("bad", ["3", True, float("inf")])
def test_bad_values_are_rejected(bad):
    with pytest.raises(ValueError, match=r"values\[1\]"):
        xmr_chart([1, bad, 3])


# --------------------------------------------------------------------------
# p charts


# p̄ = Σ num / Σ den = (22 + 3 + 80 + 20) / (100 + 25 + 400 + 100) = 125 / 625 = 0.2
# σᵢ = sqrt(0.2 × 0.8 / nᵢ) = 0.4 / sqrt(nᵢ): n 100 -> 0.04, 25 -> 0.08, 400 -> 0.02
P_NUMS = [22, 3, 80, 20]
P_DENS = [100, 25, 400, 100]


def test_p_chart_limits_vary_with_the_denominator():
    chart = p_chart(P_NUMS, P_DENS)
    assert chart.chart_type == "p"
    assert chart.periods[0].mean == approx(0.2)
    pts = chart.points
    assert [p.value for p in pts] == [approx(0.22), approx(0.12), approx(0.2), approx(0.2)]
    assert (pts[0].lower, pts[0].upper) == (approx(0.08), approx(0.32))  # 0.2 ± 3 × 0.04
    assert (pts[0].near_lower, pts[0].near_upper) == (approx(0.12), approx(0.28))  # ± 2 × 0.04
    assert (pts[2].lower, pts[2].upper) == (approx(0.14), approx(0.26))  # 0.2 ± 3 × 0.02
    # n = 25: 0.2 - 0.24 < 0 is clipped to 0; near band 0.2 - 0.16 = 0.04
    assert (pts[1].lower, pts[1].upper) == (0.0, approx(0.44))
    assert (pts[1].near_lower, pts[1].near_upper) == (approx(0.04), approx(0.36))
    assert (pts[1].numerator, pts[1].denominator) == (3, 25)


def test_p_chart_same_deviation_is_special_only_with_a_large_denominator():
    # 110/400 = 0.275 > 0.26 (n = 400); 10/25 = 0.4 < 0.44 (n = 25)
    chart = p_chart(P_NUMS + [110, 10], P_DENS + [400, 25], fix_after=4)
    assert chart.points[4].special_cause == "above_upper"
    assert chart.points[5].special_cause is None
    assert chart.periods[0].n_baseline == 4 and chart.trial is True


def test_p_chart_upper_limit_is_clipped_at_one():
    # p̄ = 18/20 = 0.9, n = 10: 0.9 + 3 × sqrt(0.09 / 10) = 1.185 -> 1
    chart = p_chart([9, 9], [10, 10])
    assert chart.points[0].upper == 1.0


def test_p_chart_gaps():
    # a missing numerator, missing denominator and a zero denominator are gaps
    chart = p_chart([20, None, 20, 0], [100, 100, None, 0])
    assert [p.value for p in chart.points] == [approx(0.2), None, None, None]
    assert chart.periods[0].n_baseline == 1
    # a gap with a denominator still gets limits for drawing; one without cannot
    assert chart.points[1].upper == approx(0.32)
    assert chart.points[2].upper is None and chart.points[3].upper is None


def test_p_chart_assurance_uses_the_last_points_limits():
    # last point n = 100: limits 0.08 .. 0.32, so a target of 0.05 is always met
    assert p_chart(P_NUMS, P_DENS, improvement="increase", target=0.05).assurance == "consistent_pass"
    # last point n = 25: limits 0 .. 0.44, so it is not
    chart = p_chart(P_NUMS + [5], P_DENS + [25], fix_after=4, improvement="increase", target=0.05)
    assert chart.assurance == "inconsistent"
    assert p_chart(P_NUMS, P_DENS, improvement="decrease", target=0.05).assurance == "consistent_fail"


def test_p_chart_constant_proportion_has_no_signals():
    chart = p_chart([3] * 15, [10] * 15)
    assert flagged(chart) == {}


def test_p_chart_all_zero_has_zero_width_limits():
    for laney in (False, True):
        chart = p_chart([0] * 13, [50] * 13, laney=laney)
        assert (chart.points[0].lower, chart.points[0].mean, chart.points[0].upper) == (0, 0, 0)
        assert flagged(chart) == {}


@pytest.mark.parametrize(
    ("nums", "dens", "message"),
    [
        ([5, 11], [10, 10], r"numerators\[1\] \(11\) is greater than denominators\[1\] \(10\)"),
        ([5, -1], [10, 10], r"numerators\[1\] is negative"),
        ([5, 1], [10, -10], r"denominators\[1\] is negative"),
        ([5, 1], [10], "differ in length"),
        ([3], [0], "greater than"),  # 3 events out of nobody
    ],
)
def test_p_chart_rejects_bad_data(nums, dens, message):
    with pytest.raises(ValueError, match=message):
        p_chart(nums, dens)


# --------------------------------------------------------------------------
# u charts


def test_u_chart_limits():
    # ū = (4 + 8 + 1 + 3) / (100 + 400 + 25 + 100) = 16 / 625 = 0.0256
    # σᵢ = sqrt(0.0256 / nᵢ) = 0.16 / sqrt(nᵢ): 100 -> 0.016, 400 -> 0.008, 25 -> 0.032
    chart = u_chart([4, 8, 1, 3, 25], [100, 400, 25, 100, 400], fix_after=4)
    assert chart.chart_type == "u"
    pts = chart.points
    assert pts[0].mean == approx(0.0256)
    assert (pts[0].lower, pts[0].upper) == (0.0, approx(0.0736))  # 0.0256 - 0.048 < 0
    assert (pts[1].lower, pts[1].upper) == (approx(0.0016), approx(0.0496))
    assert (pts[2].lower, pts[2].upper) == (0.0, approx(0.1216))
    # 25 / 400 = 0.0625 > 0.0496
    assert flagged(chart) == {4: "above_upper"}


def test_u_chart_allows_counts_above_exposure_but_not_negatives():
    assert u_chart([5, 6], [2, 2]).points[0].value == approx(2.5)
    with pytest.raises(ValueError, match=r"exposures\[0\] is negative"):
        u_chart([1], [-1])
    with pytest.raises(ValueError, match=r"counts\[0\] is negative"):
        u_chart([-1], [1])


def test_u_chart_zero_exposure_is_a_gap():
    assert u_chart([1, 0, 2], [10, 0, 10]).points[1].value is None


# --------------------------------------------------------------------------
# Laney p' and u'


def test_laney_p_chart_widens_limits_by_sigma_z():
    # p̄ = 80 / 400 = 0.2, σᵢ = 0.04; z = (0.16 - 0.2) / 0.04 = -1, then +1, -1, +1
    # moving ranges of z are all 2, so σ_z = 2 / 1.128 = 1.7730
    # limits 0.2 ± 3 × 0.04 × 1.7730 = 0.2 ± 0.2128 -> 0 .. 0.4128
    nums, dens = [16, 24, 16, 24, 35], [100] * 5
    chart = p_chart(nums, dens, fix_after=4, laney=True)
    assert chart.laney is True
    assert chart.periods[0].sigma_z == approx(2 / 1.128)
    assert chart.points[0].upper == approx(0.2 + 3 * 0.04 * 2 / 1.128)
    assert chart.points[0].lower == 0.0
    # 0.35 is inside the Laney limits but above the plain p limit (0.2 + 0.12 = 0.32)
    assert chart.points[4].special_cause is None
    assert p_chart(nums, dens, fix_after=4).points[4].special_cause == "above_upper"


def test_laney_u_chart():
    # ū = 12 / 400 = 0.03; with equal exposures σᵢσ_z = mR̄(u) / 1.128
    # = |0.04 - 0.02| / 1.128, so the limits are 0.03 ± 3 × 0.02 / 1.128
    chart = u_chart([2, 4, 2, 4], [100] * 4, laney=True)
    assert chart.points[0].upper == approx(0.03 + 3 * 0.02 / 1.128)  # 0.0832
    assert chart.points[0].lower == 0.0  # 0.03 - 0.0532 < 0


def test_laney_needs_two_baseline_points():
    chart = p_chart([20, 30], [100, 100], fix_after=1, laney=True)
    assert chart.points[0].mean == approx(0.2)
    assert chart.points[0].upper is None


# --------------------------------------------------------------------------
# Run charts (Anhøj)


@pytest.mark.parametrize(
    ("n", "longest_run_max", "crossings_min"),
    [
        # round(log2 n + 3) | smallest k with P(Bin(n - 1, ½) ≤ k) ≥ 0.05
        (10, 6, 2),  # 6.32 | P(≤1) = 0.0195, P(≤2) = 0.0898
        (12, 7, 3),  # 6.58 | P(≤2) = 0.0327, P(≤3) = 0.1133
        (15, 7, 4),  # 6.91 | P(≤3) = 0.0287, P(≤4) = 0.0898
        (20, 7, 6),  # 7.32 | P(≤5) = 0.0318, P(≤6) = 0.0835
        (24, 8, 8),  # 7.58 | P(≤7) = 0.0466, P(≤8) = 0.1050
        (30, 8, 10),  # 7.91 | P(≤9) = 0.0307, P(≤10) = 0.0680
        (36, 8, 13),  # 8.17 | P(≤12) = 0.0448, P(≤13) = 0.0877
    ],
)
def test_anhoej_thresholds(n, longest_run_max, crossings_min):
    assert anhoej_limits(n) == (longest_run_max, crossings_min)


def test_anhoej_run_limit_never_falls_on_a_rounding_tie():
    # R rounds half to even; a tie would need log2(n) to end in exactly .5,
    # i.e. n = 2^(k + ½), which no whole n is: so rounding mode cannot matter.
    for n in range(1, 10_000):
        frac = math.log2(n) % 1
        assert abs(frac - 0.5) > 1e-6


def test_run_chart_too_few_crossings():
    # median 5.5; five below then five above: one crossing < 2, longest run 5 ≤ 6
    chart = run_chart(list(range(1, 11)))
    assert chart.median == 5.5
    assert (chart.n_useful, chart.longest_run, chart.crossings) == (10, 5, 1)
    assert (chart.longest_run_max, chart.crossings_min) == (6, 2)
    assert chart.signal is True
    assert chart.rules == "anhoej"


def test_run_chart_too_long_a_run():
    # 20 points, 10 at 1 and 10 at 2 (median 1.5), in runs H L H L H L×8 H×7:
    # longest run 8 > 7, crossings 6 (not below 6)
    values = [2, 1, 2, 1, 2] + [1] * 8 + [2] * 7
    chart = run_chart(values)
    assert (chart.n_useful, chart.longest_run, chart.crossings) == (20, 8, 6)
    assert (chart.longest_run_max, chart.crossings_min) == (7, 6)
    assert chart.signal is True


def test_run_chart_random_variation_has_no_signal():
    # alternating: longest run 1, 9 crossings
    chart = run_chart([1, 3] * 5)
    assert (chart.median, chart.longest_run, chart.crossings, chart.signal) == (2, 1, 9, False)


def test_run_chart_ignores_points_on_the_median_and_gaps():
    # present values 1 2 3 2 1 2 3, median 2; useful 1 3 1 3
    chart = run_chart([1, 2, 3, None, 2, 1, 2, 3])
    assert chart.median == 2
    assert (chart.n_useful, chart.longest_run, chart.crossings) == (4, 1, 3)
    # round(log2 4 + 3) = 5; P(Bin(3, ½) = 0) = 0.125 ≥ 0.05, so 0
    assert (chart.longest_run_max, chart.crossings_min, chart.signal) == (5, 0, False)
    assert chart.points[3] is None


def test_run_chart_without_useful_points():
    assert run_chart([]).signal is False
    chart = run_chart([None, 4, 4])
    assert (chart.median, chart.n_useful, chart.longest_run_max, chart.signal) == (4, 0, None, False)


# --------------------------------------------------------------------------
# Properties

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
series = st.lists(st.one_of(finite, st.integers(-1000, 1000)), min_size=0, max_size=40)
rule_sets = st.sampled_from(["mdc", "mdc-pre2023"])


@settings(max_examples=200, deadline=None)
@given(values=series, screen=st.booleans(), fix=st.one_of(st.none(), st.integers(1, 30)))
def test_xmr_limits_are_symmetric_about_the_mean(values, screen, fix):
    chart = xmr_chart(values, screen_outliers=screen, fix_after=fix)
    for p in chart.points:
        if p.upper is None:
            continue
        tol = 1e-9 * max(1.0, abs(p.mean), p.upper - p.mean)
        assert p.lower <= p.near_lower <= p.mean <= p.near_upper <= p.upper
        assert math.isclose(p.upper - p.mean, p.mean - p.lower, rel_tol=1e-9, abs_tol=tol)
        assert math.isclose(p.near_upper - p.mean, p.mean - p.near_lower, rel_tol=1e-9, abs_tol=tol)


@settings(max_examples=200, deadline=None)
@given(
    value=st.one_of(finite, st.integers(-1000, 1000), st.sampled_from([0.1, 1 / 3, 0.7])),
    n=st.integers(1, 40),
    screen=st.booleans(),
    rules=rule_sets,
    improvement=st.sampled_from(["increase", "decrease", "neutral"]),
)
def test_constant_series_has_no_signals_and_limits_on_the_mean(value, n, screen, rules, improvement):
    chart = xmr_chart([value] * n, screen_outliers=screen, rules=rules, improvement=improvement)
    assert flagged(chart) == {}
    assert chart.variation == "common_cause"
    for p in chart.points:
        assert p.mean == value
        if n >= 2:
            assert p.lower == p.mean == p.upper


@st.composite
def with_gaps(draw):
    """A series, the same series with Nones inserted, and where each value went."""
    values = draw(series)
    gapped, where = [], []
    for v in values:
        gapped.extend([None] * draw(st.integers(0, 2)))
        where.append(len(gapped))
        gapped.append(v)
    gapped.extend([None] * draw(st.integers(0, 2)))
    return values, gapped, where


@settings(max_examples=200, deadline=None)
@given(
    case=with_gaps(),
    screen=st.booleans(),
    fix=st.one_of(st.none(), st.integers(1, 30)),
    rules=rule_sets,
    rebase_at=st.one_of(st.none(), st.integers(1, 39)),
)
def test_inserting_gaps_changes_no_other_point(case, screen, fix, rules, rebase_at):
    values, gapped, where = case
    rebase = (rebase_at,) if rebase_at is not None and rebase_at < len(values) else ()
    plain = xmr_chart(values, screen_outliers=screen, fix_after=fix, rules=rules, rebase=rebase)
    holey = xmr_chart(
        gapped, screen_outliers=screen, fix_after=fix, rules=rules, rebase=tuple(where[r] for r in rebase)
    )
    for i, j in enumerate(where):
        a, b = plain.points[i], holey.points[j]
        assert (a.value, a.mean, a.lower, a.upper, a.near_lower, a.near_upper) == (
            b.value,
            b.mean,
            b.lower,
            b.upper,
            b.near_lower,
            b.near_upper,
        )
        assert (a.special_cause, a.point_type, a.period, a.trial) == (
            b.special_cause,
            b.point_type,
            b.period,
            b.trial,
        )
    assert all(holey.points[j].special_cause is None for j in range(len(gapped)) if gapped[j] is None)
    assert plain.variation == holey.variation


@settings(max_examples=100, deadline=None)
@given(
    rows=st.lists(st.tuples(st.integers(0, 50), st.integers(0, 50)), max_size=30),
    gaps=st.lists(st.integers(0, 30), max_size=5),
    laney=st.booleans(),
)
def test_inserting_gaps_changes_no_other_point_of_a_p_chart(rows, gaps, laney):
    rows = [(min(a, b), max(a, b)) for a, b in rows]  # numerator ≤ denominator
    plain = p_chart([a for a, _ in rows], [b for _, b in rows], laney=laney)
    holey_rows = list(rows)
    for g in sorted(gaps, reverse=True):
        holey_rows.insert(min(g, len(holey_rows)), (None, None))
    holey = p_chart([a for a, _ in holey_rows], [b for _, b in holey_rows], laney=laney)
    present = [p for p in holey.points if p.numerator is not None]
    assert len(present) == len(plain.points)
    for a, b in zip(plain.points, present, strict=True):
        assert (a.value, a.mean, a.lower, a.upper, a.special_cause) == (
            b.value,
            b.mean,
            b.lower,
            b.upper,
            b.special_cause,
        )
