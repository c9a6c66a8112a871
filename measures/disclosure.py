"""Small-number disclosure control for figures shown beyond their own organisation.

Follows the convention of NHS mental health statistics below national level:
counts under 5 (including 0) are suppressed (shown as ``*``), other counts are
rounded to the nearest 5; a rate is suppressed when its numerator or
denominator is under 5; a figure derived from a suppressed one is suppressed.
``None`` stands for "suppressed" throughout. Pure Python, no Django imports.
"""

from __future__ import annotations

from collections.abc import Iterable

SUPPRESSED = "*"
THRESHOLD = 5  # counts below this are suppressed
ROUND_TO = 5


def _count(n: object) -> int:
    """A count as an int; whole-number floats (e.g. from a database) are accepted."""
    if isinstance(n, bool) or not isinstance(n, (int, float)):
        raise TypeError(f"a count must be a whole number; got {n!r}")
    if isinstance(n, float):
        if not n.is_integer():
            raise ValueError(f"a count must be a whole number; got {n!r}")
        n = int(n)
    if n < 0:
        raise ValueError(f"a count cannot be negative; got {n!r}")
    return n


def suppress_count(n: int | None) -> int | None:
    """None below 5 (including 0) or when missing, otherwise ``n`` rounded to the nearest 5.

    Integer arithmetic, halves rounding up (Python's ``round()`` rounds halves
    to even, and floats could misround); for whole counts a half never occurs
    anyway: 7 -> 5, 8 -> 10, 12 -> 10, 13 -> 15.
    """
    if n is None:
        return None
    n = _count(n)
    if n < THRESHOLD:
        return None
    return (n + ROUND_TO // 2) // ROUND_TO * ROUND_TO


def suppress_rate(numerator: float | None, denominator: float | None) -> float | None:
    """numerator / denominator, or None when either is missing or under 5.

    The rate is computed from the *raw* numerator and denominator, not the
    rounded ones: rounding both first can distort a rate badly (7/8 = 0.875
    would become 5/10 = 0.5), while the raw rate of two counts that are each at
    least 5 does not reveal a small number. A zero denominator is under 5, so
    it never divides.
    """
    if numerator is None or denominator is None:
        return None
    if numerator < THRESHOLD or denominator < THRESHOLD:
        return None
    return numerator / denominator


def suppress_difference(a: float | None, b: float | None) -> float | None:
    """``a - b`` of two already-suppressed figures; None if either is suppressed."""
    if a is None or b is None:
        return None
    return a - b


def suppress_ratio(a: float | None, b: float | None) -> float | None:
    """``a / b`` of two already-suppressed figures; None if either is suppressed or ``b`` is 0."""
    if a is None or b is None or b == 0:
        return None
    return a / b


def suppress_total(counts: Iterable[int | None]) -> int | None:
    """The rounded total of raw counts, or None if any of them would be suppressed.

    Otherwise the total would let a reader recover a suppressed count by
    subtraction from the other, visible, counts.
    """
    values = list(counts)
    if any(suppress_count(c) is None for c in values):
        return None
    return suppress_count(sum(values))  # type: ignore[arg-type]


def display(value: object, spec: str = "") -> str:
    """``*`` for a suppressed (None) figure, otherwise ``format(value, spec)``."""
    if value is None:
        return SUPPRESSED
    return format(value, spec)
