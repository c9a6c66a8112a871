"""Tests for measures.disclosure (pure Python: run with ``-p no:django``)."""

import pytest

from measures.disclosure import (
    display,
    suppress_count,
    suppress_difference,
    suppress_rate,
    suppress_ratio,
    suppress_total,
)


@pytest.mark.parametrize(
    ("n", "shown"),
    [
        (0, None),  # zero is suppressed too
        (4, None),  # largest suppressed count
        (5, 5),  # smallest shown count
        (7, 5),  # 7 is 2 above 5 and 3 below 10: down
        (8, 10),  # 3 above 5, 2 below 10: up
        (12, 10),
        (13, 15),
        (1000, 1000),
        (1002, 1000),
        (1003, 1005),
        (None, None),
    ],
)
def test_suppress_count_boundaries(n, shown):
    assert suppress_count(n) == shown


def test_suppress_count_accepts_whole_floats_only():
    assert suppress_count(8.0) == 10
    for bad in (7.5, -1):
        with pytest.raises(ValueError):
            suppress_count(bad)
    for bad in (True, "8"):
        with pytest.raises(TypeError):
            suppress_count(bad)


@pytest.mark.parametrize(
    ("numerator", "denominator", "rate"),
    [
        (4, 100, None),  # numerator under 5
        (0, 100, None),
        (5, 4, None),  # denominator under 5
        (5, 0, None),  # and never divides by zero
        (None, 100, None),
        (5, None, None),
        (5, 5, 1.0),
        (7, 8, 7 / 8),  # raw values: 0.875, not rounded 5 / 10 = 0.5
        (13, 52, 0.25),
    ],
)
def test_suppress_rate(numerator, denominator, rate):
    assert suppress_rate(numerator, denominator) == rate


def test_difference_and_ratio_of_suppressed_figures_are_suppressed():
    assert suppress_difference(15, 5) == 10
    assert suppress_difference(None, 5) is None
    assert suppress_difference(15, None) is None
    assert suppress_ratio(15, 5) == 3
    assert suppress_ratio(None, 5) is None
    assert suppress_ratio(15, None) is None
    assert suppress_ratio(15, 0) is None


def test_gap_between_group_rates_is_suppressed_when_either_rate_is():
    # group A 30/100 = 0.3, group B 3/50 (numerator under 5): no gap shown
    a, b = suppress_rate(30, 100), suppress_rate(3, 50)
    assert b is None
    assert suppress_difference(a, b) is None
    # group B 10/50 = 0.2: gap 0.1, ratio 1.5
    b = suppress_rate(10, 50)
    assert suppress_difference(a, b) == pytest.approx(0.1)
    assert suppress_ratio(a, b) == pytest.approx(1.5)


def test_total_is_suppressed_when_any_part_would_be():
    # 12 + 8 + 3: the 3 would be suppressed, and 23 - 10 - 10 would reveal it
    assert suppress_total([12, 8, 3]) is None
    assert suppress_total([12, 8, 0]) is None
    assert suppress_total([12, None]) is None
    # 12 + 8 + 7 = 27 -> 25 (rounded from the raw total, not 10 + 10 + 5)
    assert suppress_total([12, 8, 7]) == 25
    assert suppress_total(iter([5, 5])) == 10


def test_total_of_nothing_is_zero_and_so_suppressed():
    assert suppress_total([]) is None


def test_display():
    assert display(None) == "*"
    assert display(15) == "15"
    assert display(0.256, ".1%") == "25.6%"
    assert display(0) == "0"
