import functools

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

register = template.Library()


@register.filter
def pounds(pence) -> str:
    """Whole pence as pounds: 1800000 -> £18,000.00 (integer arithmetic, no floats)."""
    if pence is None or pence == "":
        return ""
    pence = int(pence)
    sign = "-" if pence < 0 else ""
    pounds_part, pence_part = divmod(abs(pence), 100)
    return f"{sign}£{pounds_part:,}.{pence_part:02d}"


@functools.lru_cache(maxsize=4096)
def _icons(variation, direction, assurance, variation_text, assurance_text) -> str:
    return render_to_string(
        "measures/_icons.html",
        {
            "variation": variation,
            "direction": direction,
            "assurance": assurance,
            "variation_text": variation_text,
            "assurance_text": assurance_text,
        },
    )


@register.simple_tag
def spc_icons(result, label: str = ""):
    """A chart's variation and assurance icons, their text in each icon's accessible name.

    The board draws a thousand of them: the markup depends only on the five inputs, so each
    combination is rendered once per process (it holds no data, only the icon set)."""
    if result is None:
        return ""
    prefix = f"{label}: " if label else ""
    html = _icons(
        result.variation,
        result.direction,
        result.assurance,
        prefix + result.variation_text,
        prefix + result.assurance_text,
    )
    return mark_safe(html)  # noqa: S308 - rendered by Django's escaping template from the fixed icon set
