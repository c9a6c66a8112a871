"""Equality dimensions, their category codes, and the representation ratio.

Plain Python, no Django: the code lists are used by forms, measures, imports
and charts alike. A stratum is written `<dimension>:<category>` (for example
`ethnicity:M` or `imd_quintile:1`), as in the measure data files.

Ethnicity uses the NHS Data Dictionary ETHNIC CATEGORY codes grouped into the
five upper groups of the Mental Health Services Data Set, plus "not stated" (Z)
and "not known" (99).

Representation ratio
--------------------
For a group with x1 of n1 people in the caseload (or referrals, detentions,
outcomes) and x2 of n2 people in the local population, the caseload share is
p1 = x1/n1, the population share p2 = x2/n2 and the representation ratio

    RR = p1 / p2.

RR above 1 means the group is over-represented in the caseload compared with
its share of the population; below 1, under-represented. The 95% confidence
interval uses the log method for a ratio of two independent binomial
proportions (as for a risk ratio, Katz et al. 1978):

    SE(ln RR) = sqrt((1 - p1) / x1 + (1 - p2) / x2)
    95% CI    = exp(ln RR -/+ 1.96 * SE)

The interval is undefined when either count is zero. A group stands out
("under-represented" or "over-represented") only when the whole interval lies
below or above 1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

Z_95 = 1.959963984540054


@dataclass(frozen=True)
class Dimension:
    code: str
    label: str
    categories: tuple[tuple[str, str], ...] = ()
    # category code -> upper group label, where the dimension has groups (ethnicity)
    groups: dict[str, str] = field(default_factory=dict)
    # a free-text described group rather than coded categories
    described: bool = False

    def category_label(self, code: str) -> str:
        return dict(self.categories).get(code, code)

    def grouped_choices(self) -> list:
        """Choices for a select/checkboxes, grouped by upper group where there is one."""
        if not self.groups:
            return list(self.categories)
        out: dict[str, list] = {}
        for code, label in self.categories:
            out.setdefault(self.groups.get(code, ""), []).append((code, label))
        return list(out.items())


ETHNIC_GROUPS = {
    "White": [("A", "British"), ("B", "Irish"), ("C", "Any other White background")],
    "Mixed": [
        ("D", "White and Black Caribbean"),
        ("E", "White and Black African"),
        ("F", "White and Asian"),
        ("G", "Any other mixed background"),
    ],
    "Asian or Asian British": [
        ("H", "Indian"),
        ("J", "Pakistani"),
        ("K", "Bangladeshi"),
        ("L", "Any other Asian background"),
    ],
    "Black or Black British": [("M", "Caribbean"), ("N", "African"), ("P", "Any other Black background")],
    "Other ethnic groups": [("R", "Chinese"), ("S", "Any other ethnic group")],
    "Not stated": [("Z", "Not stated")],
    "Not known": [("99", "Not known")],
}

# The five upper groups (plus not stated / not known) as a dimension of their own.
ETHNIC_GROUP_CODES = [
    ("white", "White"),
    ("mixed", "Mixed"),
    ("asian", "Asian or Asian British"),
    ("black", "Black or Black British"),
    ("other", "Other ethnic groups"),
    ("not_stated", "Not stated"),
    ("not_known", "Not known"),
]


def ethnic_upper_group(code: str) -> str:
    """The upper group label of an ETHNIC CATEGORY code ("M" -> "Black or Black British")."""
    for group, members in ETHNIC_GROUPS.items():
        if any(code == c for c, _ in members):
            return group
    raise KeyError(code)


def _dimension(code, label, categories, **kw) -> Dimension:
    return Dimension(code=code, label=label, categories=tuple(categories), **kw)


DIMENSIONS: dict[str, Dimension] = {
    d.code: d
    for d in [
        _dimension(
            "ethnicity",
            "Ethnicity (NHS ethnic category)",
            [c for members in ETHNIC_GROUPS.values() for c in members],
            groups={c: g for g, members in ETHNIC_GROUPS.items() for c, _ in members},
        ),
        _dimension("ethnic_group", "Ethnic group (five upper groups)", ETHNIC_GROUP_CODES),
        _dimension(
            "imd_decile",
            "Deprivation: IMD decile",
            [("01", "01 Most deprived")]
            + [(f"{n:02d}", f"{n:02d}") for n in range(2, 10)]
            + [("10", "10 Least deprived"), ("unknown", "Unknown")],
        ),
        _dimension(
            "imd_quintile",
            "Deprivation: IMD quintile",
            [("1", "1 Most deprived"), ("2", "2"), ("3", "3"), ("4", "4"), ("5", "5 Least deprived")],
        ),
        _dimension(
            "core20",
            "Deprivation: Core20 (most deprived fifth)",
            [("yes", "In the most deprived 20%"), ("no", "Not in the most deprived 20%")],
        ),
        _dimension(
            "age_band",
            "Age band",
            [
                ("0-17", "Under 18"),
                ("18-24", "18 to 24"),
                ("25-34", "25 to 34"),
                ("35-44", "35 to 44"),
                ("45-54", "45 to 54"),
                ("55-64", "55 to 64"),
                ("65+", "65 and over"),
            ],
        ),
        _dimension("sex", "Sex", [("female", "Female"), ("male", "Male"), ("not_known", "Not known")]),
        _dimension(
            "gender_identity",
            "Gender identity",
            [
                ("same", "Same as sex registered at birth"),
                ("different", "Different from sex registered at birth"),
                ("not_stated", "Not stated"),
            ],
        ),
        _dimension(
            "sexual_orientation",
            "Sexual orientation",
            [
                ("heterosexual", "Heterosexual or straight"),
                ("gay_lesbian", "Gay or lesbian"),
                ("bisexual", "Bisexual"),
                ("other", "Other sexual orientation"),
                ("not_stated", "Not stated"),
            ],
        ),
        _dimension(
            "disability", "Disability", [("yes", "Disabled"), ("no", "Not disabled"), ("not_stated", "Not stated")]
        ),
        _dimension(
            "religion",
            "Religion or belief",
            [
                ("none", "No religion"),
                ("christian", "Christian"),
                ("buddhist", "Buddhist"),
                ("hindu", "Hindu"),
                ("jewish", "Jewish"),
                ("muslim", "Muslim"),
                ("sikh", "Sikh"),
                ("other", "Other religion or belief"),
                ("not_stated", "Not stated"),
            ],
        ),
        _dimension(
            "first_language",
            "First language",
            [("english", "English"), ("not_english", "Not English"), ("not_known", "Not known")],
        ),
        _dimension(
            "inclusion_health",
            "Inclusion-health group",
            [
                ("homeless", "People experiencing homelessness"),
                ("grt", "Gypsy, Roma and Traveller communities"),
                ("migrants", "Vulnerable migrants and asylum seekers"),
                ("sex_workers", "Sex workers"),
                ("prison_leavers", "People leaving prison"),
                ("substance_use", "People who use drugs or alcohol"),
                ("none", "None of these"),
            ],
        ),
    ]
}

# A group the organisation describes in its own words (no coded categories).
LOCAL = Dimension(code="local", label="Described local group", described=True)

REST_OF_POPULATION = "rest"
REST_LABEL = "Everyone else in the population"


def dimension_choices(blank: str | None = None) -> list[tuple[str, str]]:
    choices = [(d.code, d.label) for d in DIMENSIONS.values()]
    return [("", blank), *choices] if blank is not None else choices


def stratum_choices() -> list:
    """Every `<dimension>:<category>` grouped by dimension (for grouped selects and checkboxes)."""
    return [
        (d.label, [(f"{d.code}:{c}", _short_label(d, c, label)) for c, label in d.categories])
        for d in DIMENSIONS.values()
    ]


def _short_label(d: Dimension, category: str, label: str) -> str:
    group = d.groups.get(category)
    return f"{group}: {label}" if group and group != label else label


def parse_stratum(stratum: str) -> tuple[str, str]:
    """`"ethnicity:M"` -> `("ethnicity", "M")`; raises ValueError for anything not in the code lists."""
    dimension, sep, category = stratum.partition(":")
    if not sep or dimension not in DIMENSIONS:
        raise ValueError(f"{stratum!r} is not a known equality group")
    if category not in dict(DIMENSIONS[dimension].categories):
        raise ValueError(f"{category!r} is not a category of {DIMENSIONS[dimension].label}")
    return dimension, category


def is_category(dimension: str, category: str) -> bool:
    return dimension in DIMENSIONS and category in dict(DIMENSIONS[dimension].categories)


def stratum_label(stratum: str) -> str:
    """A readable label: `"ethnicity:M"` -> `"Black or Black British: Caribbean"`."""
    if stratum == REST_OF_POPULATION:
        return REST_LABEL
    try:
        dimension, category = parse_stratum(stratum)
    except ValueError:
        return stratum
    d = DIMENSIONS[dimension]
    label = d.category_label(category)
    if d.groups and category in d.groups:
        return label if d.groups[category] == label else f"{d.groups[category]}: {label}"
    return f"{d.label}: {label}"


def category_label(dimension: str, category: str) -> str:
    return stratum_label(f"{dimension}:{category}") if dimension in DIMENSIONS else category


@dataclass(frozen=True)
class Representation:
    """One group's share of the population and of the caseload, and their ratio."""

    category: str
    population: int
    caseload: int
    population_share: float | None
    caseload_share: float | None
    ratio: float | None
    lower: float | None
    upper: float | None

    @property
    def standing(self) -> str:
        """ "under", "over" or "" (the 95% interval includes 1, or cannot be computed)."""
        if self.upper is not None and self.upper < 1:
            return "under"
        if self.lower is not None and self.lower > 1:
            return "over"
        return ""


