"""Changes to who is in a team: a member's role, taking them off, withdrawing an invitation,
closing an account. Each one is audited; none deletes the person's past work (cycles,
comments and data keep their author, who is a user, not a membership)."""

from __future__ import annotations

from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from . import access
from .audit import record
from .models import ApiToken, AuditEvent, Invitation, Membership, Role


def _last_lead(membership: Membership) -> bool:
    if membership.role != Role.LEAD:
        return False
    return (
        not Membership.objects.filter(organisation_id=membership.organisation_id, role=Role.LEAD)
        .exclude(pk=membership.pk)
        .exists()
    )


@transaction.atomic
def change_role(membership: Membership, role: str, *, request) -> None:
    if role == membership.role:
        raise ValidationError({"role": f"{membership.user.display_name} is already {membership.get_role_display()}."})
    if _last_lead(membership):
        raise ValidationError({"role": "Name another project lead first: the team needs one."})
    if Membership.objects.filter(organisation_id=membership.organisation_id, user=membership.user, role=role).exists():
        raise ValidationError({"role": f"{membership.user.display_name} already has that role too."})
    old = membership.get_role_display()
    membership.role = role
    membership.save(update_fields=["role"])
    access.forget(membership.user)
    record(
        AuditEvent.Action.ROLE_CHANGE,
        request=request,
        organisation=membership.organisation_id,
        obj=membership,
        summary=f"Changed {membership.user.email} from {old} to {membership.get_role_display()}",
    )


@transaction.atomic
def remove_member(membership: Membership, *, request) -> None:
    if _last_lead(membership):
        raise ValidationError("Name another project lead first: the team needs one.")
    summary = f"Took {membership.user.email} ({membership.get_role_display()}) off the team"
    organisation_id = membership.organisation_id
    membership.delete()
    access.forget(membership.user)
    record(AuditEvent.Action.ROLE_CHANGE, request=request, organisation=organisation_id, summary=summary)


def withdraw_invitation(invitation: Invitation, *, request) -> bool:
    """Withdraw a pending invitation: its link then says it was withdrawn. False if it was no longer pending."""
    claimed = (
        Invitation.objects.with_scopes_disabled()
        .filter(pk=invitation.pk, accepted_at=None, revoked_at=None)
        .update(revoked_at=timezone.now())
    )
    if claimed:
        record(
            AuditEvent.Action.UPDATE,
            request=request,
            organisation=invitation.organisation_id,
            obj=invitation,
            summary=f"Withdrew the invitation for {invitation.email} as {invitation.get_role_display()}",
        )
    return bool(claimed)


@transaction.atomic
def close_account(user, *, request) -> None:
    """The person has left: they cannot sign in, their sessions end now and their API tokens stop."""
    if user.pk == request.user.pk:
        raise ValidationError("You cannot close your own account.")
    type(user).objects.filter(pk=user.pk).update(is_active=False)
    ApiToken.objects.with_scopes_disabled().filter(created_by=user, revoked_at=None).update(revoked_at=timezone.now())
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
            session.delete()
    record(AuditEvent.Action.ROLE_CHANGE, request=request, summary=f"Closed the account of {user.email}")
