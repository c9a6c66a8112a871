"""The sustainability self-assessment, the plan, the phase 3 gate items and the end-of-programme report."""

import io
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_scopes import scopes_disabled
from pypdf import PdfReader

from collaborative.phases import GATES
from collaborative.registry import gate_checks
from evaluation import sustainability
from evaluation import sustainability_model as model
from evaluation.models import PlanChange, SustainabilityAssessment, SustainabilityPlan
from measures import periods as P
from measures.models import DataPoint
from measures.tests.factories import make_measure, make_project
from qi_projects.models import ChangeTheory, Kind, Stage
from qi_projects.tests import factories as design

pytestmark = pytest.mark.django_db

ALL_A = {f.key: "a" for f in model.FACTORS}


# --- The model's scores (pure) ----------------------------------------------------------------


def test_the_ten_factors_top_levels_add_up_to_the_published_maximum():
    assert len(model.FACTORS) == 10
    assert {f.group for f in model.FACTORS} == set(model.GROUPS)
    assert model.MAXIMUM == 100.1
    assert model.score(ALL_A).total == 100.1
    assert model.score({f.key: "d" for f in model.FACTORS}).total == 0.0


def test_a_score_adds_each_chosen_levels_points():
    answers = {**ALL_A, "senior_leadership": "c", "benefits": "b"}
    result = model.score(answers)
    # 100.1 - 15.0 + 5.0 (senior leadership, level c: a third of 15) - 8.5 + 5.7 (benefits, level b: two thirds)
    assert result.points["senior_leadership"] == 5.0
    assert result.points["benefits"] == 5.7
    assert result.total == pytest.approx(87.3)
    groups = result.group_totals()
    assert groups["staff"] == pytest.approx(11.4 + 11.0 + 5.0 + 15.5)
    assert sum(groups.values()) == pytest.approx(result.total)


def test_a_missing_factor_leaves_the_score_empty_and_says_which():
    answers = dict(ALL_A)
    del answers["fit"]
    answers["infrastructure"] = "z"  # not a level: as good as unanswered
    result = model.score(answers)
    assert result.total is None and not result.complete
    assert result.missing == ("fit", "infrastructure")
    assert result.missing_titles == [
        "Fit with the organisation's strategic aims and culture",
        "Infrastructure for sustainability",
    ]


def test_the_change_between_rounds_is_per_factor():
    start = model.score({**ALL_A, "monitoring": "c"})
    end = model.score({**ALL_A, "monitoring": "a", "fit": "d"})
    change = model.change(start, end)
    assert change["monitoring"] == pytest.approx(6.5 - 2.2)
    assert change["fit"] == -6.6
    assert change["benefits"] == 0


# --- The self-assessment pages ----------------------------------------------------------------


def _url(name, org, **kwargs):
    return reverse(f"evaluation:{name}", kwargs={"org": org.slug, **kwargs})


def test_a_lead_saves_a_draft_then_completes_the_assessment(cast, client, login):
    project = make_project(cast.org_a)
    login(client, cast.lead)
    url = _url("assessment_edit", cast.org_a, pk=project.pk, round="start")
    answers = {**ALL_A, "credibility": "b"}
    del answers["clinical_leadership"]
    response = client.post(url, {**answers, "notes": "Whole team, 12 May"}, follow=True)
    assert response.status_code == 200
    text = response.content.decode()
    assert (
        "Saved as a draft, not scored: 1 of the 10 factors still need an answer (Clinical leadership engagement)"
        in text
    )
    with scopes_disabled():
        draft = SustainabilityAssessment.objects.get(project=project, round="start")
    assert draft.status == "draft" and draft.total is None
    assert draft.answers["credibility"] == "b" and "clinical_leadership" not in draft.answers
    # Nothing lost: the form comes back with the answers chosen and the notes.
    assert 'value="b" checked' in text and "Whole team, 12 May" in text

    response = client.post(url, {**answers, "clinical_leadership": "a", "notes": "Whole team"}, follow=True)
    with scopes_disabled():
        scored = SustainabilityAssessment.objects.get(project=project, round="start")
    expected = round(100.1 - 9.1 + round(9.1 * 2 / 3, 1), 1)
    assert scored.status == "scored" and float(scored.total) == expected
    assert f"scored: {expected:g} out of 100.1" in response.content.decode()


