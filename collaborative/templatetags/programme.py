from django import template

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
