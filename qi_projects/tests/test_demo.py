import pytest
from django_scopes import scope, scopes_disabled

from collaborative import demo
from measures.models import Measure
from qi_projects import gates
from qi_projects.models import ChangeTheoryElement, CoproductionEntry, ImprovementProject, ProgrammeElement

pytestmark = pytest.mark.django_db


def test_demo_local_design_is_complete_idempotent_and_varied():
    result = demo.seed()
    with scopes_disabled():
        counts = (ImprovementProject.objects.count(), Measure.objects.count(), ChangeTheoryElement.objects.count())
        demo.seed()
        again = (ImprovementProject.objects.count(), Measure.objects.count(), ChangeTheoryElement.objects.count())
        assert again == counts
        kinds = list(ProgrammeElement.objects.values_list("kind", flat=True))
        assert (kinds.count("primary"), kinds.count("secondary"), kinds.count("change_idea")) == (3, 6, 10)
        for organisation in result["organisations"]:
            assert ImprovementProject.objects.filter(organisation=organisation).count() == 1
            assert 5 <= Measure.objects.filter(organisation=organisation).count() <= 10
            assert ChangeTheoryElement.objects.filter(organisation=organisation, source=None).exists()
            assert CoproductionEntry.objects.filter(organisation=organisation).exists()
    done = []
    for organisation in result["organisations"]:
        with scope(organisation=[organisation.pk]):
            done.append([ok for _, _, ok, _ in gates.phase_one(organisation)])
    assert done[0] == [True, True, True]
    assert done[5] == [True, False, False]
