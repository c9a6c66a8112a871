from django import template

from ..models import Resource

register = template.Library()


@register.inclusion_tag("learning_sets/_resources_for.html", takes_context=True)
def resources_for(context, page: str):
    """Links to the library's resources tagged for a page: {% load learning_sets %}{% resources_for "pdsa" %}.

    One query. Shows the resources of the collaboratives the signed-in person takes part in.
    """
    from .. import audience

    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"resources": [], "page": page}
    resources = Resource.objects.filter(
        pages__page=page, published=True, collaborative_id__in=list(audience.collaboratives(user))
    ).order_by("step", "title")[:8]
    return {"resources": list(resources), "page": page}
