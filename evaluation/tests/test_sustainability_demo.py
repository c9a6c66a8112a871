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
