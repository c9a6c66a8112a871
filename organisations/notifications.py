"""In-app notifications: one small API for everything that tells a person something.

    notify(user, kind, about, text, url)

`about` is the object the notification is about (a comment, a learning set, a
cycle); a person gets at most one notification of a kind about one object, so
calling `notify` again (a retried task, a re-saved comment) changes nothing.
The header shows the unread count (`unread_count`). Email delivery of the
kinds a person chose is the reminders' job (`organisations.deliveries`, which
records its in-app side here with `notify_each`); this module records, it never sends.
"""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import Notification


def notify(user, kind: str, about, text: str, url: str = "", *, organisation=None, detail: str = "", at=None):
    """Record that `user` has something to read; None when they already had this one."""
    if user is None or not getattr(user, "is_active", True):
        return None
    about_type = ContentType.objects.get_for_model(about)
    organisation_id = getattr(organisation, "pk", organisation)
    try:
        with transaction.atomic():
            return Notification.objects.create(
                recipient_id=getattr(user, "pk", user),
                organisation_id=organisation_id,
                kind=kind,
                about_type=about_type,
                about_id=about.pk,
                text=text[:300],
                detail=detail[:1000],
                url=url[:500],
                created_at=at or timezone.now(),
            )
    except IntegrityError:
        return None


def notify_many(user_ids, kind: str, about, text: str, url: str = "", *, organisation=None, detail: str = "", at=None):
    """`notify` for several people in one query; the ones who already had it are skipped."""
    about_type = ContentType.objects.get_for_model(about)
    organisation_id = getattr(organisation, "pk", organisation)
    rows = [
        Notification(
            recipient_id=user_id,
            organisation_id=organisation_id,
            kind=kind,
            about_type=about_type,
            about_id=about.pk,
            text=text[:300],
            detail=detail[:1000],
            url=url[:500],
            created_at=at or timezone.now(),
        )
        for user_id in user_ids
    ]
    return Notification.objects.bulk_create(rows, ignore_conflicts=True)


def notify_each(entries) -> list[Notification]:
    """`notify` for many people about many subjects in one query: each entry is a dict of `notify`'s
    arguments (user_id, kind, about, text, url, organisation_id, detail). Those already told are skipped."""
    rows = []
    for entry in entries:
        about = entry["about"]
        rows.append(
            Notification(
                recipient_id=entry["user_id"],
                organisation_id=entry.get("organisation_id"),
                kind=entry["kind"],
                about_type=ContentType.objects.get_for_model(about),
                about_id=about.pk,
                text=entry["text"][:300],
                detail=entry.get("detail", "")[:1000],
                url=entry.get("url", "")[:500],
                created_at=entry.get("at") or timezone.now(),
            )
        )
    return Notification.objects.bulk_create(rows, ignore_conflicts=True) if rows else []


def unread(user, *, organisation=None):
    rows = Notification.objects.filter(recipient=user, read_at=None)
    if organisation is not None:
        rows = rows.filter(organisation=organisation)
    return rows


def unread_count(user, *, organisation=None) -> int:
    return unread(user, organisation=organisation).count()


def mark_read(user, about_objects) -> int:
    """Mark as read what `user` was told about these objects (they have now seen them)."""
    objects = list(about_objects)
    if not objects:
        return 0
    about_type = ContentType.objects.get_for_model(objects[0])
    return Notification.objects.filter(
        recipient=user, read_at=None, about_type=about_type, about_id__in=[o.pk for o in objects]
    ).update(read_at=timezone.now())
