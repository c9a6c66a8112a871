import csv

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST
from django_scopes import scopes_disabled

from . import access
from .adapters import SESSION_KEY
from .audit import record
from .forms import LEAD_MAY_INVITE, ApiTokenForm, AuditFilterForm, InvitationForm, ProgrammeInvitationForm
from .models import (
    TEAM_ROLES,
    ApiToken,
    AuditEvent,
    Invitation,
    Membership,
    Notification,
    Organisation,
    accept_invitation,
)


@access.requires("view_workspace", post="invite_team")
def team(request, org):
    organisation = request.organisation
    members = Membership.objects.filter(organisation=organisation).select_related("user")
    may_invite = access.can(request.user, "invite_team", organisation)
    form = None
    if may_invite:
        roles = TEAM_ROLES if access.principal(request.user).is_national else LEAD_MAY_INVITE
        form = InvitationForm(request.POST or None, roles=roles, organisation=organisation, invited_by=request.user)
        if request.method == "POST":
            if form.is_valid():
                invitation = form.save()
                invitation.send(request=request)
                messages.success(request, f"Invitation sent to {invitation.email}.")
                return redirect("organisations:team", org=organisation.slug)
    invitations = Invitation.objects.filter(organisation=organisation).select_related("invited_by")
    return render(
        request,
        "organisations/team.html",
        {
            "organisation": organisation,
            "members": members,
            "form": form,
            "invitations": invitations,
        },
        status=422 if form is not None and form.is_bound and not form.is_valid() else 200,
    )


@access.requires("export_raw")
def team_export(request, org):
    organisation = request.organisation
    response = HttpResponse(content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{organisation.slug}-team.csv"'
    writer = csv.writer(response)
    writer.writerow(["name", "email", "role"])
    for m in Membership.objects.filter(organisation=organisation).select_related("user"):
        writer.writerow([m.user.get_full_name(), m.user.email, m.get_role_display()])
    record(AuditEvent.Action.EXPORT, request=request, organisation=organisation, summary="Exported the team list")
    response.audit_recorded = True
    return response


@access.requires("invite_programme")
def programme_invite(request):
    p = access.principal(request.user)
    collaborative = access.collaborative_for(request.user)
    organisations = Organisation.objects.filter(pk__in=access.visible_organisation_ids(request.user))
    form = ProgrammeInvitationForm(
        request.POST or None, organisations=organisations, collaborative=collaborative, invited_by=request.user
    )
    if request.method == "POST" and form.is_valid():
        invitation = form.save()
        invitation.send(request=request)
        messages.success(request, f"Invitation sent to {invitation.email}.")
        return redirect("organisations:programme_invite")
    # National-level list: this collaborative's organisations' invitations and its programme staff's.
    with scopes_disabled():
        invitations = list(
            Invitation.objects.filter(
                Q(organisation_id__in=access.visible_organisation_ids(request.user))
                | Q(organisation__isnull=True, collaborative_id__in=p.collaborative_ids)
            ).select_related("organisation", "invited_by")[:50]
        )
    return render(
        request,
        "organisations/programme_invite.html",
        {"form": form, "invitations": invitations},
        status=422 if form.is_bound and not form.is_valid() else 200,
    )


@login_not_required
def invitation_accept(request, token):
    try:
        invitation_id = Invitation.id_from_token(token)
    except (signing.BadSignature, KeyError, ValueError, TypeError):
        return render(
            request,
            "organisations/invitation_invalid.html",
            {"reason": "This invitation link is not valid. Check you copied the whole link from the email."},
            status=400,
        )
    # The invitee has no account (so no scope) yet; the signed token names the row.
    with scopes_disabled():
        invitation = Invitation.objects.select_related("organisation").filter(pk=invitation_id).first()
    if invitation is None or invitation.status == Invitation.Status.REVOKED:
        return render(
            request,
            "organisations/invitation_invalid.html",
            {"reason": "This invitation has been withdrawn."},
            status=410,
        )
    if invitation.status == Invitation.Status.ACCEPTED:
        return render(
            request,
            "organisations/invitation_invalid.html",
            {"reason": "This invitation has already been used. Sign in with the account it created."},
            status=410,
        )
    if invitation.status == Invitation.Status.EXPIRED:
        return render(
            request,
            "organisations/invitation_invalid.html",
            {"reason": "This invitation has expired. Ask the person who invited you to send a new one."},
            status=410,
        )

    existing = get_user_model().objects.filter(email__iexact=invitation.email).first()
    if existing is None:
        request.session[SESSION_KEY] = invitation.pk
        request.session["account_verified_email"] = invitation.email
        return redirect("account_signup")
    if not request.user.is_authenticated:
        messages.info(request, "You already have an account: sign in to accept the invitation.")
        return redirect(f"{reverse('account_login')}?next={request.path}")
    if request.user.pk != existing.pk:
        return render(
            request,
            "organisations/invitation_invalid.html",
            {"reason": "This invitation is for a different email address. Sign out and sign in as the invited person."},
            status=403,
        )
    if request.method == "POST":
        if accept_invitation(invitation.pk, request.user):
            access.forget(request.user)
            record(
                AuditEvent.Action.ROLE_CHANGE,
                request=request,
                organisation=invitation.organisation,
                summary=f"Accepted invitation as {invitation.get_role_display()}",
            )
            messages.success(request, "Invitation accepted.")
        return redirect("home")
    return render(request, "organisations/invitation_accept.html", {"invitation": invitation})


@access.requires("view_audit")
def audit_log(request):
    visible = access.visible_organisation_ids(request.user)
    form = AuditFilterForm(request.GET or None, organisations=Organisation.objects.filter(pk__in=visible))
    # The national team sees its own organisations' events and events tied to no organisation (sign-ins).
    events = AuditEvent.objects.filter(Q(organisation_id__in=visible) | Q(organisation__isnull=True)).select_related(
        "organisation"
    )
    if form.is_valid():
        data = form.cleaned_data
        if data["organisation"]:
            events = events.filter(organisation=data["organisation"])
        if data["user"]:
            events = events.filter(user_email__icontains=data["user"])
        if data["date_from"]:
            events = events.filter(at__date__gte=data["date_from"])
        if data["date_to"]:
            events = events.filter(at__date__lte=data["date_to"])
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "organisations/audit_log.html", {"form": form, "page": page, "query": query.urlencode()})


