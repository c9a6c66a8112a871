"""Objects for tests, created outside any request scope. Only the fields a test needs."""

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone
from django_scopes import scopes_disabled

from measures.models import Measure, MeasureTemplate

from ..models import (
    ChangeTheory,
    CoproductionEntry,
    FocusPopulation,
    ImprovementProject,
    Kind,
    PopulationProfile,
    ProfileRow,
    ProgrammeChangeTheory,
)


def project(organisation, **kwargs) -> ImprovementProject:
    with scopes_disabled():
        return ImprovementProject.objects.create(
            organisation=organisation,
            title=kwargs.pop("title", "Fairer access to early intervention"),
            aim=kwargs.pop("aim", "Raise the share of Black African and Caribbean people seen within 2 weeks to 60%."),
            target_value=kwargs.pop("target_value", Decimal("60")),
            target_unit=kwargs.pop("target_unit", "%"),
            target_date=kwargs.pop("target_date", timezone.localdate() + timedelta(days=365)),
            **kwargs,
        )


def programme_theory(collaborative, by=None) -> ProgrammeChangeTheory:
    """A small programme change theory: 2 primary, 2 secondary drivers, 3 change ideas."""
    theory = ProgrammeChangeTheory.for_collaborative(collaborative)
    if theory.version:
        return theory
    theory.set_aim("Reduce inequality in access, experience and outcomes", by=by, based_on=0)
    theory.add_element(Kind.PRIMARY, "Services that are easy to reach", by=by, based_on=1)
    reach = theory.added
    theory.add_element(Kind.PRIMARY, "Trusted relationships with communities", by=by, based_on=2)
    trust = theory.added
    theory.add_element(Kind.SECONDARY, "Flexible appointments", "", reach, by=by, based_on=3)
    flexible = theory.added
    theory.add_element(Kind.SECONDARY, "Community partnerships", "", trust, by=by, based_on=4)
    partners = theory.added
    theory.add_element(Kind.CHANGE_IDEA, "Evening clinics", "", flexible, by=by, based_on=5)
    theory.add_element(Kind.CHANGE_IDEA, "Text reminders in first languages", "", flexible, by=by, based_on=6)
    theory.add_element(Kind.CHANGE_IDEA, "Clinics in community venues", "", partners, by=by, based_on=7)
    return theory


def change_theory(organisation, collaborative=None, by=None, project_=None) -> ChangeTheory:
    with scopes_disabled():
        programme = programme_theory(collaborative, by=by) if collaborative else None
        return ChangeTheory.start(project_ or project(organisation), by=by, programme=programme)


def focus_population(organisation, project_=None, **kwargs) -> FocusPopulation:
    with scopes_disabled():
        return FocusPopulation.objects.create(
            organisation=organisation,
            project=project_ or project(organisation),
            name=kwargs.pop("name", "Black African and Caribbean people aged 14 to 35"),
            groups=kwargs.pop("groups", ["ethnicity:M", "ethnicity:N"]),
            inequality=kwargs.pop("inequality", FocusPopulation.Inequality.ACCESS),
            evidence=kwargs.pop("evidence", "Referral data 2023/24: half the expected share."),
            reference_group=kwargs.pop("reference_group", "ethnicity:A"),
            **kwargs,
        )


def profile(organisation, rows=(("A", 8000, 300), ("M", 1000, 20), ("N", 1000, 30)), **kwargs) -> PopulationProfile:
    with scopes_disabled():
        p = PopulationProfile.objects.create(
            organisation=organisation,
            title=kwargs.pop("title", "Early intervention caseload by ethnicity"),
            dimension=kwargs.pop("dimension", "ethnicity"),
            population_source="Census 2021",
            population_year=2021,
            compared=PopulationProfile.Compared.CASELOAD,
            caseload_source="MHSDS",
            caseload_year=2024,
            **kwargs,
        )
        for category, population, caseload in rows:
            ProfileRow.objects.create(
                organisation=organisation, profile=p, category=category, population=population, caseload=caseload
            )
        return p


def measure(organisation, project_=None, **kwargs) -> Measure:
    with scopes_disabled():
        fields = {
            "code": "OM1",
            "name": "Seen within 2 weeks of referral",
            "kind": "outcome",
            "value_type": "proportion",
            "operational_definition": "Referred people with a first appointment within 14 days.",
            "numerator_definition": "Referrals with a first appointment within 14 days",
            "denominator_definition": "Referrals accepted in the month",
            "data_source": "MHSDS",
            "frequency": "monthly",
            "improvement": "increase",
            "baseline": Decimal("40"),
            "target": Decimal("60"),
            "dimension": "ethnicity",
            "reference_category": "A",
        }
        fields.update(kwargs)
        if "code" not in kwargs:  # a second default measure in the same organisation gets the next code
            n = 1
            while Measure.objects.filter(organisation=organisation, code=fields["code"]).exists():
                n += 1
                fields["code"] = f"OM{n}"
        return Measure.objects.create(organisation=organisation, project=project_ or project(organisation), **fields)


def library_measure(collaborative, **kwargs) -> MeasureTemplate:
    fields = {
        "code": "LIB1",
        "name": "Detentions under the Mental Health Act per 100,000",
        "kind": "outcome",
        "value_type": "rate",
        "rate_per": 100000,
        "operational_definition": "New detentions under the Mental Health Act in the period.",
        "numerator_definition": "Detentions started in the period",
        "denominator_definition": "Resident population",
        "data_source": "MHSDS",
        "frequency": "quarterly",
        "improvement": "decrease",
        "dimension": "ethnicity",
        "reference_category": "A",
    }
    fields.update(kwargs)
    return MeasureTemplate.objects.create(collaborative=collaborative, **fields)


def coproduction(organisation, **kwargs) -> CoproductionEntry:
    with scopes_disabled():
        return CoproductionEntry.objects.create(
            organisation=organisation,
            date=kwargs.pop("date", date.today() - timedelta(days=7)),
            who=kwargs.pop("who", "5 service users, 2 carers"),
            step=kwargs.pop("step", CoproductionEntry.Step.DESIGN),
            level=kwargs.pop("level", CoproductionEntry.Level.CO_DESIGNED),
            topic=kwargs.pop("topic", CoproductionEntry.Topic.CHANGE_THEORY),
            what_changed=kwargs.pop("what_changed", "Added evening clinics."),
            **kwargs,
        )
