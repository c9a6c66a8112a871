"""seed_demo's sustaining work: Northshire (phase 3) has both self-assessments, a complete plan and reflections,
a sustained improvement on some measures and not on others; seeding again changes nothing."""

from django.core.management import call_command
from django_scopes import scopes_disabled

from evaluation import sustainability, sustained
from evaluation.evidence import evidence_for
from evaluation.models import PlanChange, SustainabilityAssessment, SustainabilityPlan
from measures.models import Measure
from organisations.models import Organisation


def counts() -> dict:
    with scopes_disabled():
        return {m.__name__: m.objects.count() for m in (SustainabilityAssessment, SustainabilityPlan, PlanChange)}


def test_the_phase_3_demo_organisation_has_both_assessments_and_a_plan(db, capsys):
    call_command("seed_demo", force=True)
    first = counts()
    call_command("seed_demo", force=True)
    assert counts() == first
    with scopes_disabled():
        northshire = Organisation.objects.get(slug="northshire")
        assessments = SustainabilityAssessment.objects.filter(organisation=northshire)
        assert sorted(assessments.values_list("round", "status")) == [("end", "scored"), ("start", "scored")]
        start, end = (assessments.get(round=r).total for r in ("start", "end"))
        assert end > start
        assert sustainability.sustainability_assessed(northshire)[0]
        done, evidence = sustainability.sustainability_plan_complete(northshire)
        assert done, evidence
        assert SustainabilityPlan.objects.get(organisation=northshire).reflections
        measures = Measure.objects.filter(organisation=northshire).select_related("chart_settings")
        statuses = {e.result.status for e in evidence_for(measures).values()}
    assert sustained.SUSTAINED in statuses
    assert statuses - {sustained.SUSTAINED, sustained.NO_CHANGE}, "a measure with an adopted change not sustained"


def test_the_package_of_the_demo_collaborative_has_approach_feedback_and_sustainability_scores(db, tmp_path):
    from collaborative.models import Collaborative
    from evaluation import package

    call_command("seed_demo", force=True)
    with scopes_disabled():
        collaborative = Collaborative.objects.get(enrolments__organisation__slug="northshire")
    path = tmp_path / "demo.zip"
    written = package.build(collaborative, path)
    files = package.read_back(path)
    feedback = files["approach_feedback.csv"]
    col = {name: i for i, name in enumerate(feedback[0])}
    assert written["approach_feedback"] == len(feedback) - 1 >= 16  # two rounds of eight parts
    # The demo's two rounds of answers show through the suppression somewhere, with a share found helpful.
    assert [r for r in feedback[1:] if r[col["helpful_rate"]] not in ("*", "")]
    assert {r[col["very_helpful"]] for r in feedback[1:]} - {"*"}
    scores = files["sustainability_scores.csv"]
    col = {name: i for i, name in enumerate(scores[0])}
    assert written["sustainability_scores"] == len(scores) - 1 >= 2
    rounds = {(r[col["round"]], r[col["status"]]) for r in scores[1:]}
    assert {("start", "scored"), ("end", "scored")} <= rounds
    end = next(r for r in scores[1:] if r[col["round"]] == "end" and r[col["status"]] == "scored")
    assert float(end[col["total_change"]]) > 0  # Northshire's end score is above its start
