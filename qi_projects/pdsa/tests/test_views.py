"""PDSA pages: what a project lead and a coach do, and bad input that changes nothing."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from measures.models import DataPoint
from organisations.models import Notification
from qi_projects.models import Stage
from qi_projects.pdsa.models import Comment, PdsaCycle, PdsaDraft, ProgressScore
from qi_projects.tests import factories

from . import factories as pdsa_factories

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def url(name, **kwargs):
    return reverse(f"pdsa:{name}", kwargs={"org": "alpha", **kwargs})


def fresh(cycle):
    with scopes_disabled():
        return PdsaCycle.objects.get(pk=cycle.pk)


def quick(idea, **extra):
    return {
        "change_idea": idea.pk,
        "objective": "Text reminders in Urdu for one week",
        "prediction": "Missed first appointments halve for Urdu speakers",
        "planned_start": TODAY.isoformat(),
        "planned_end": (TODAY + timedelta(days=7)).isoformat(),
        **extra,
    }


def test_lead_logs_a_cycle_with_only_the_required_fields(client, cast, login):
    idea = pdsa_factories.change_idea(cast.org_a)
    login(client, cast.lead)
    assert client.get(url("pdsa_create")).status_code == 200
    response = client.post(url("pdsa_create"), quick(idea))
    with scopes_disabled():
        cycle = PdsaCycle.objects.get()
        idea.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == url("pdsa_detail", pk=cycle.pk)
    assert (cycle.number, cycle.status, cycle.created_by) == (1, "planned", cast.lead)
    assert idea.stage == Stage.TESTING


def test_quick_log_with_dates_out_of_order_keeps_the_text_and_saves_nothing(client, cast, login):
    idea = pdsa_factories.change_idea(cast.org_a)
    login(client, cast.lead)
    response = client.post(url("pdsa_create"), quick(idea, planned_end=(TODAY - timedelta(days=1)).isoformat()))
    assert response.status_code == 422
    page = response.content.decode()
    assert "The planned end must be on or after the planned start." in page
    assert "Text reminders in Urdu for one week" in page
    with scopes_disabled():
        assert PdsaCycle.objects.count() == 0


def test_quick_log_without_a_prediction_says_so(client, cast, login):
    idea = pdsa_factories.change_idea(cast.org_a)
    login(client, cast.lead)
    response = client.post(url("pdsa_create"), quick(idea, prediction=""))
    assert response.status_code == 422
    assert "Write your prediction before the test" in response.content.decode()


def test_a_change_idea_of_another_organisation_cannot_be_chosen(client, cast, login):
    idea_b = pdsa_factories.change_idea(cast.org_b)
    login(client, cast.lead)
    response = client.post(url("pdsa_create"), quick(idea_b))
    assert response.status_code == 422
    with scopes_disabled():
        assert PdsaCycle.objects.count() == 0


def test_a_draft_is_kept_restored_and_dropped_once_the_cycle_is_logged(client, cast, login):
    idea = pdsa_factories.change_idea(cast.org_a)
    login(client, cast.lead)
    response = client.post(
        url("pdsa_draft"), {"draft_key": "new", "objective": "Half-typed objective", "change_idea": str(idea.pk)}
    )
    assert response.status_code == 200
    assert "Draft saved" in response.content.decode()
    page = client.get(url("pdsa_create")).content.decode()
    assert "Half-typed objective" in page
    assert "has been restored" in page
    client.post(url("pdsa_create"), quick(idea))
    with scopes_disabled():
        assert PdsaDraft.objects.count() == 0


def test_drafts_are_per_person(client, cast, login):
    login(client, cast.lead)
    client.post(url("pdsa_draft"), {"draft_key": "new", "objective": "The lead's idea"})
    login(client, cast.member)
    assert "The lead's idea" not in client.get(url("pdsa_create")).content.decode()


def test_a_draft_can_be_discarded(client, cast, login):
    login(client, cast.lead)
    client.post(url("pdsa_draft"), {"draft_key": "new", "objective": "Never mind"})
    response = client.post(url("pdsa_draft"), {"draft_key": "new", "discard": "1", "next": "https://evil.example/"})
    assert response["Location"] == url("pdsa_list")
    with scopes_disabled():
        assert PdsaDraft.objects.count() == 0


def test_a_draft_for_another_organisations_cycle_is_not_found(client, cast, login):
    cycle_b = pdsa_factories.cycle(cast.org_b)
    login(client, cast.lead)
    response = client.post(url("pdsa_draft"), {"draft_key": f"cycle-{cycle_b.pk}-do", "what_happened": "x"})
    assert response.status_code == 404
    assert client.post(url("pdsa_draft"), {"draft_key": "../etc"}).status_code == 404


def test_lead_records_do_study_and_act_on_later_visits(client, cast, login):
    cycle = pdsa_factories.cycle(cast.org_a)
    login(client, cast.lead)
    response = client.post(
        url("pdsa_do", pk=cycle.pk),
        {
            "actual_start": (TODAY - timedelta(days=9)).isoformat(),
            "actual_end": (TODAY - timedelta(days=2)).isoformat(),
            "what_happened": "9 of 12 booked",
        },
    )
    assert response.status_code == 302
    assert fresh(cycle).status == "doing"
    response = client.post(url("pdsa_study", pk=cycle.pk), {"results": "Above prediction", "learning": "Works"})
    assert response.status_code == 302
    response = client.post(url("pdsa_act", pk=cycle.pk), {"decision": "adapt", "next_step": "Add Punjabi"})
    assert response.status_code == 302
    cycle = fresh(cycle)
    assert (cycle.status, cycle.decision) == ("completed", "adapt")
    page = client.get(url("pdsa_detail", pk=cycle.pk)).content.decode()
    assert "Start the next cycle, prefilled from this one" in page


def test_studying_before_doing_is_refused_and_changes_nothing(client, cast, login):
    cycle = pdsa_factories.cycle(cast.org_a)
    login(client, cast.lead)
    assert "cannot be studied before it is done" in client.get(url("pdsa_study", pk=cycle.pk)).content.decode()
    response = client.post(url("pdsa_study", pk=cycle.pk), {"results": "Great", "learning": "Lots"})
    assert response.status_code == 422
    page = response.content.decode()
    assert "cannot be studied before it is done" in page
    assert "Great" in page
    assert (fresh(cycle).status, fresh(cycle).results) == ("planned", "")


def test_completing_without_an_act_decision_is_refused(client, cast, login):
    cycle = pdsa_factories.cycle(cast.org_a, status="studying")
    login(client, cast.lead)
    response = client.post(url("pdsa_act", pk=cycle.pk), {"next_step": "Keep going"})
    assert response.status_code == 422
    assert "without an Act decision" in response.content.decode()
    assert fresh(cycle).status == "studying"


def test_do_with_an_end_before_the_start_is_refused(client, cast, login):
    cycle = pdsa_factories.cycle(cast.org_a)
    login(client, cast.lead)
    response = client.post(
        url("pdsa_do", pk=cycle.pk),
        {"actual_start": TODAY.isoformat(), "actual_end": (TODAY - timedelta(days=4)).isoformat()},
    )
    assert response.status_code == 422
    assert "actual end must be on or after the actual start" in response.content.decode()
    assert fresh(cycle).status == "planned"


def test_editing_a_completed_cycles_prediction_is_refused(client, cast, login):
    cycle = pdsa_factories.cycle(cast.org_a, status="completed")
    original = fresh(cycle).prediction
    login(client, cast.lead)
    page = client.get(url("pdsa_plan", pk=cycle.pk)).content.decode()
    assert "frozen" in page
    response = client.post(
        url("pdsa_plan", pk=cycle.pk),
        {
            "objective": "Offer evening appointments for one week",
            "prediction": "We knew all along",
            "planned_start": cycle.planned_start.isoformat(),
            "planned_end": cycle.planned_end.isoformat(),
            "who": "Changed too",
        },
    )
    assert response.status_code == 422
    assert "The prediction is frozen" in response.content.decode()
    after = fresh(cycle)
    assert (after.prediction, after.who) == (original, "")


def test_the_plan_can_be_completed_later(client, cast, login):
    cycle = pdsa_factories.cycle(cast.org_a)
    login(client, cast.lead)
    response = client.post(
        url("pdsa_plan", pk=cycle.pk),
        {
            "objective": cycle.objective,
            "prediction": cycle.prediction,
            "planned_start": cycle.planned_start.isoformat(),
            "planned_end": cycle.planned_end.isoformat(),
            "who": "Two receptionists",
            "where": "North clinic",
        },
    )
    assert response.status_code == 302
    assert fresh(cycle).where == "North clinic"


def test_the_next_cycle_starts_prefilled_and_joins_the_ramp(client, cast, login):
    cycle = pdsa_factories.cycle(cast.org_a, status="completed", who="Two nurses")
    login(client, cast.lead)
    page = client.get(url("pdsa_create") + f"?after={cycle.pk}").content.decode()
    assert "Try two evenings a week" in page
    assert "Two nurses" in page
    response = client.post(url("pdsa_create"), {**quick(cycle.change_idea), "after": cycle.pk})
    assert response.status_code == 302
    with scopes_disabled():
        following = PdsaCycle.objects.get(number=2)
    assert following.previous_id == cycle.pk


def test_coach_comments_the_lead_sees_unread_feedback_and_reading_clears_it(client, cast, login):
    cycle = pdsa_factories.cycle(cast.org_a, by=cast.lead)
    login(client, cast.coach)
    response = client.post(url("pdsa_comment", pk=cycle.pk), {"body": "Did the carers get the text too?"})
    assert response.status_code == 302
    login(client, cast.lead)
    workspace = client.get(reverse("collaborative:workspace", kwargs={"org": "alpha"})).content.decode()
    assert "1 unread feedback" in workspace
    client.get(url("pdsa_detail", pk=cycle.pk))
    workspace = client.get(reverse("collaborative:workspace", kwargs={"org": "alpha"})).content.decode()
    assert "unread feedback" not in workspace


def test_the_notifications_page_lists_and_marks_read(client, cast, login):
    idea = pdsa_factories.change_idea(cast.org_a)
    login(client, cast.coach)
    client.post(url("change_idea_comment", pk=idea.pk), {"body": "@member@a.example have a look"})
    login(client, cast.member)
    page = client.get(reverse("organisations:notifications", kwargs={"org": "alpha"})).content.decode()
    assert "mentioned you" in page
    assert "have a look" in page
    with scopes_disabled():
        assert Notification.objects.filter(recipient=cast.member, read_at=None).count() == 0


def test_an_empty_comment_is_refused(client, cast, login):
    cycle = pdsa_factories.cycle(cast.org_a)
    login(client, cast.coach)
    response = client.post(url("pdsa_comment", pk=cycle.pk), {"body": ""})
    assert response.status_code == 422
    with scopes_disabled():
        assert Comment.objects.count() == 0


def test_change_idea_page_tells_what_was_tried_predicted_happened_and_decided(client, cast, login):
    idea = pdsa_factories.change_idea(cast.org_a)
    pdsa_factories.cycle(cast.org_a, idea, status="completed")
    pdsa_factories.cycle(cast.org_a, idea, objective="Two evenings a week")
    login(client, cast.coach)
    page = client.get(url("change_idea_detail", pk=idea.pk)).content.decode()
    for text in (
        "Cycle 1: Offer evening appointments for one week",
        "Half the evening slots will be taken by the focus group.",
        "11 of 16 slots taken",
        "Evenings suit working people.",
        "Adapt",
        "Cycle 2: Two evenings a week",
        "Idea → Testing",
    ):
        assert text in page, text


def test_change_idea_page_queries_stay_flat(client, cast, login, django_assert_max_num_queries):
    idea = pdsa_factories.change_idea(cast.org_a)
    login(client, cast.lead)
    for _ in range(2):
        pdsa_factories.cycle(cast.org_a, idea, status="completed")
    with django_assert_max_num_queries(40) as few:
        client.get(url("change_idea_detail", pk=idea.pk))
    for _ in range(6):
        pdsa_factories.cycle(cast.org_a, idea, status="completed")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url("change_idea_detail", pk=idea.pk))


def test_moving_an_idea_needs_evidence_and_keeps_it(client, cast, login):
    idea = pdsa_factories.change_idea(cast.org_a)
    cycle = pdsa_factories.cycle(cast.org_a, idea, status="completed")
    login(client, cast.lead)
    response = client.post(url("change_idea_move", pk=idea.pk), {"stage": "adopted", "evidence": ""})
    assert response.status_code == 422
    assert "what justified this move" in response.content.decode()
    response = client.post(
        url("change_idea_move", pk=idea.pk),
        {"stage": "adopted", "evidence": "Cycle 1 beat the prediction", "cycles": [cycle.pk]},
    )
    assert response.status_code == 302
    with scopes_disabled():
        idea.refresh_from_db()
    assert idea.stage == "adopted"


def test_a_coach_may_read_but_not_move_an_idea(client, cast, login):
    idea = pdsa_factories.change_idea(cast.org_a)
    login(client, cast.coach)
    assert client.get(url("change_idea_move", pk=idea.pk)).status_code == 403


def test_progress_override_needs_a_reason_and_notices_when_the_suggestion_moves(client, cast, login):
    idea = pdsa_factories.change_idea(cast.org_a)
    project = idea.diagram.project
    factories.measure(cast.org_a, project_=project)
    login(client, cast.lead)
    page = client.get(url("progress_score", pk=project.pk)).content.decode()
    assert "Suggested: 1.5" in page
    response = client.post(url("progress_override", pk=project.pk), {"score": "2.0", "reason": ""})
    assert response.status_code == 422
    with scopes_disabled():
        assert ProgressScore.objects.count() == 0
    client.post(url("progress_override", pk=project.pk), {"score": "2.0", "reason": "Cycles start next week"})
    with scopes_disabled():
        override = ProgressScore.objects.get()
    assert (override.score, override.suggested, override.by) == (Decimal("2.0"), Decimal("1.5"), cast.lead)
    page = client.get(url("progress_score", pk=project.pk)).content.decode()
    assert "Progress score: 2.0" in page
    assert "suggestion has changed" not in page
    pdsa_factories.cycle(cast.org_a, idea, status="completed")
    page = client.get(url("progress_score", pk=project.pk)).content.decode()
    assert "The suggestion has changed since the override" in page


def test_study_shows_the_linked_measures_recent_data(client, cast, login):
    idea = pdsa_factories.change_idea(cast.org_a)
    with scopes_disabled():
        measure = factories.measure(cast.org_a, project_=idea.diagram.project)
        DataPoint.objects.bulk_create(
            DataPoint(
                organisation=cast.org_a,
                measure=measure,
                period_start=date(2025, m, 1),
                stratum="all",
                numerator=20 + m,
                denominator=50,
            )
            for m in range(1, 13)
        )
    cycle = pdsa_factories.cycle(cast.org_a, idea, status="doing", measures=[measure])
    login(client, cast.lead)
    page = client.get(url("pdsa_study", pk=cycle.pk)).content.decode()
    assert "The linked measures' recent data" in page
    assert "Dec 2025" in page and "Jun 2025" not in page
    assert "64.0%" in page  # 32 of 50 in December
    assert "app-spc-icon" in page


def test_the_measure_chart_marks_the_cycle(client, cast, login):
    idea = pdsa_factories.change_idea(cast.org_a)
    with scopes_disabled():
        measure = factories.measure(cast.org_a, project_=idea.diagram.project)
        DataPoint.objects.bulk_create(
            DataPoint(
                organisation=cast.org_a,
                measure=measure,
                period_start=date(2026, m, 1),
                stratum="all",
                numerator=20 + m,
                denominator=50,
            )
            for m in range(1, 11)
        )
    pdsa_factories.cycle(
        cast.org_a,
        idea,
        measures=[measure],
        planned_start=date(2026, 3, 2),
        planned_end=date(2026, 3, 20),
    )
    login(client, cast.lead)
    page = client.get(reverse("measures:measure_chart", kwargs={"org": "alpha", "pk": measure.pk})).content.decode()
    assert "PDSA 1 (" in page
    assert "Offer evening appointments for one week" in page


def test_a_plan_draft_is_restored_on_the_plan_page(client, cast, login):
    cycle = pdsa_factories.cycle(cast.org_a)
    login(client, cast.lead)
    client.post(url("pdsa_draft"), {"draft_key": f"cycle-{cycle.pk}-plan", "where": "The mosque hall"})
    assert "The mosque hall" in client.get(url("pdsa_plan", pk=cycle.pk)).content.decode()
