"""Reminder sources for the ground floor's own things (registered by collaborative's AppConfig).

- invitations not accepted 7 days after they were made, to the person who invited (08:00 UK time);
- mentions in comments, by email as well as in-app: the comment already made the in-app
  notification (organisations.notifications), so the delivery only emails it, and not once
  the person has read it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.urls import reverse

from .clock import london, london_date
from .deliveries import CATCH_UP, Due, in_window
from .models import Invitation, Notification

INVITATION_DAYS = 7


def invitations_not_accepted(now: datetime) -> list[Due]:
    made = (now - CATCH_UP - timedelta(days=INVITATION_DAYS + 1), now - timedelta(days=INVITATION_DAYS - 1))
    invitations = Invitation.objects.with_scopes_disabled().filter(
        accepted_at=None,
        revoked_at=None,
        expires_at__gt=now,
        created_at__range=made,
        invited_by__is_active=True,
    )
    found = []
    for invitation in invitations.select_related("organisation"):
        at = london(london_date(invitation.created_at) + timedelta(days=INVITATION_DAYS))
        if not in_window(at, now):
            continue
        where = invitation.organisation.name if invitation.organisation else "the programme"
        made_on, expires = london_date(invitation.created_at), london_date(invitation.expires_at)
        if invitation.organisation:
            url = reverse("organisations:team", kwargs={"org": invitation.organisation.slug})
        else:
            url = reverse("organisations:programme_invite")
        found.append(
            Due(
                recipient_id=invitation.invited_by_id,
                kind="invitation",
                about=(Invitation, invitation.pk),
                occasion="not_accepted_7d",
                due_at=at,
                organisation_id=invitation.organisation_id,
                subject=f"{invitation.email} has not accepted your invitation yet",
                text=f"You invited {invitation.email} to {where} as {invitation.get_role_display().lower()} on "
                f"{made_on.day} {made_on:%B %Y}. They have not accepted it yet; the link expires on "
                f"{expires.day} {expires:%B %Y}. Remind them, or withdraw it and invite another address.",
                url=url,
            )
        )
    return found


def mentions(now: datetime) -> list[Due]:
    unread = Notification.objects.filter(
        kind="mention", read_at=None, created_at__gt=now - CATCH_UP, created_at__lte=now, recipient__is_active=True
    )
    return [
        Due(
            recipient_id=n.recipient_id,
            kind="mention",
            about=(n.about_type_id, n.about_id),
            occasion="mention",
            due_at=n.created_at,
            organisation_id=n.organisation_id,
            subject=n.text,
            text=n.detail,
            url=n.url,
            in_app=False,  # the comment told them in-app already
        )
        for n in unread
    ]
