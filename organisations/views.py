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

from collaborative.models import Collaborative

from . import access, exports
from .adapters import SESSION_KEY
from .audit import record
from .forms import LEAD_MAY_INVITE, ApiTokenForm, AuditFilterForm, InvitationForm, ProgrammeInvitationForm
from .models import TEAM_ROLES, ApiToken, AuditEvent, Invitation, Membership, Organisation, Role, accept_invitation
from .tasks import send_invitation


@access.requires("view_workspace")
def workspace(request, org):
    organisation = request.organisation
    return render(
        request,
        "organisations/workspace.html",
        {
            "organisation": organisation,
            "role_labels": sorted(Role(r).label for r in access.roles_in(request.user, organisation)),
            "may_view_fees": access.can(request.user, "view_fees", organisation),
            "may_manage_tokens": access.can(request.user, "manage_tokens", organisation),
        },
    )


@access.requires("view_workspace")
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
                record(
                    AuditEvent.Action.INVITE,
                    request=request,
                    organisation=organisation,
                    obj=invitation,
                    summary=f"Invited {invitation.email} as {invitation.get_role_display()}",
                )
                send_invitation.delay_on_commit(invitation.pk)
                messages.success(request, f"Invitation sent to {invitation.email}.")
                return redirect("organisations:team", org=organisation.slug)
    elif request.method == "POST":
        return HttpResponse("You cannot invite people to this team.", status=403)
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
    writer = exports.csv_writer(response)
    writer.writerow(["name", "email", "role"])
    for m in Membership.objects.filter(organisation=organisation).select_related("user"):
        writer.writerow([m.user.get_full_name(), m.user.email, m.get_role_display()])
    record(AuditEvent.Action.EXPORT, request=request, organisation=organisation, summary="Exported the team list")
    response.audit_recorded = True
    return response


@access.requires("view_portfolio")
def portfolio(request):
    """A coach's organisations: where each is, what is flagged, and what changed since they last looked."""
    from django.db.models import Count, OuterRef, Subquery
    from django.utils import timezone

    from collaborative.models import Enrolment, PhaseEvent, TeamMeeting
    from collaborative.views import FLAG_LABELS, enrolment_flags
    from measures.models import DataPoint

    today = timezone.localdate()
    ids = list(access.principal(request.user).assigned_roles)

    def changed_since(model, moment_field):
        rows = (
            model.objects.filter(
                organisation=OuterRef("organisation"), **{f"{moment_field}__gt": OuterRef("last_seen")}
            )
            .order_by()
            .values("organisation")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return Subquery(rows[:1])

    last_seen = (
        AuditEvent.objects.filter(
            user=request.user, action=AuditEvent.Action.VIEW, organisation_id=OuterRef("organisation_id")
        )
        .order_by("-at")
        .values("at")[:1]
    )
    enrolments = (
        Enrolment.objects.filter(organisation_id__in=ids, active=True)
        .with_flags(today)
        .annotate(last_seen=Subquery(last_seen))
        .annotate(
            new_data=changed_since(DataPoint, "updated_at"),
            new_meetings=changed_since(TeamMeeting, "created_at"),
            new_phase_events=changed_since(PhaseEvent, "at"),
        )
        .select_related("organisation")
        .order_by("organisation__name")
    )
    rows = [
        {"enrolment": e, "organisation": e.organisation, "flags": [FLAG_LABELS[f] for f in enrolment_flags(e, today)]}
        for e in enrolments
    ]
    return render(request, "organisations/portfolio.html", {"rows": rows})


@access.requires("invite_programme")
def programme_invite(request):
    p = access.principal(request.user)
    collaborative = Collaborative.objects.filter(pk__in=p.collaborative_ids).first() or Collaborative.objects.first()
    organisations = Organisation.objects.filter(pk__in=access.visible_organisation_ids(request.user))
    form = ProgrammeInvitationForm(
        request.POST or None, organisations=organisations, collaborative=collaborative, invited_by=request.user
    )
    if request.method == "POST" and form.is_valid():
        invitation = form.save()
        record(
            AuditEvent.Action.INVITE,
            request=request,
            organisation=invitation.organisation,
            obj=invitation,
            summary=f"Invited {invitation.email} as {invitation.get_role_display()}",
        )
        send_invitation.delay_on_commit(invitation.pk)
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
    if invitation is None or invitation.status == "revoked":
        return render(
            request,
            "organisations/invitation_invalid.html",
            {"reason": "This invitation has been withdrawn."},
            status=410,
        )
    if invitation.status == "accepted":
        return render(
            request,
            "organisations/invitation_invalid.html",
            {"reason": "This invitation has already been used. Sign in with the account it created."},
            status=410,
        )
    if invitation.status == "expired":
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


def role_home(user) -> str:
    """Where a user lands after signing in, by their role."""
    p = access.principal(user)
    if p.is_national:
        return reverse("collaborative:board")
    if Role.COACH in p.programme_roles or Role.EXPERT in p.programme_roles:
        return reverse("organisations:portfolio")
    if Role.EVALUATOR in p.programme_roles:
        return reverse("collaborative:evaluation")
    if p.team_roles:
        org_id = sorted(p.team_roles)[0]
        organisation = Organisation.objects.get(pk=org_id)
        return reverse("organisations:workspace", kwargs={"org": organisation.slug})
    return reverse("no_role")


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
