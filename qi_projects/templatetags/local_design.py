from django import template

from .. import gates
from ..models import ImprovementProject

register = template.Library()


@register.inclusion_tag("qi_projects/_status.html")
def local_design_status(organisation):
    """The local-design summary on an organisation's workspace: projects and the phase 1 gate items."""
    return {
        "organisation": organisation,
        "project_count": ImprovementProject.objects.filter(organisation=organisation).count(),
        "gate_items": gates.phase_one(organisation),
    }
