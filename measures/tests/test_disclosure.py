"""Tests for measures.disclosure (pure Python: run with ``-p no:django``)."""

from decimal import Decimal

import pytest

from measures.disclosure import (
    display,
    publish,
    suppress_count,
    suppress_difference,
    suppress_rate,
    suppress_ratio,
    suppress_total,
    suppress_value,
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
        (7, 8, 0.5),  # from the rounded counts 5 / 10, never the raw 7 / 8 = 0.875
        (13, 52, 0.3),  # 15 / 50, not 0.25
        (17, 74, 0.2),  # 15 / 75: the raw 0.2297 would give 17 and 74 away
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


def test_published_rate_is_worked_out_from_the_rounded_counts():
    # 17/74 = 22.97%: beside "15" and "75" that would leave only 17/74. Published: 15/75 = 20.0%.
    figures = publish(17, 74, None, scale=100, unit="%")
    assert (figures.numerator, figures.denominator, figures.rate) == (15, 75, 20.0)
    assert (figures.numerator_text, figures.denominator_text, figures.rate_text) == ("15", "75", "20.0%")
    assert figures.figure_text == "20.0%"
    assert figures.cells() == [15, 75, "20.0%", ""]


def test_published_rate_is_suppressed_when_either_count_is():
    for numerator, denominator in [(4, 12), (12, 4), (0, 30)]:
        figures = publish(numerator, denominator, None, scale=100, unit="%")
        assert figures.rate is None and figures.rate_text == "*"
    assert publish(4, 12, None, scale=100, unit="%").cells() == ["*", 10, "*", ""]


def test_a_rate_keeps_its_measure_unit():
    # 23 restraints in 1,198 bed days: 25 / 1,200 * 1,000 = 20.8 per 1,000, never a percentage
    figures = publish(23, 1198, None, scale=1000, unit=" per 1,000")
    assert figures.rate_text == "20.8 per 1,000"
    assert "%" not in figures.figure_text
    # 212 in 98,712 people: 210 / 98,710 * 100,000 = 212.7 per 100,000
    assert publish(212, 98712, None, scale=100000, unit=" per 100,000").rate_text == "212.7 per 100,000"


def test_a_value_measure_has_no_counts_to_suppress():
    figures = publish(None, None, Decimal("40.500000"), unit=" days")
    assert (figures.numerator_text, figures.denominator_text, figures.rate_text) == ("–", "–", "–")
    assert figures.value == Decimal("40.5") and figures.figure_text == "40.5 days"
    assert figures.cells() == ["", "", "", Decimal("40.5")]
    # ten is written 10, not 1E+1
    assert str(publish(None, None, Decimal("10.000000")).value) == "10"


def test_a_value_that_counts_people_or_events_is_suppressed_like_a_count():
    assert publish(None, None, Decimal("3.000000"), unit=" detentions", value_is_count=True).figure_text == "*"
    figures = publish(None, None, Decimal("21.000000"), unit=" detentions", value_is_count=True)
    assert figures.value == 20 and figures.figure_text == "20 detentions"
    assert figures.cells() == ["", "", "", 20]
    # the same value not counting anything is shown as it is
    assert publish(None, None, Decimal("3.000000"), unit=" days").figure_text == "3 days"


@pytest.mark.parametrize(
    ("value", "shown"),
    [(Decimal("4.4"), None), (Decimal("7.6"), 10), (Decimal("-2"), None), (12, 10), (None, None)],
)
def test_suppress_value_of_a_count(value, shown):
    # 7.6 is 8 people when whole: rounded to 10; a negative count cannot be right and is hidden
    assert suppress_value(value, is_count=True) == shown


def test_a_missing_value_is_not_applicable_not_suppressed():
    assert publish(None, None, None, scale=100, unit="%").figure_text == "–"