def representation_ratio(x1: int, n1: int, x2: int, n2: int) -> tuple[float | None, float | None, float | None]:
    """(ratio, lower, upper) of caseload share x1/n1 over population share x2/n2, with a 95% CI.

    See the module docstring for the method. Returns (None, None, None) when a
    share cannot be computed, and a ratio without interval when a count is zero.
    """
    if n1 <= 0 or n2 <= 0 or x2 <= 0:
        return None, None, None
    p1, p2 = x1 / n1, x2 / n2
    ratio = p1 / p2
    if x1 <= 0:
        return ratio, None, None
    se = math.sqrt((1 - p1) / x1 + (1 - p2) / x2)
    log_ratio = math.log(ratio)
    return ratio, math.exp(log_ratio - Z_95 * se), math.exp(log_ratio + Z_95 * se)


def representation(rows: list[tuple[str, int, int]]) -> list[Representation]:
    """Rows of (category, population count, caseload count) -> each group's representation."""
    pop_total = sum(p for _, p, _ in rows)
    case_total = sum(c for _, _, c in rows)
    out = []
    for category, pop, case in rows:
        ratio, lower, upper = representation_ratio(case, case_total, pop, pop_total)
        out.append(
            Representation(
                category=category,
                population=pop,
                caseload=case,
                population_share=pop / pop_total if pop_total else None,
                caseload_share=case / case_total if case_total else None,
                ratio=ratio,
                lower=lower,
                upper=upper,
            )
        )
    return out
