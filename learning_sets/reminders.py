"""Learning-set reminders (registered in LearningSetsConfig.ready as a reminder source):
14 days and 2 days before a published set, at 08:00 UK time, to everyone registered for it
(not the waiting list). A cancelled set, or a person who gave up their place, gets nothing."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.urls import reverse

from organisations.clock import london, london_date
from organisations.deliveries import CATCH_UP, Due, in_window

from .models import LearningSet, Registration

DAYS_BEFORE = (14, 2)


def learning_set_reminders(now: datetime) -> list[Due]:
    today = london_date(now)
    horizon = [today + timedelta(days=d) for d in DAYS_BEFORE]
    sets = LearningSet.objects.filter(
        status=LearningSet.Status.PUBLISHED,
        starts_at__gte=london(min(horizon) - CATCH_UP - timedelta(days=1)),
        starts_at__lt=london(max(horizon) + timedelta(days=2)),
    )
    due = []
    rows = Registration.objects.filter(learning_set__in=sets, status=Registration.Status.REGISTERED).select_related(
        "learning_set"
    )
    for registration in rows:
        learning_set = registration.learning_set
        start_day = learning_set.local_start.date()
        for days in DAYS_BEFORE:
            at = london(start_day - timedelta(days=days))
            if not in_window(at, now):
                continue
            when = "in two weeks" if days == 14 else "in two days"
            due.append(
                Due(
                    recipient_id=registration.user_id,
                    kind="learning_set",
                    about=(LearningSet, learning_set.pk),
                    occasion=f"{days}d:{start_day.isoformat()}",
                    due_at=at,
                    subject=f"Learning set {when}: {learning_set.title}",
                    text=f"{learning_set.title} is on {start_day:%A %-d %B %Y} at {learning_set.local_start:%H:%M}.",
                    url=reverse("learning_sets:detail", args=[learning_set.pk]),
                    organisation_id=registration.organisation_id,
                )
            )
    return due
