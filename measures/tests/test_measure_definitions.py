"""The Measure model's own rules: what must be defined, and targets on the right side."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django_scopes import scopes_disabled

from measures.models import Measure, MeasureTemplate
from qi_projects.tests import factories

pytestmark = pytest.mark.django_db


def new_measure(cast, **overrides):
    fields = {
        "organisation": cast.org_a,
        "code": "OM1",
        "name": "Seen within 2 weeks",
        "kind": "outcome",
        "value_type": "proportion",
        "operational_definition": "Referrals seen within 14 days.",
        "numerator_definition": "Seen within 14 days",
        "denominator_definition": "Referrals accepted",
        "data_source": "MHSDS",
        "frequency": "monthly",
        "improvement": "increase",
        "baseline": Decimal("40"),
        "target": Decimal("60"),
        "dimension": "ethnicity",
        "reference_category": "A",
    }
    fields.update(overrides)
    return Measure(**fields)


def errors_of(measure) -> dict:
    with pytest.raises(ValidationError) as raised:
        measure.clean()
    return raised.value.message_dict


def test_a_complete_measure_is_valid_and_says_it_is_a_proportion(cast):
    measure = new_measure(cast)
    measure.clean()
    assert measure.is_proportion and measure.unit_display == "%"
    assert measure.reference_label == "White: British"


def test_a_measure_must_say_what_is_counted(cast):
    blank = {"operational_definition": " ", "numerator_definition": "", "denominator_definition": ""}
    errors = errors_of(new_measure(cast, **blank))
    assert set(errors) == {"operational_definition", "numerator_definition", "denominator_definition"}


def test_a_plain_value_needs_its_unit_and_a_rate_its_base(cast):
    assert "unit" in errors_of(new_measure(cast, value_type="value", unit="", baseline=None, target=None))
    assert "rate_per" in errors_of(new_measure(cast, value_type="rate", rate_per=None, baseline=None, target=None))
    new_measure(cast, value_type="value", unit="days", baseline=Decimal(30), target=Decimal(40)).clean()


@pytest.mark.parametrize(
    "improvement,baseline,target,ok",
    [
        ("increase", 40, 60, True),
        ("increase", 40, 30, False),
        ("increase", 40, 40, False),
        ("decrease", 40, 30, True),
        ("decrease", 40, 50, False),
        ("neutral", 40, 50, True),
    ],
)
def test_the_target_must_be_on_the_improving_side_of_the_baseline(cast, improvement, baseline, target, ok):
    measure = new_measure(cast, improvement=improvement, baseline=Decimal(baseline), target=Decimal(target))
    if ok:
        measure.clean()
    else:
        assert "target" in errors_of(measure)


def test_a_proportion_target_is_a_percentage(cast):
    assert "target" in errors_of(new_measure(cast, baseline=None, target=Decimal("120")))


def test_a_breakdown_needs_a_reference_group_of_that_dimension(cast):
    assert "reference_category" in errors_of(new_measure(cast, reference_category=""))
    assert "reference_category" in errors_of(new_measure(cast, reference_category="1"))
    assert "reference_category" in errors_of(new_measure(cast, dimension="", reference_category="A"))
    new_measure(cast, dimension="imd_quintile", reference_category="5").clean()
    new_measure(cast, dimension="", reference_category="").clean()


def test_improvement_uses_the_strings_the_spc_engine_takes():
    assert [value for value, _ in Measure._meta.get_field("improvement").choices] == ["increase", "decrease", "neutral"]


def test_library_measures_copy_into_a_project_measure(cast):
    template = factories.library_measure(cast.collaborative)
    project = factories.project(cast.org_a)
    with scopes_disabled():
        measure = Measure(organisation=cast.org_a, project=project, library_source=template, **template.as_initial())
        measure.full_clean()
        measure.save()
        assert measure.library_source == template
        assert MeasureTemplate.objects.get().copies.count() == 1
        assert measure.unit_display == "per 100,000"


def test_measures_are_scoped_to_their_organisation(cast):
    from django_scopes import scope

    factories.measure(cast.org_a)
    with scope(organisation=[cast.org_b.pk]):
        assert not Measure.objects.exists()
