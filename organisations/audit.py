"""Writing the audit log. Entries are only ever added (see AuditEvent)."""

from contextvars import ContextVar

from .models import AuditEvent

# The person acting in this request or task, so that model signals can name them.
current_actor: ContextVar = ContextVar("current_actor", default=None)
current_request_meta: ContextVar = ContextVar("current_request_meta", default=None)


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def record(action: str, *, user=None, organisation=None, obj=None, summary: str = "", request=None) -> AuditEvent:
    if user is None and request is not None:
        user = request.user
    if user is None:
        user = current_actor.get()
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    meta = current_request_meta.get() or {}
    if organisation is None and obj is not None:
        organisation = getattr(obj, "organisation_id", None)
    return AuditEvent.objects.create(
        action=action,
        user=user,
        user_email=getattr(user, "email", "") or "",
        organisation_id=getattr(organisation, "pk", organisation),
        object_type=obj._meta.label if obj is not None else "",
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        summary=summary[:300] or (str(obj)[:300] if obj is not None else ""),
        path=(request.path if request is not None else meta.get("path", ""))[:300],
        ip_address=client_ip(request) if request is not None else meta.get("ip"),
    )


def reads_across_organisations(summary: str):
    """Mark a view whose page reads several organisations' data (the board, the coach portfolio,
    the evaluation area): the tenancy middleware audits each successful read of it."""

    def decorator(view):
        view.audited_read = summary
        return view

    return decorator
