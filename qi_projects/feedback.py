"""Comments on PDSA cycles and change ideas, and who they notify.

A comment notifies the people whose work it is about (the cycle's author and the
organisation's project leads) as feedback, and everyone it mentions, by
`@email` or `@First Last`, among the people who can see the organisation: its
team and its assigned coach and experts. Email follows with the reminders work;
for now notifications are in-app.
"""

from __future__ import annotations

import re

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q

from organisations.models import Assignment, Membership, Role

from .models import Comment, Notification

EMAIL_MENTION = re.compile(r"@([A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})")


def people_of(organisation):
    """Everyone who can see the organisation's workspace through it: team and assigned staff."""
    members = Membership.objects.filter(organisation=organisation).values("user_id")
    assigned = Assignment.objects.filter(organisation=organisation).values("user_id")
    return get_user_model().objects.filter(Q(pk__in=members) | Q(pk__in=assigned), is_active=True)


def mentioned(body: str, people) -> list:
    """The people a comment mentions, by @email or @First Last (case-insensitive)."""
    emails = {e.lower().rstrip(".") for e in EMAIL_MENTION.findall(body)}
    lowered = body.lower()
    found = []
    for person in people:
        name = person.get_full_name().strip().lower()
        if person.email.lower() in emails or (name and f"@{name}" in lowered):
            found.append(person)
    return found


@transaction.atomic
def post_comment(*, organisation, author, body: str, cycle=None, change_idea=None) -> Comment:
    comment = Comment.objects.create(
        organisation=organisation, author=author, body=body, cycle=cycle, change_idea=change_idea
    )
    notify(comment)
    return comment


def notify(comment: Comment) -> list[Notification]:
    organisation_id = comment.organisation_id
    people = list(people_of(organisation_id))
    recipients: dict[int, str] = {}
    for person in mentioned(comment.body, people):
        recipients[person.pk] = Notification.Kind.MENTION
    owners = set(
        Membership.objects.filter(organisation_id=organisation_id, role=Role.LEAD).values_list("user_id", flat=True)
    )
    if comment.cycle_id and comment.cycle.created_by_id:
        owners.add(comment.cycle.created_by_id)
    for user_id in owners:
        recipients.setdefault(user_id, Notification.Kind.FEEDBACK)
    recipients.pop(comment.author_id, None)
    return Notification.objects.bulk_create(
        [
            Notification(
                organisation_id=organisation_id,
                recipient_id=user_id,
                comment=comment,
                kind=kind,
                created_at=comment.created_at,
            )
            for user_id, kind in recipients.items()
        ],
        ignore_conflicts=True,
    )


def unread_count(user, organisation) -> int:
    return Notification.objects.filter(organisation=organisation, recipient=user, read_at=None).count()