@access.requires("manage_tokens")
def api_tokens(request, org):
    """The lead creates and revokes tokens; a new token's secret is shown on this response only."""
    organisation = request.organisation
    form = ApiTokenForm(request.POST or None)
    secret = None
    if request.method == "POST" and form.is_valid():
        token, secret = ApiToken.issue(
            organisation=organisation, name=form.cleaned_data["name"], created_by=request.user
        )
        record(
            AuditEvent.Action.CREATE,
            request=request,
            organisation=organisation,
            obj=token,
            summary=f"Created API token {token.name!r}",
        )
        form = ApiTokenForm()
    tokens = ApiToken.objects.filter(organisation=organisation).select_related("created_by")
    response = render(
        request,
        "organisations/api_tokens.html",
        {"organisation": organisation, "form": form, "tokens": tokens, "secret": secret},
        status=422 if form.is_bound and not form.is_valid() else 200,
    )
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@access.requires("manage_tokens")
def api_token_revoke(request, org, pk):
    token = get_object_or_404(ApiToken, pk=pk, organisation=request.organisation)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        messages.success(request, f"Token {token.name!r} revoked: it no longer works.")
    return redirect("organisations:api_tokens", org=org)


@access.requires("view_workspace")
def notifications(request, org):
    """What the person has been told about this organisation's work; opening the page marks it read."""
    rows = list(Notification.objects.filter(organisation=request.organisation, recipient=request.user)[:100])
    unread = [n.pk for n in rows if n.read_at is None]
    if unread:
        Notification.objects.filter(pk__in=unread).update(read_at=timezone.now())
    return render(
        request,
        "organisations/notifications.html",
        {"organisation": request.organisation, "rows": rows, "unread": set(unread)},
    )


def inbox(request):
    """Everything the signed-in person has been told, across their organisations; opening it marks it read."""
    rows = list(Notification.objects.filter(recipient=request.user).select_related("organisation")[:200])
    unread = [n.pk for n in rows if n.read_at is None]
    if unread:
        Notification.objects.filter(pk__in=unread).update(read_at=timezone.now())
    return render(request, "organisations/notifications.html", {"rows": rows, "unread": set(unread)})
