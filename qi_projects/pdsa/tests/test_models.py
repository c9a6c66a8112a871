"""PDSA stage rules, ramps, change idea lifecycle, feedback and chart annotations, on the models."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Max
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from organisations.models import Notification
from qi_projects.models import Stage
from qi_projects.pdsa.annotations import for_measure
from qi_projects.pdsa.feedback import mentioned, post_comment
from qi_projects.pdsa.models import ChangeIdeaMove, PdsaCycle
from qi_projects.tests import factories

from . import factories as pdsa_factories

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def fresh(cycle):
    with scopes_disabled():
        return PdsaCycle.objects.get(pk=cycle.pk)


def test_a_new_cycle_is_planned_numbered_in_its_ramp_and_moves_its_idea_to_testing(cast):
    idea = pdsa_factories.change_idea(cast.org_a)
    assert idea.stage == Stage.IDEA
    first = pdsa_factories.cycle(cast.org_a, idea)
    second = pdsa_factories.cycle(cast.org_a, idea, previous=first)
    assert (first.number, second.number, first.status) == (1, 2, "planned")
    assert second.previous == first
    with scopes_disabled():
        idea.refresh_from_db()
        assert idea.stage == Stage.TESTING
        move = ChangeIdeaMove.objects.get(change_idea=idea)
        assert (move.from_stage, move.to_stage) == ("idea", "testing")
        assert list(move.cycles.all()) == [first]


def test_a_cycle_goes_through_do_study_and_act_in_order(cast):
    cycle = pdsa_factories.cycle(cast.org_a)
    with scopes_disabled():
        cycle.record_do(actual_start=TODAY - timedelta(days=5))
        assert cycle.status == "doing"
        with pytest.raises(ValidationError, match="cannot be studied before it is done"):
            cycle.record_study(results="x", learning="y")
        cycle.record_do(actual_start=TODAY - timedelta(days=5), actual_end=TODAY, what_happened="Seven people came.")
        cycle.record_study(results="As predicted", learning="Evenings work")
        assert fresh(cycle).status == "studying"
        cycle.complete(decision="adopt", next_step="Every Tuesday")
        cycle = fresh(cycle)
        assert (cycle.status, cycle.decision) == ("completed", "adopt")
        assert cycle.completed_at is not None


def test_a_planned_cycle_cannot_be_studied_and_nothing_changes(cast):
    cycle = pdsa_factories.cycle(cast.org_a)
    with scopes_disabled(), pytest.raises(ValidationError, match="cannot be studied before it is done"):
        cycle.record_study(results="Great", learning="Lots")
    after = fresh(cycle)
    assert (after.status, after.results) == ("planned", "")


def test_completing_needs_an_act_decision(cast):
    cycle = pdsa_factories.cycle(cast.org_a, status="studying")
    with scopes_disabled(), pytest.raises(ValidationError) as error:
        cycle.complete(decision="")
    assert "without an Act decision" in str(error.value)
    assert fresh(cycle).status == "studying"


def test_act_needs_study_first(cast):
    cycle = pdsa_factories.cycle(cast.org_a, status="doing")
    with scopes_disabled(), pytest.raises(ValidationError, match="Study the cycle before deciding"):
        cycle.complete(decision="adopt")


def test_do_is_closed_once_study_starts(cast):
    cycle = pdsa_factories.cycle(cast.org_a, status="studying")
    with scopes_disabled(), pytest.raises(ValidationError, match="Do stage is closed"):
        cycle.record_do(actual_start=TODAY)


def test_dates_out_of_order_are_refused(cast):
    idea = pdsa_factories.change_idea(cast.org_a)
    with scopes_disabled():
        with pytest.raises(ValidationError, match="planned end must be on or after"):
            PdsaCycle.log(
                change_idea=idea,
                by=None,
                objective="x",
                prediction="y",
                planned_start=TODAY,
                planned_end=TODAY - timedelta(days=1),
            )
        assert PdsaCycle.objects.count() == 0
    cycle = pdsa_factories.cycle(cast.org_a)
    with scopes_disabled(), pytest.raises(ValidationError, match="actual end must be on or after"):
        cycle.record_do(actual_start=TODAY, actual_end=TODAY - timedelta(days=3))
    assert fresh(cycle).status == "planned"


def test_actual_dates_cannot_be_in_the_future(cast):
    cycle = pdsa_factories.cycle(cast.org_a)
    with scopes_disabled(), pytest.raises(ValidationError, match="today or earlier"):
        cycle.record_do(actual_start=TODAY + timedelta(days=2))


def test_the_prediction_is_frozen_once_do_starts(cast):
    cycle = pdsa_factories.cycle(cast.org_a, status="completed")
    cycle = fresh(cycle)
    original = cycle.prediction
    cycle.prediction = "We always knew it would work."
    with scopes_disabled():
        with pytest.raises(ValidationError, match="frozen"):
            cycle.full_clean()
        with pytest.raises(ValidationError, match="frozen"):
            cycle.save()
    assert fresh(cycle).prediction == original


def test_the_prediction_can_change_while_planned(cast):
    cycle = fresh(pdsa_factories.cycle(cast.org_a))
    cycle.prediction = "A better prediction"
    with scopes_disabled():
        cycle.full_clean()
        cycle.save()
    assert fresh(cycle).prediction == "A better prediction"


def test_adapt_prefills_the_next_cycle_of_the_ramp(cast):
    with scopes_disabled():
        measure = factories.measure(cast.org_a)
    idea = pdsa_factories.change_idea(cast.org_a)
    with scopes_disabled():
        measure.project_id = idea.diagram.project_id
        measure.save()
    cycle = pdsa_factories.cycle(cast.org_a, idea, status="completed", who="Two nurses", measures=[measure])
    with scopes_disabled():
        initial = fresh(cycle).next_cycle_initial()
    assert initial["change_idea"] == idea.pk
    assert initial["objective"] == "Try two evenings a week"
    assert initial["who"] == "Two nurses"
    assert initial["measures"] == [measure.pk]
    assert initial["prediction"] == ""


def test_cycle_numbers_follow_on_within_each_change_idea_only(cast):
    idea = pdsa_factories.change_idea(cast.org_a)
    other = pdsa_factories.change_idea(cast.org_a)
    for _ in range(3):
        pdsa_factories.cycle(cast.org_a, idea)
    pdsa_factories.cycle(cast.org_a, other)
    with scopes_disabled():
        assert PdsaCycle.objects.filter(change_idea=idea).aggregate(m=Max("number"))["m"] == 3
        assert PdsaCycle.objects.get(change_idea=other).number == 1


def test_lifecycle_moves_need_evidence_and_follow_the_allowed_paths(cast):
    idea = pdsa_factories.change_idea(cast.org_a)
    with scopes_disabled():
        with pytest.raises(ValidationError, match="not straight to sustained"):
            ChangeIdeaMove.record(idea, Stage.SUSTAINED, by=cast.lead, evidence="It works")
        with pytest.raises(ValidationError, match="what justified this move"):
            ChangeIdeaMove.record(idea, Stage.TESTING, by=cast.lead, evidence="  ")
        assert idea.stage == Stage.IDEA
    planned = pdsa_factories.cycle(cast.org_a, idea)
    with scopes_disabled():
        idea.refresh_from_db()
        with pytest.raises(ValidationError, match="at least one completed PDSA cycle"):
            ChangeIdeaMove.record(idea, Stage.ADOPTED, by=cast.lead, evidence="Looks good", cycles=[planned])
    done = pdsa_factories.cycle(cast.org_a, idea, status="completed")
    with scopes_disabled():
        ChangeIdeaMove.record(idea, Stage.ADOPTED, by=cast.lead, evidence="Cycle 2 met the prediction", cycles=[done])
        with pytest.raises(ValidationError) as error:
            ChangeIdeaMove.record(idea, Stage.SPREADING, by=cast.lead, evidence="Ready")
        assert set(error.value.message_dict) == {"spreading_to", "spread_target"}
        ChangeIdeaMove.record(
            idea,
            Stage.SPREADING,
            by=cast.lead,
            evidence="Adopted in the pilot team",
            spreading_to="North team\nSouth team",
            spread_target="All 6 teams by March 2027",
        )
        ChangeIdeaMove.record(idea, Stage.SUSTAINED, by=cast.lead, evidence="12 months on the new level")
        idea.refresh_from_db()
        assert idea.stage == Stage.SUSTAINED
        assert idea.spread_target == "All 6 teams by March 2027"
        stages = list(ChangeIdeaMove.objects.filter(change_idea=idea).values_list("to_stage", flat=True))
    assert stages == ["testing", "adopted", "spreading", "sustained"]


def test_a_driver_has_no_lifecycle(cast):
    with scopes_disabled():
        theory = factories.change_theory(cast.org_a, cast.collaborative)
        driver = theory.elements.filter(kind="primary").first()
        with pytest.raises(ValidationError, match="Only a change idea"):
            ChangeIdeaMove.record(driver, Stage.TESTING, by=None, evidence="x")


def test_mentions_by_email_and_by_name_among_people_who_see_the_organisation(cast):
    with scopes_disabled():
        cast.coach.first_name, cast.coach.last_name = "Priya", "Shah"
        cast.coach.save()
        people = [cast.lead, cast.coach, cast.member]
    found = mentioned("Thanks @priya shah, and @member@a.example: see the data. @nobody@example.com", people)
    assert set(found) == {cast.coach, cast.member}


def test_a_coach_comment_notifies_the_cycle_author_the_lead_and_mentioned_people(cast):
    cycle = pdsa_factories.cycle(cast.org_a, by=cast.member)
    with scope(organisation=[cast.org_a.pk]):
        post_comment(
            organisation=cast.org_a,
            author=cast.coach,
            body="Good test. @data_champion@a.example can you pull the DNA data? @lead@b.example",
            cycle=cycle,
        )
        rows = {(n.recipient, n.kind) for n in Notification.objects.all()}
    assert rows == {
        (cast.member, "feedback"),
        (cast.lead, "feedback"),
        (cast.data_champion, "mention"),
    }


def test_the_author_is_not_notified_of_their_own_comment(cast):
    cycle = pdsa_factories.cycle(cast.org_a, by=cast.lead)
    with scope(organisation=[cast.org_a.pk]):
        post_comment(organisation=cast.org_a, author=cast.lead, body="Note to self", cycle=cycle)
        assert Notification.objects.count() == 0


def test_chart_annotations_mark_each_linked_cycle_start_in_one_query(cast, django_assert_num_queries):
    idea = pdsa_factories.change_idea(cast.org_a)
    with scopes_disabled():
        measure = factories.measure(cast.org_a, project_=idea.diagram.project)
        other = factories.measure(cast.org_a, project_=idea.diagram.project, code="OM2")
    first = pdsa_factories.cycle(cast.org_a, idea, status="completed", measures=[measure])
    pdsa_factories.cycle(
        cast.org_a,
        idea,
        measures=[measure],
        objective="Two evenings",
        planned_start=TODAY + timedelta(days=3),
        planned_end=TODAY + timedelta(days=20),
    )
    pdsa_factories.cycle(cast.org_a, idea, measures=[other], objective="Not on this chart")
    with scope(organisation=[cast.org_a.pk]), django_assert_num_queries(1):
        notes = for_measure(measure)
    assert [n.kind for n in notes] == ["pdsa", "pdsa"]
    assert notes[0].on == fresh(first).actual_start
    assert "Offer evening appointments" in notes[0].label
    assert notes[0].detail == "Adapt: Try two evenings a week"
    assert notes[1].on == TODAY + timedelta(days=3)
    assert notes[1].detail == "In progress: Planned"


def test_annotations_of_another_organisation_never_show(cast):
    idea_b = pdsa_factories.change_idea(cast.org_b)
    with scopes_disabled():
        measure_a = factories.measure(cast.org_a)
    pdsa_factories.cycle(cast.org_b, idea_b)
    with scope(organisation=[cast.org_a.pk, cast.org_b.pk]):
        assert for_measure(measure_a) == []