def test_a_scored_assessment_that_loses_an_answer_becomes_a_draft_again(cast):
    project = make_project(cast.org_a)
    with scopes_disabled():
        a = SustainabilityAssessment(organisation=cast.org_a, project=project, round="end")
        a.record(ALL_A, by=cast.lead)
        assert a.total == pytest.approx(100.1)
        a.record({k: v for k, v in ALL_A.items() if k != "fit"}, by=cast.lead)
        a.refresh_from_db()
    assert a.status == "draft" and a.total is None and a.scored_at is None


def test_too_long_notes_are_refused_and_nothing_is_saved(cast, client, login):
    project = make_project(cast.org_a)
    login(client, cast.member)
    url = _url("assessment_edit", cast.org_a, pk=project.pk, round="end")
    response = client.post(url, {**ALL_A, "notes": "x" * 2001})
    assert response.status_code == 422
    assert "at most 2000 characters" in response.content.decode().replace(",", "")
    with scopes_disabled():
        assert not SustainabilityAssessment.objects.exists()


def test_a_coach_sees_the_scores_but_cannot_enter_them(cast, client, login):
    project = make_project(cast.org_a)
    with scopes_disabled():
        SustainabilityAssessment(organisation=cast.org_a, project=project, round="start").record(ALL_A, by=None)
    login(client, cast.coach)
    assert client.get(_url("sustainability", cast.org_a)).status_code == 200
    assert client.get(_url("assessment_edit", cast.org_a, pk=project.pk, round="start")).status_code == 403
    assert client.get(_url("assessment_edit", cast.org_a, pk=project.pk, round="middle")).status_code in (403, 404)


def test_the_overview_charts_both_rounds_with_the_change_in_a_table(cast, client, login):
    project = make_project(cast.org_a)
    with scopes_disabled():
        SustainabilityAssessment(organisation=cast.org_a, project=project, round="start").record(
            {**ALL_A, "monitoring": "c"}, by=None
        )
        SustainabilityAssessment(organisation=cast.org_a, project=project, round="end").record(ALL_A, by=None)
    login(client, cast.sponsor)
    response = client.get(_url("sustainability", cast.org_a))
    text = response.content.decode()
    assert f'id="sustainability-chart-{project.pk}"' in text
    assert "+4.3" in text  # monitoring: 2.2 -> 6.5
    figure = response.context["items"][0].figure()
    assert [t["name"] for t in figure["data"]] == ["Start of phase 3", "End of phase 3"]
    assert figure["data"][0]["x"][3] == 2.2 and figure["data"][1]["text"][3] == "+4.3"


# --- The plan and the phase 3 gate -------------------------------------------------------------


def _adopted_idea(org, project, text="Evening clinics", stage=Stage.ADOPTED):
    """A change idea at `stage` in the project's own change theory (started when it has none)."""
    with scopes_disabled():
        theory = ChangeTheory.objects.filter(project=project).first()
        if theory is None:
            theory = design.change_theory(org, project_=project)
            theory.add_element(Kind.PRIMARY, "Easy to reach", by=None, based_on=theory.version)
            theory.add_element(Kind.SECONDARY, "Flexible", "", theory.added, by=None, based_on=theory.version)
        secondary = theory.elements.filter(kind=Kind.SECONDARY).first()
        theory.add_element(Kind.CHANGE_IDEA, text, "", secondary, by=None, based_on=theory.version)
        idea = theory.added
        idea.stage = stage
        idea.save()
    return idea


def test_the_phase_3_gate_lists_both_items_answered_from_the_data():
    keys = [item.key for item in GATES[3]]
    assert keys == ["sustainability_assessed", "sustainability_plan"]
    assert all(item.automatic for item in GATES[3])
    assert gate_checks.get("sustainability_assessed") is sustainability.sustainability_assessed
    assert gate_checks.get("sustainability_plan") is sustainability.sustainability_plan_complete


