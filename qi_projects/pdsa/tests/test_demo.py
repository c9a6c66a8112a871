import pytest
from django.db.models import Count
from django_scopes import scope, scopes_disabled

from collaborative import demo
from measures.models import Measure
from organisations.models import Notification
from qi_projects.models import ChangeTheoryElement, Stage
from qi_projects.pdsa.annotations import for_measure
from qi_projects.pdsa.models import Comment, PdsaCycle

pytestmark = pytest.mark.django_db
TESTING_ORGS = ["northshire", "riverside-vale", "eastmoor-icb", "westbrook-mind"]


def test_demo_testing_organisations_have_ideas_at_every_stage_with_ramps_and_coach_comments():
    result = demo.seed()
    with scopes_disabled():
        before = (PdsaCycle.objects.count(), Comment.objects.count(), Notification.objects.count())
        demo.seed()
        assert (PdsaCycle.objects.count(), Comment.objects.count(), Notification.objects.count()) == before
        for organisation in result["organisations"]:
            ideas = ChangeTheoryElement.objects.filter(
                organisation=organisation, kind="change_idea", removed_at=None
            ).annotate(cycles=Count("pdsa_cycles"))
            if organisation.slug not in TESTING_ORGS:
                assert not PdsaCycle.objects.filter(organisation=organisation).exists()
                continue
            assert {i.stage for i in ideas} == set(Stage.values), organisation.slug
            for idea in ideas:
                if idea.stage != Stage.IDEA:
                    assert 2 <= idea.cycles <= 6, (organisation.slug, idea.text)
            cycles = PdsaCycle.objects.filter(organisation=organisation)
            assert cycles.filter(decision="adapt", next_cycles__isnull=False).exists()
            assert cycles.exclude(status="completed").exists()
            coach = "coach2@demo.example" if organisation.slug == "westbrook-mind" else "coach1@demo.example"
            assert Comment.objects.filter(organisation=organisation, author__email=coach, cycle__isnull=False).exists()
            assert Notification.objects.filter(organisation=organisation, read_at=None).exists()
        northshire = result["organisations"][0]
        measure = Measure.objects.filter(organisation=northshire, pdsa_cycles__isnull=False).first()
    with scope(organisation=[northshire.pk]):
        assert for_measure(measure)
