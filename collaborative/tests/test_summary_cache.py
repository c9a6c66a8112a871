"""The portfolio's and the board's cached summaries: a repeat view reads the cache, and a change to anything
they read changes the fingerprint they are kept under, so no page shows what has changed since."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from collaborative import dashboards, summary_cache
from measures.models import ChartSettings, DataPoint, DataPointRevision, Measure
from measures.tests.factories import make_measure
from organisations import shared_cache
from organisations.models import Assignment, Membership, Notification, Role
from qi_projects.models import ChangeTheoryElement, ImprovementProject, Kind, Stage
from qi_projects.pdsa import feedback
from qi_projects.pdsa.models import PdsaCycle, ProgressScore
from qi_projects.pdsa.tests.factories import cycle

TODAY = date(2026, 3, 2)


def _summaries(organisation, today=TODAY):
    now = timezone.now()
    with scope(organisation=[organisation.pk]):
        return dashboards.summaries(dashboards._enrolments([organisation.pk], today, now), today, now)


@pytest.fixture
def filled(cast):
    """Alpha with a measure and a figure, a cycle (so a project and a change theory) and its enrolment."""
    from collaborative.tests.factories import planned_enrolment

    planned_enrolment(cast.org_a, start=TODAY - timedelta(days=30))
    measure = make_measure(cast.org_a)
    with scopes_disabled():
        DataPoint.objects.create(
            organisation=cast.org_a,
            measure=measure,
            period_start=date(2026, 1, 1),
            stratum="all",
            numerator=4,
            denominator=10,
        )
        ChartSettings.objects.get_or_create(organisation=cast.org_a, measure=measure)
    c = cycle(cast.org_a)
    return type("Filled", (), {"measure": measure, "cycle": c})


def test_a_repeat_view_reads_the_cached_part(cast, filled):
    with CaptureQueriesContext(connection) as first:
        rows = _summaries(cast.org_a)
    key = rows[0]["summary_key"]
    assert shared_cache.get(key) is not None
    with CaptureQueriesContext(connection) as second:
        again = _summaries(cast.org_a)
    assert again[0]["summary_key"] == key
    assert len(second) < len(first)
    assert [m.pk for m, _ in again[0]["measures"]] == [filled.measure.pk]
    assert again[0]["cycles"] == rows[0]["cycles"] and again[0]["score"] == rows[0]["score"]


def _key(cast, today=TODAY):
    with scopes_disabled():
        return summary_cache.fingerprint([cast.org_a.pk], today)[0]


def _new_point(cast, filled):
    DataPoint.objects.create(
        organisation=cast.org_a,
        measure=filled.measure,
        period_start=date(2026, 2, 1),
        stratum="all",
        numerator=5,
        denominator=10,
        updated_at=timezone.now() - timedelta(days=400),  # an old save time: the id still tells
    )


def _edited_point(cast, filled):
    DataPoint.objects.filter(measure=filled.measure).update(numerator=6, updated_at=timezone.now())


def _cleared_point(cast, filled):
    point = DataPoint.objects.get(measure=filled.measure)
    DataPointRevision.objects.create(
        organisation=cast.org_a,
        measure=filled.measure,
        period_start=point.period_start,
        stratum="all",
        old={"numerator": 4},
        new=None,
        source="grid",
    )
    point.delete()


def _cycle_moved(cast, filled):
    PdsaCycle.objects.filter(pk=filled.cycle.pk).update(status="doing", updated_at=timezone.now())


def _new_cycle(cast, filled):
    cycle(cast.org_a, objective="Another test")


def _comment(cast, filled):
    feedback.post_comment(organisation=cast.org_a, author=cast.lead, body="A note", cycle=filled.cycle)


def _mention(cast, filled):
    comment = feedback.post_comment(organisation=cast.org_a, author=cast.lead, body="A note", cycle=filled.cycle)
    from django.contrib.contenttypes.models import ContentType

    Notification.objects.create(
        recipient=cast.coach,
        organisation=cast.org_a,
        kind="mention",
        about_type=ContentType.objects.get_for_model(comment),
        about_id=comment.pk,
    )


def _member(cast, filled):
    Membership.objects.filter(organisation=cast.org_a).first().delete()


def _assignment(cast, filled):
    Assignment.objects.filter(organisation=cast.org_a, role=Role.EXPERT).delete()


def _override(cast, filled):
    project = ImprovementProject.objects.filter(organisation=cast.org_a).first()
    ProgressScore.objects.create(organisation=cast.org_a, project=project, score=2, suggested=1, reason="Seen it")


def _measure_target(cast, filled):
    Measure.objects.filter(pk=filled.measure.pk).update(target=90)


def _measure_name(cast, filled):
    Measure.objects.filter(pk=filled.measure.pk).update(name="Renamed")


def _chart_settings(cast, filled):
    ChartSettings.objects.filter(measure=filled.measure).update(fix_after=12)


def _aim(cast, filled):
    ImprovementProject.objects.filter(organisation=cast.org_a).update(aim="")


def _idea_stage(cast, filled):
    ChangeTheoryElement.objects.filter(kind=Kind.CHANGE_IDEA, organisation=cast.org_a).update(stage=Stage.ADOPTED)


CHANGES = [
    _new_point,
    _edited_point,
    _cleared_point,
    _cycle_moved,
    _new_cycle,
    _comment,
    _mention,
    _member,
    _assignment,
    _override,
    _measure_target,
    _measure_name,
    _chart_settings,
    _aim,
    _idea_stage,
]


@pytest.mark.parametrize("change", CHANGES, ids=[c.__name__.strip("_") for c in CHANGES])
def test_a_change_to_anything_read_changes_the_key(cast, filled, change):
    before = _key(cast)
    assert _key(cast) == before  # nothing changed: the same key
    with scopes_disabled():
        change(cast, filled)
    assert _key(cast) != before


def test_a_new_day_is_a_new_key(cast, filled):
    assert _key(cast, TODAY) != _key(cast, TODAY + timedelta(days=1))


def test_another_organisations_change_leaves_the_key(cast, filled):
    before = _key(cast)
    make_measure(cast.org_b)
    cycle(cast.org_b)
    assert _key(cast) == before


def test_a_figure_entered_shows_at_once_on_the_summaries(cast, filled):
    first = _summaries(cast.org_a)
    assert first[0]["last_data"] is not None
    with scopes_disabled():
        _cleared_point(cast, filled)
    assert _summaries(cast.org_a)[0]["last_data"] is None
