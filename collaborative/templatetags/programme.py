import functools

from django import template
from django.template.loader import render_to_string
from django.utils.html import format_html
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


@register.simple_tag
def icon_cells(cells):
    """A board grid row's cells, one per library measure: its icons, "no data" or "not used".

    Rendered here rather than in the template: a hundred organisations by the library is a
    thousand cells, and the template loop alone would take most of the page's budget."""
    parts = []
    for kind, library_measure, result in cells:
        if kind == "chart":
            parts.append(format_html("<td>{}</td>", spc_icons(result, library_measure.code)))
        else:
            words = "no data" if kind == "no_data" else "not used"
            parts.append(format_html('<td><span class="app-no-data">{}</span></td>', words))
    return mark_safe("".join(parts))  # noqa: S308 - each part built by format_html
