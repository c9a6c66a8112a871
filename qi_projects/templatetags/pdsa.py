from django import template
from django.db.models import Count, Q

from organisations import access

from ..models import Notification, PdsaCycle

register = template.Library()


@register.inclusion_tag("qi_projects/pdsa_workspace.html")
def pdsa_status(organisation, user):
    """The workspace's testing section: log a cycle, cycles in progress, unread feedback (two queries)."""
    counts = PdsaCycle.objects.filter(organisation=organisation).aggregate(
        open=Count("pk", filter=~Q(status=PdsaCycle.Status.COMPLETED)),
        completed=Count("pk", filter=Q(status=PdsaCycle.Status.COMPLETED)),
    )
    return {
        "organisation": organisation,
        "can_log": access.can(user, "log_work", organisation),
        "open_count": counts["open"],
        "completed_count": counts["completed"],
        "unread": Notification.objects.filter(organisation=organisation, recipient=user, read_at=None).count(),
    }
