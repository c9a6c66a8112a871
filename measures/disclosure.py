"""Small-number disclosure control for figures shown beyond their own organisation.

Follows the convention of NHS mental health statistics below national level:
counts under 5 (including 0) are suppressed (shown as ``*``), other counts are
rounded to the nearest 5; a rate is worked out from the rounded counts and is
suppressed when either is; a value that is itself a count of people or events
is suppressed like a count; a figure derived from a suppressed one is
suppressed. ``None`` stands for "suppressed" throughout.

`publish` is the one function that forms a data point's published figures:
every suppressed view and export calls it. Pure Python, no Django imports.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

SUPPRESSED = "*"
NOT_APPLICABLE = "–"  # a figure the measure does not have: a value measure's counts, a proportion's value
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


def suppress_rate(numerator: int | None, denominator: int | None) -> float | None:
    """The rounded numerator over the rounded denominator, or None when either is suppressed.

    Computed from the *rounded* counts, never the raw ones: a raw rate printed
    beside rounded counts gives the raw counts away (15 and 75 shown with
    23.0% fit only 17/74). Rounding can distort a rate (7/8 = 0.875 is published
    as 5/10 = 0.5); that is the price of telling nothing the rounded counts do
    not. A zero denominator is under 5, so it never divides.
    """
    n, d = suppress_count(numerator), suppress_count(denominator)
    if n is None or d is None:
        return None
    return n / d


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


def suppress_value(value: object, *, is_count: bool) -> int | Decimal | None:
    """A plain value as published: suppressed and rounded like a count when it counts people or events.

    A count's value is rounded to a whole number first (a stored 21.000000 is
    21); a negative count cannot be right and is suppressed. Any other value is
    published as it is, as a plain number (never in exponent form).
    """
    if value is None:
        return None
    number = _plain(value)
    if not is_count:
        return number
    if number < 0:
        return None
    return suppress_count(int(number.to_integral_value(ROUND_HALF_UP)))


def _plain(value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise TypeError(f"a value must be a number; got {value!r}")
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    # normalize() drops trailing zeros (21.000000 -> 21); the round trip through "f" keeps 10 from becoming 1E+1
    return Decimal(format(number.normalize(), "f"))


@dataclass(frozen=True)
class Published:
    """One data point's figures as a suppressed view shows them.

    Numbers are None when suppressed or not applicable; the texts say which
    (``*`` or ``–``). `rate` is in the measure's unit (a percentage, per 1,000
    bed days, ...), worked out from the published counts only.
    """

    numerator: int | None
    denominator: int | None
    rate: float | None
    value: int | Decimal | None
    numerator_text: str
    denominator_text: str
    rate_text: str
    value_text: str
    unit: str = ""

    @property
    def figure_text(self) -> str:
        """The headline figure with its unit: the rate for counts, otherwise the value."""
        if self.rate_text != NOT_APPLICABLE:
            return self.rate_text
        if self.value is None:
            return self.value_text
        return f"{self.value_text}{self.unit}"

    def cells(self) -> list[object]:
        """numerator, denominator, rate, value for a CSV or XLSX row: numbers stay numbers, ``–`` is blank."""
        return [
            _cell(self.numerator, self.numerator_text),
            _cell(self.denominator, self.denominator_text),
            "" if self.rate_text == NOT_APPLICABLE else self.rate_text,
            _cell(self.value, self.value_text),
        ]


def _cell(number: object, text: str) -> object:
    if text == NOT_APPLICABLE:
        return ""
    return SUPPRESSED if number is None else number


def publish(
    numerator: int | None,
    denominator: int | None,
    value: object,
    *,
    scale: float = 1.0,
    unit: str = "",
    value_is_count: bool = False,
) -> Published:
    """The published form of one data point: counts rounded, the rate from the rounded counts, the value.

    `scale` and `unit` say how the measure's figures are shown (100 and "%" for
    a proportion, 1000 and " per 1,000" for a rate per 1,000, 1 and " days" for
    a value); `value_is_count` says the value is a count of people or events.
    A figure the point does not have is not applicable (``–``), not suppressed.
    """
    has_counts = numerator is not None or denominator is not None
    n, d = suppress_count(numerator), suppress_count(denominator)
    rate = None if n is None or d is None else n / d * scale
    published_value = suppress_value(value, is_count=value_is_count)
    return Published(
        numerator=n,
        denominator=d,
        rate=rate,
        value=published_value,
        numerator_text=NOT_APPLICABLE if numerator is None else display(n),
        denominator_text=NOT_APPLICABLE if denominator is None else display(d),
        rate_text=NOT_APPLICABLE if not has_counts else display(rate, ",.1f") + ("" if rate is None else unit),
        value_text=NOT_APPLICABLE if value is None else display(published_value),
        unit=unit,
    )


def display(value: object, spec: str = "") -> str:
    """``*`` for a suppressed (None) figure, otherwise ``format(value, spec)``."""
    if value is None:
        return SUPPRESSED
    return format(value, spec)
