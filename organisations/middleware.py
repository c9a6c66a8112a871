from django.http import Http404
from django.shortcuts import redirect
from django.urls import Resolver404, resolve
from django_scopes import scope

from . import access
from .audit import current_actor, current_request_meta, record
from .models import AuditEvent, Organisation

# Paths a programme-staff user without an authenticator may still reach: signing
# in and out, setting up MFA itself, accepting an invitation, the health check, unsubscribing.
MFA_EXEMPT_PREFIXES = ("/accounts/", "/healthz", "/static/", "/invitations/", "/api/", "/notifications/unsubscribe/")


class OrganisationScopeMiddleware:
    """Resolve `orgs/<slug>/`, refuse outsiders with 404 and enter the tenant scope.

    Every organisation-owned model has a ScopedManager, so a query made while
    handling the request only ever sees the organisations this user may see; a
    query that forgot its tenant raises instead of leaking another's rows.
    Successful reads of an organisation's pages are written to the audit log.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        request.organisation = None
        if not user.is_authenticated:
            # LoginRequiredMiddleware sends the visitor to the login page.
            with scope(organisation=[]):
                return self.get_response(request)

        if not request.path.startswith(MFA_EXEMPT_PREFIXES) and access.needs_mfa(user):
            return redirect("mfa_activate_totp")

        visible = access.visible_organisation_ids(user)
        try:
            match = resolve(request.path_info)
        except Resolver404:
            match = None
        org_slug = match.kwargs.get("org") if match else None
        if org_slug:
            organisation = Organisation.objects.filter(slug=org_slug, pk__in=visible).first()
            if organisation is None:
                raise Http404("No such organisation.")
            request.organisation = organisation

        actor = current_actor.set(user)
        meta = current_request_meta.set({"path": request.path, "ip": request.META.get("REMOTE_ADDR")})
        try:
            with scope(organisation=visible):
                response = self.get_response(request)
        finally:
            current_actor.reset(actor)
            current_request_meta.reset(meta)

        if request.method == "GET" and response.status_code == 200 and not getattr(response, "audit_recorded", False):
            self.audit_read(request, response, match)
        return response

    @staticmethod
    def audit_read(request, response, match) -> None:
        """Record a successful read of an organisation's page, or of a page that reads across
        organisations (views marked with `audit.reads_across_organisations`). An htmx partial
        is part of a page already recorded; a full page or a file is recorded whatever the
        request's headers say."""
        if _is_partial(request, response):
            return
        if request.organisation is not None:
            record(
                AuditEvent.Action.VIEW,
                request=request,
                organisation=request.organisation,
                summary=f"Viewed {match.view_name}",
            )
        elif match is not None and getattr(match.func, "audited_read", None):
            record(AuditEvent.Action.VIEW, request=request, summary=match.func.audited_read)


def _is_partial(request, response) -> bool:
    if not getattr(request, "htmx", False) or response.streaming:
        return False
    if not response.get("Content-Type", "").startswith("text/html") or response.has_header("Content-Disposition"):
        return False
    head = response.content[:512].lstrip().lower()
    return not head.startswith((b"<!doctype", b"<html"))