def test_sustainability_assessed_needs_both_rounds_scored(cast):
    org = cast.org_a
    with scopes_disabled():
        assert sustainability.sustainability_assessed(org) == (False, "No improvement project yet.")
        project = make_project(org)
        done, evidence = sustainability.sustainability_assessed(org)
        assert not done and "start of phase 3 not yet scored" in evidence.lower()
        SustainabilityAssessment(organisation=org, project=project, round="start").record(
            {**ALL_A, "fit": "d"}, by=None
        )
        SustainabilityAssessment(organisation=org, project=project, round="end").record(
            {k: v for k, v in ALL_A.items() if k != "fit"}, by=None
        )
        done, evidence = sustainability.sustainability_assessed(org)
        assert not done and "93.5" in evidence and "end of phase 3 not yet scored" in evidence
        SustainabilityAssessment.objects.get(round="end").record(ALL_A, by=None)
        done, evidence = sustainability.sustainability_assessed(org)
    assert done and evidence == "Scored 93.5 at the start of phase 3 and 100.1 at the end."


def test_a_lead_writes_the_plan_and_the_gate_item_follows_it(cast, client, login):
    org = cast.org_a
    project = make_project(org)
    measure = make_measure(org)
    idea = _adopted_idea(org, project)
    with scopes_disabled():
        assert sustainability.sustainability_plan_complete(org) == (False, "No sustainability plan yet.")
    login(client, cast.lead)
    url = _url("plan_edit", org, pk=project.pk)
    page = client.get(url).content.decode()
    assert idea.text in page and f"{measure.code}: {measure.name}" in page
    partial = {"owners": "Service lead", f"embed_{idea.pk}": "In the booking procedure", "handover_to": ""}
    response = client.post(url, partial, follow=True)
    assert "Still to do before the phase 3 gate" in response.content.decode()
    with scopes_disabled():
        done, evidence = sustainability.sustainability_plan_complete(org)
    assert not done and evidence.startswith(f"Name the owner of “{idea.text}”.") and "(and 2 more)" in evidence
    complete = {
        **partial,
        f"owner_{idea.pk}": "Clinic manager",
        "watched_measures": [measure.pk],
        "watchers": "Data champion, monthly quality meeting",
        "handover_to": "Performance team",
        "handover_from_0": "1",
        "handover_from_1": "4",
        "handover_from_2": str(date.today().year),
    }
    response = client.post(url, complete, follow=True)
    assert "It is complete for the phase 3 gate" in response.content.decode()
    with scopes_disabled():
        done, evidence = sustainability.sustainability_plan_complete(org)
        change = PlanChange.objects.get(change_idea=idea)
    assert done, evidence
    assert "1 adopted change embedded, 1 measure watched, data collection handed to Performance team" in evidence
    assert change.owner == "Clinic manager" and change.embedding == "In the booking procedure"


def test_a_bad_handover_date_is_refused_with_everything_kept(cast, client, login):
    org = cast.org_a
    project = make_project(org)
    login(client, cast.member)
    response = client.post(
        _url("plan_edit", org, pk=project.pk),
        {"owners": "Ward manager", "handover_to": "Team", "handover_from_0": "31", "handover_from_1": "2"},
    )
    assert response.status_code == 422
    text = response.content.decode()
    assert "Enter a real date" in text and 'value="Ward manager"' in text
    with scopes_disabled():
        assert not SustainabilityPlan.objects.exists()


def test_the_error_summary_links_to_a_field_that_takes_the_focus(cast, client, login):
    """A date (three inputs) and a choice of radios have no element with the field's own id: the link goes to the
    first input, as on the other pages' error summaries."""
    import re

    org = cast.org_a
    project = make_project(org)
    login(client, cast.member)
    response = client.post(_url("plan_edit", org, pk=project.pk), {"handover_from_0": "31", "handover_from_1": "2"})
    text = response.content.decode()
    assert re.findall(r'nhsuk-error-summary__list">\s*<li><a href="([^"]+)"', text) == ["#id_handover_from_0"]
    assert 'id="id_handover_from_0"' in text
    response = client.post(_url("assessment_edit", org, pk=project.pk, round="start"), {"benefits": "zzz"})
    text = response.content.decode()
    assert response.status_code == 422
    assert 'href="#id_benefits_0"' in text and 'id="id_benefits_0"' in text


