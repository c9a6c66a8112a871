"""Comments on PDSA cycles and change ideas, and who they notify.

A comment notifies the people whose work it is about (the cycle's author and the
organisation's project leads) as feedback, and everyone it mentions, by
`@email` or `@First Last`, among the people who can see the organisation: its
team and its assigned coach and experts. Email follows with the reminders work;
notifications are in-app (organisations.notifications), email follows with reminders.
"""

from __future__ import annotations

import re

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.urls import reverse

from organisations import notifications
from organisations.models import Assignment, Membership, Notification, Role

from .models import Comment

MENTION, FEEDBACK = "mention", "feedback"

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
    """Tell the people a comment is for: those it mentions, the cycle's author and the project leads."""
    organisation_id = comment.organisation_id
    people = list(people_of(organisation_id))
    recipients: dict[int, str] = {}
    for person in mentioned(comment.body, people):
        recipients[person.pk] = MENTION
    owners = set(
        Membership.objects.filter(organisation_id=organisation_id, role=Role.LEAD).values_list("user_id", flat=True)
    )
    if comment.cycle_id and comment.cycle.created_by_id:
        owners.add(comment.cycle.created_by_id)
    for user_id in owners:
        recipients.setdefault(user_id, FEEDBACK)
    recipients.pop(comment.author_id, None)
    subject, url = _subject(comment)
    author = comment.author.display_name if comment.author else "Someone"
    made = []
    for kind in (MENTION, FEEDBACK):
        user_ids = [user_id for user_id, k in recipients.items() if k == kind]
        if user_ids:
            verb = "mentioned you" if kind == MENTION else "commented"
            made += notifications.notify_many(
                user_ids,
                kind,
                comment,
                f"{author} {verb} on {subject}",
                url,
                organisation=organisation_id,
                detail=comment.body,
                at=comment.created_at,
            )
    return made


def _subject(comment: Comment) -> tuple[str, str]:
    org = comment.organisation.slug
    if comment.cycle_id:
        cycle = comment.cycle
        url = reverse("pdsa:pdsa_detail", kwargs={"org": org, "pk": cycle.pk}) + "#comments"
        return f"cycle {cycle.number}: {cycle.objective}", url
    if comment.change_idea_id:
        url = reverse("pdsa:change_idea_detail", kwargs={"org": org, "pk": comment.change_idea_id}) + "#comments"
        return comment.change_idea.text, url
    return "the project", ""


def unread_count(user, organisation) -> int:
    return notifications.unread_count(user, organisation=organisation)
