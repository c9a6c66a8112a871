"""Learning sets for `seed_bench`: a year of four, every bench lead registered for the two upcoming
ones (the learning sets page and the calendar feed have something to show). Idempotent."""

from __future__ import annotations

from datetime import time, timedelta

from django.utils import timezone

from .models import CalendarFeed, LearningSet, Registration
from .scheduling import london_to_utc


def seed(collaborative, national, leads) -> None:
    for lead, _ in leads:
        if lead.email == "lead1@bench.example":
            CalendarFeed.for_user(lead)  # the feed `make bench` times
    if LearningSet.objects.filter(collaborative=collaborative).exists():
        return
    today = timezone.localdate()
    sets = []
    for k, days in enumerate((-150, -60, 30, 120)):
        day = today + timedelta(days=days)
        sets.append(
            LearningSet.objects.create(
                collaborative=collaborative,
                title=f"Bench learning set {k + 1}",
                starts_at=london_to_utc(day, time(10, 0)),
                ends_at=london_to_utc(day, time(15, 30)),
                format="online",
                joining_link="https://meet.example/bench",
                capacity=1000,
                status=LearningSet.Status.PUBLISHED,
                published_at=timezone.now(),
                created_by=national,
            )
        )
    Registration.objects.bulk_create(
        Registration(learning_set=s, user=lead, organisation_id=org_id, status=Registration.Status.REGISTERED)
        for s in sets
        for lead, org_id in leads
    )
