from django import template
from django.db.models import Count, Q

from organisations import access, notifications

from ..models import PdsaCycle

register = template.Library()


@register.inclusion_tag("pdsa/pdsa_workspace.html")
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
        "unread": notifications.unread_count(user, organisation=organisation),
    }
