"""Sustained-improvement detection on constructed series (evaluation/sustained.py)."""

import random

import pytest

from evaluation import sustained as s


def noisy(level, n, seed, spread=2.0):
    rng = random.Random(seed)
    return [level + rng.uniform(-spread, spread) for _ in range(n)]


def test_a_true_shift_that_holds_is_sustained():
    values = noisy(50, 18, 1) + noisy(40, 15, 2)
    result = s.assess(values, 18, improvement="decrease")
    assert result.status == s.SUSTAINED, result.reason
    assert result.signal == "run_below"
    assert result.signal_index >= 18
    assert result.points_before == 18 and result.points_after == 15
    assert result.baseline_mean == pytest.approx(sum(values[:18]) / 18)
    assert "still below" in result.reason


def test_the_same_shift_in_an_increase_measure_is_not_improvement():
    values = noisy(50, 18, 1) + noisy(40, 15, 2)
    result = s.assess(values, 18, improvement="increase")
    assert result.status == s.WORSE
    assert result.signal == "run_below"


def test_a_trend_that_comes_back_is_not_sustained():
    # Down for eight points after the change, then back to the baseline level.
    values = noisy(50, 18, 3, 1) + [44, 43, 42, 41, 41, 40, 41, 42] + noisy(50, 8, 4, 1)
    result = s.assess(values, 18, improvement="decrease")
    assert result.status == s.NOT_SUSTAINED, result.reason
    assert result.checks["shift"] and not result.checks["held"]
    assert "has not held" in result.reason


def test_too_few_points_after_the_change_says_how_many():
    values = noisy(50, 18, 5) + noisy(40, 11, 6)
    result = s.assess(values, 18, improvement="decrease")
    assert result.status == s.TOO_FEW
    assert "11 points after the change" in result.reason and "at least 12" in result.reason


def test_missing_periods_do_not_count_as_points():
    values = noisy(50, 18, 5) + [40, None, 41, None] * 5
    result = s.assess(values, 18, improvement="decrease")
    assert result.points_after == 10
    assert result.status == s.TOO_FEW


def test_no_shift_within_chance():
    values = noisy(50, 36, 7)
    result = s.assess(values, 18, improvement="decrease")
    assert result.status == s.NO_SHIFT
    assert "within chance" in result.reason


def test_no_change_and_no_direction():
    assert s.assess(noisy(50, 30, 8), None, improvement="decrease").status == s.NO_CHANGE
    assert s.assess(noisy(50, 30, 8), 10, improvement="neutral").status == s.NO_DIRECTION


def test_a_gap_that_narrows_and_one_that_widens():
    narrowing = noisy(12, 18, 9, 1) + noisy(4, 14, 10, 1)
    direction = s.gap_direction(narrowing, 18)
    assert direction == "decrease"
    assert s.assess(narrowing, 18, improvement=direction).status == s.SUSTAINED
    widening = noisy(12, 18, 9, 1) + noisy(20, 14, 10, 1)
    assert s.assess(widening, 18, improvement=s.gap_direction(widening, 18)).status == s.WORSE
    # A negative gap narrows upwards.
    negative = [-d for d in narrowing]
    assert s.gap_direction(negative, 18) == "increase"
    assert s.assess(negative, 18, improvement="increase").status == s.SUSTAINED


def test_a_p_chart_uses_the_counts():
    numerators = [50] * 18 + [30] * 14
    denominators = [100] * 32
    values = [n / d for n, d in zip(numerators, denominators, strict=True)]
    result = s.assess(values, 18, improvement="decrease", kind="p", numerators=numerators, denominators=denominators)
    assert result.status == s.SUSTAINED
    assert result.baseline_mean == pytest.approx(0.5)
