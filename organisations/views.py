from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django_scopes import scopes_disabled

from . import access, deliveries, exports
from . import team as membership_changes
from .adapters import SESSION_KEY
from .audit import reads_across_organisations, record
from .forms import (
    LEAD_MAY_INVITE,
    ApiTokenForm,
    AuditFilterForm,
    EmailPreferencesForm,
    InvitationForm,
    MemberRoleForm,
    ProgrammeInvitationForm,
)
from .models import (
    TEAM_ROLES,
    ApiToken,
    AuditEvent,
    Delivery,
    Invitation,
    Membership,
    Notification,
    Organisation,
    Role,
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
            "may_manage": access.can(request.user, "manage_team", organisation),
            "may_close_accounts": access.can(request.user, "manage_accounts"),
            "is_national": access.principal(request.user).is_national,
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
        {"form": form, "invitations": invitations, "is_national": True},
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


# --- Who is in the team: roles, removal, withdrawn invitations, closed accounts ---------------


def _confirm(request, *, title, text, button, cancel_url, organisation=None, error=None, status=200):
    return render(
        request,
        "organisations/confirm.html",
        {
            "organisation": organisation,
            "title": title,
            "text": text,
            "button": button,
            "cancel_url": cancel_url,
            "error": error,
        },
        status=status,
    )


def _member(request, pk) -> Membership:
    return get_object_or_404(Membership.objects.select_related("user"), pk=pk, organisation=request.organisation)


@access.requires("manage_team")
def member_role(request, org, pk):
    membership = _member(request, pk)
    roles = TEAM_ROLES if access.principal(request.user).is_national else [Role.LEAD, *LEAD_MAY_INVITE]
    form = MemberRoleForm(request.POST or None, roles=roles, initial={"role": membership.role})
    if request.method == "POST" and form.is_valid():
        try:
            membership_changes.change_role(membership, form.cleaned_data["role"], request=request)
        except ValidationError as error:
            _errors_to(form, error)
        else:
            messages.success(request, f"{membership.user.display_name} is now {membership.get_role_display()}.")
            return redirect("organisations:team", org=org)
    return render(
        request,
        "organisations/member_role.html",
        {"organisation": request.organisation, "membership": membership, "form": form},
        status=422 if form.is_bound and form.errors else 200,
    )


@access.requires("manage_team")
def member_remove(request, org, pk):
    membership = _member(request, pk)
    person = membership.user.display_name
    context = {
        "organisation": request.organisation,
        "title": f"Take {person} off the team?",
        "text": f"{person} ({membership.get_role_display()}) will no longer see {request.organisation.name}'s "
        "workspace, from their next page. The cycles, comments and data they recorded stay, with their name.",
        "button": "Yes, take them off the team",
        "cancel_url": reverse("organisations:team", kwargs={"org": org}),
    }
    if request.method == "POST":
        try:
            membership_changes.remove_member(membership, request=request)
        except ValidationError as error:
            return _confirm(request, **context, error=error.messages[0], status=422)
        messages.success(request, f"{person} is no longer in the team.")
        return redirect("organisations:team", org=org)
    return _confirm(request, **context)


def _withdraw(request, invitation, *, back, organisation=None):
    if not (access.principal(request.user).is_national or invitation.invited_by_id == request.user.pk):
        raise PermissionDenied
    context = {
        "organisation": organisation,
        "title": f"Withdraw the invitation for {invitation.email}?",
        "text": f"The link sent to {invitation.email} will stop working and say it was withdrawn.",
        "button": "Yes, withdraw it",
        "cancel_url": back,
    }
    if invitation.status != Invitation.Status.PENDING:
        return _confirm(request, **context, error="This invitation is no longer pending.", status=409)
    if request.method == "POST":
        if membership_changes.withdraw_invitation(invitation, request=request):
            messages.success(request, f"Invitation for {invitation.email} withdrawn.")
        return redirect(back)
    return _confirm(request, **context)


@access.requires("invite_team")
def invitation_withdraw(request, org, pk):
    invitation = get_object_or_404(Invitation, pk=pk, organisation=request.organisation)
    return _withdraw(
        request, invitation, back=reverse("organisations:team", kwargs={"org": org}), organisation=request.organisation
    )


@access.requires("invite_programme")
def programme_invitation_withdraw(request, pk):
    p = access.principal(request.user)
    with scopes_disabled():
        invitation = get_object_or_404(
            Invitation.objects.filter(
                Q(organisation_id__in=access.visible_organisation_ids(request.user))
                | Q(organisation__isnull=True, collaborative_id__in=p.collaborative_ids)
            ),
            pk=pk,
        )
    return _withdraw(request, invitation, back=reverse("organisations:programme_invite"))


@access.requires("manage_accounts")
def account_close(request, pk):
    """The national team closes the account of someone who has left one of their organisations or the programme."""
    p = access.principal(request.user)
    with scopes_disabled():
        reachable = Q(memberships__organisation_id__in=access.visible_organisation_ids(request.user)) | Q(
            programme_roles__collaborative_id__in=p.collaborative_ids
        )
        person = get_object_or_404(get_user_model().objects.filter(reachable, is_active=True).distinct(), pk=pk)
    back = request.GET.get("next") or reverse("organisations:audit_log")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("organisations:audit_log")
    context = {
        "title": f"Close the account of {person.display_name}?",
        "text": f"{person.email} will be signed out now and cannot sign in again; their API tokens stop working. "
        "Everything they recorded stays, with their name. Use this when someone has left.",
        "button": "Yes, close the account",
        "cancel_url": back,
    }
    if request.method == "POST":
        try:
            membership_changes.close_account(person, request=request)
        except ValidationError as error:
            return _confirm(request, **context, error=error.messages[0], status=422)
        messages.success(request, f"The account of {person.email} is closed.")
        return redirect(back)
    return _confirm(request, **context)


def _errors_to(form, error: ValidationError) -> None:
    for field, errors in error.message_dict.items() if hasattr(error, "error_dict") else [(None, error.messages)]:
        form.add_error(field if field in form.fields else None, errors)


# --- Reminders: what comes by email, one-click unsubscribe, the national team's deliveries page ---


def preferences(request):
    """Each person chooses which kinds of reminder come by email; it applies from the next one."""
    shown = deliveries.kinds_for(request.user)
    off = {kind for _, kind in deliveries.emails_off([request.user.pk])}
    form = EmailPreferencesForm(
        request.POST or None,
        kinds=[(kind, deliveries.KINDS[kind].label) for kind in shown],
        initial={"by_email": [kind for kind in shown if kind not in off]},
    )
    if request.method == "POST":
        if form.is_valid():
            deliveries.set_email_kinds(request.user, form.cleaned_data["by_email"], shown)
            messages.success(request, "Your email choices are saved. They apply from the next reminder.")
            return redirect("organisations:preferences")
    kinds = [(deliveries.KINDS[kind], kind not in off) for kind in shown]
    return render(
        request,
        "organisations/preferences.html",
        {"form": form, "kinds": kinds},
        status=422 if form.is_bound and not form.is_valid() else 200,
    )


@login_not_required
@csrf_exempt  # mail programs POST here for one-click unsubscribe (RFC 8058); the signed token is the authority
def unsubscribe(request, token):
    """Stop one kind of email for the person the link was sent to, without signing in."""
    try:
        user_id, kind = deliveries.read_unsubscribe_token(token)
    except (signing.BadSignature, KeyError, ValueError, TypeError):
        return render(request, "organisations/unsubscribe.html", {"invalid": True}, status=400)
    person = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if person is None:
        return render(request, "organisations/unsubscribe.html", {"invalid": True}, status=400)
    label = deliveries.KINDS[kind].label
    if request.method == "POST":
        deliveries.set_email_kinds(person, [], [kind])
        return render(request, "organisations/unsubscribe.html", {"done": True, "label": label, "email": person.email})
    return render(request, "organisations/unsubscribe.html", {"label": label, "email": person.email})


DELIVERY_FILTERS = {"failed": "Failed", "pending": "Waiting to send", "sent": "Sent", "": "All"}


@reads_across_organisations("Viewed the deliveries")
@access.requires("view_deliveries")
def deliveries_list(request):
    """Every reminder and email recently due, what became of each, and the failures with a retry button."""
    rows = Delivery.objects.visible_to(access.principal(request.user))
    counts = dict(rows.order_by().values("status").annotate(n=Count("pk")).values_list("status", "n"))
    show = request.GET.get("status", "")
    if show not in DELIVERY_FILTERS:
        show = ""
    listed = rows.filter(status__in=["pending", "sending"] if show == "pending" else [show]) if show else rows
    listed = listed.select_related("recipient", "organisation").order_by("-due_at", "-pk")
    page = Paginator(listed, 50).get_page(request.GET.get("page"))
    for row in page:
        row.kind_label = deliveries.KINDS[row.kind].label if row.kind in deliveries.KINDS else row.kind
    return render(
        request,
        "organisations/deliveries.html",
        {
            "page": page,
            "counts": counts,
            "show": show,
            "filters": [(key, label, key == show) for key, label in DELIVERY_FILTERS.items()],
            "may_retry": access.can(request.user, "retry_deliveries"),
        },
    )


@access.requires("retry_deliveries")
def delivery_retry(request, pk):
    """Send a failed (or stuck) delivery again: on the next tick, or at once here without a broker."""
    delivery = get_object_or_404(
        Delivery.objects.visible_to(access.principal(request.user)).select_related("recipient"), pk=pk
    )
    back = reverse("organisations:deliveries") + "?status=failed"
    context = {
        "title": "Send this again?",
        "text": f"“{delivery.subject}” to {delivery.recipient.email}. It is sent once more; "
        f"the last error was: {delivery.last_error or 'none'}.",
        "button": "Yes, send it again",
        "cancel_url": back,
    }
    if delivery.status not in (Delivery.Status.FAILED, Delivery.Status.PENDING):
        error = f"This delivery is {delivery.get_status_display().lower()}: there is nothing to retry."
        return _confirm(request, **context, error=error, status=409 if request.method == "POST" else 200)
    if request.method == "POST":
        deliveries.retry(delivery)
        sent, queued = deliveries.send_or_queue([delivery.pk])
        delivery.refresh_from_db()
        messages.success(request, _retried(delivery, tried_here=bool(sent), queued=bool(queued)))
        return redirect(back)
    return _confirm(request, **context)


def _retried(delivery, *, tried_here: bool, queued: bool) -> str:
    email = delivery.recipient.email
    if delivery.status == Delivery.Status.SENT:
        return f"Sent again to {email}."
    if queued:
        return f"Queued: the worker sends it to {email} in a moment."
    if tried_here:
        return f"Not sent ({delivery.last_error}); it is tried again on a later run of the reminders."
    return f"The queue cannot be reached just now: it is sent to {email} on the next run of the reminders."
