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
