"""Learning-set reminders: 14 and 2 days before, to those with a place, once each, not to the waiting list."""

from datetime import UTC, datetime, time, timedelta

import pytest
from django.utils import timezone

from collaborative.reminders import run
from learning_sets.models import Registration
from organisations.clock import LONDON

from . import factories

pytestmark = pytest.mark.django_db


def at_day(day, hour=8, minute=5):
    return datetime.combine(day, time(hour, minute), tzinfo=LONDON).astimezone(UTC)


def sent(at):
    report = run(at, inline=True)
    assert report.problems == []
    return sorted((r.recipient.email, r.subject) for r in report.sent if r.kind == "learning_set")


def test_registered_people_are_reminded_14_and_2_days_before_once_each(cast):
    learning_set = factories.learning_set(cast.collaborative, days=20, capacity=1, title="Spring learning set")
    factories.registration(learning_set, cast.lead, organisation=cast.org_a)
    factories.registration(learning_set, cast.member, organisation=cast.org_a, status=Registration.Status.WAITING)
    start = learning_set.local_start.date()
    assert sent(at_day(start - timedelta(days=15))) == []  # not the day before
    assert sent(at_day(start - timedelta(days=14), 7, 55)) == []  # not before 08:00
    first = sent(at_day(start - timedelta(days=14)))
    assert first == [("lead@a.example", "Learning set in two weeks: Spring learning set")]
    assert sent(at_day(start - timedelta(days=14), 9)) == []  # once
    assert sent(at_day(start - timedelta(days=2))) == [
        ("lead@a.example", "Learning set in two days: Spring learning set")
    ]


def test_a_cancelled_set_or_a_given_up_place_gets_no_reminder(cast):
    learning_set = factories.learning_set(cast.collaborative, days=20)
    registration = factories.registration(learning_set, cast.lead, organisation=cast.org_a)
    Registration.objects.filter(pk=registration.pk).update(status=Registration.Status.CANCELLED)
    start = learning_set.local_start.date()
    assert sent(at_day(start - timedelta(days=14))) == []
    assert timezone.now() < learning_set.starts_at
