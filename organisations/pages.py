"""What every organisation page's template needs, in one place."""

from . import access


def org_context(request, **extra) -> dict:
    """The organisation and what the person may do there, plus the page's own context."""
    organisation = request.organisation
    return {
        "organisation": organisation,
        "can_edit": access.can(request.user, "edit_plan", organisation),
        "can_comment": access.can(request.user, "comment", organisation),
        **extra,
    }


def form_status(form) -> int:
    """422 for a submitted form with errors (the page shows them), else 200."""
    return 422 if form.is_bound and not form.is_valid() else 200
