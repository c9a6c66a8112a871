from datetime import date

from django_scopes import scopes_disabled

from measures.models import Measure
from qi_projects.models import ImprovementProject


def make_project(organisation) -> ImprovementProject:
    with scopes_disabled():
        project = ImprovementProject.objects.filter(organisation=organisation).first()
        if project is None:
            project = ImprovementProject.objects.create(
                organisation=organisation,
                title="Early intervention for Black communities",
                aim="Raise the share starting treatment within 2 weeks to 60% by March 2027",
                target_value=60,
                target_unit="%",
                target_date=date(2027, 3, 31),
            )
        return project


def make_measure(organisation, code="EIP", **fields) -> Measure:
    defaults = {
        "name": "Started treatment within 2 weeks",
        "kind": "outcome",
        "value_type": "proportion",
        "operational_definition": "Referrals starting treatment within 14 days",
        "numerator_definition": "Started within 14 days",
        "denominator_definition": "Referrals",
        "data_source": "MHSDS",
        "frequency": "monthly",
        "improvement": "increase",
        "dimension": "ethnicity",
        "reference_category": "A",
    }
    defaults.update(fields)
    with scopes_disabled():
        measure, _ = Measure.objects.get_or_create(
            organisation=organisation, code=code, defaults={"project": make_project(organisation), **defaults}
        )
    return measure
