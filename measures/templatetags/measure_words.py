from django import template

from qi_projects import equality

register = template.Library()


@register.filter
def group_name(stratum: str) -> str:
    """A stratum code in words: "ethnicity:M" -> "Black or Black British: Caribbean", "all" -> "Everyone"."""
    if not stratum or stratum == "all":
        return "Everyone"
    try:
        return equality.stratum_label(stratum)
    except (KeyError, ValueError):
        return stratum


@register.filter
def period_label(day, frequency: str) -> str:
    """A period as its measure counts it: "Nov 2026", "Q3 2026" or "w/c 23 Nov 2026" (measures.periods.label)."""
    from measures import periods

    return periods.label(frequency, day) if day else ""


@register.filter
def period_words(day, frequency: str) -> str:
    """As `period_label`, with a monthly period's month in full for a sentence: "November 2026"."""
    if day and frequency == "monthly":
        return f"{day:%B %Y}"
    return period_label(day, frequency)