# --- The end-of-programme report --------------------------------------------------------------


def _fill(measure, values, start=date(2024, 1, 1)):
    with scopes_disabled():
        DataPoint.objects.bulk_create(
            DataPoint(
                organisation=measure.organisation,
                measure=measure,
                period_start=P.step("monthly", start, i),
                stratum="all",
                numerator=n,
                denominator=100,
            )
            for i, n in enumerate(values)
        )


def test_a_report_without_data_says_so_plainly(cast, client, login):
    make_project(cast.org_a)
    make_measure(cast.org_a)
    login(client, cast.lead)
    text = client.get(_url("report", cast.org_a)).content.decode()
    assert "No measure has data yet" in text
    assert "Raise the share starting treatment within 2 weeks to 60% by March 2027" in text


def test_the_report_shows_each_measure_chart_signal_and_sustained_result(cast, client, login):
    org = cast.org_a
    make_project(org)
    measure = make_measure(org)
    _fill(measure, [40, 42, 39, 41, 40, 38, 41, 40, 39, 42, 41, 40, 60, 61, 59, 62, 60, 61, 60, 59])
    login(client, cast.lead)
    response = client.get(_url("report", org))
    text = response.content.decode()
    assert "No measure has data yet" not in text
    assert '<svg class="app-report-chart"' in text and "<polyline" in text
    assert "No adopted change yet" in text  # the sustained result says why it cannot judge
    section = response.context["projects"][0].measures[0]
    assert section.points == 20 and section.latest == "59%"
    assert section.svg.signals, "the shift to 60% is a special cause"


def test_the_pdf_renders_and_holds_the_aim(cast, client, login):
    org = cast.org_a
    make_project(org)
    measure = make_measure(org)
    _fill(measure, [40, 42, 39, 41, 40, 38, 41, 40, 39, 42, 41, 40, 60, 61, 59, 62])
    with scopes_disabled():
        SustainabilityPlan.objects.create(
            organisation=org, project=org.projects.first(), reflections="We learned to listen to carers first."
        )
    login(client, cast.sponsor)
    response = client.get(_url("report_pdf", org))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    text = " ".join(text.split())
    assert "Raise the share starting treatment within 2 weeks to 60% by March 2027" in text
    assert "We learned to listen to carers first." in text
    assert measure.name in text


def test_the_report_and_overview_queries_do_not_grow_with_the_data(cast, client, login):
    org = cast.org_a
    project = make_project(org)
    login(client, cast.lead)

    def counts():
        with CaptureQueriesContext(connection) as report:
            client.get(_url("report", org))
        with CaptureQueriesContext(connection) as overview:
            client.get(_url("sustainability", org))
        return len(report), len(overview)

    make_measure(org, code="M0")
    _adopted_idea(org, project)
    _fill(make_measure(org, code="M1"), list(range(30, 50)))
    few = counts()
    for i in range(2, 6):
        _fill(make_measure(org, code=f"M{i}"), list(range(30, 60)))
    for n in range(3):
        _adopted_idea(org, project, text=f"More {n}", stage=Stage.SPREADING)
    with scopes_disabled():
        SustainabilityAssessment(organisation=org, project=project, round="start").record(ALL_A, by=None)
        SustainabilityAssessment(organisation=org, project=project, round="end").record(ALL_A, by=None)
    assert counts() == few


def test_the_gate_checks_cost_a_fixed_few_queries(cast, django_assert_num_queries):
    org = cast.org_a
    project = make_project(org)
    for n in range(3):
        _adopted_idea(org, project, text=f"Idea {n}")
    with scopes_disabled():
        SustainabilityAssessment(organisation=org, project=project, round="start").record(ALL_A, by=None)
        SustainabilityPlan.objects.create(organisation=org, project=project, owners="Lead")
        with django_assert_num_queries(2):  # projects, assessments
            sustainability.sustainability_assessed(org)
        with django_assert_num_queries(5):  # projects, plans, their measures and changes, kept ideas
            sustainability.sustainability_plan_complete(org)
