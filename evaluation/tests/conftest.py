"""A collaborative with something in every table of the evaluator package."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from django_scopes import scopes_disabled

from measures.models import DataPoint
from measures.tests.factories import make_measure
from qi_projects.pdsa.tests import factories as pdsa
from qi_projects.tests import factories as qi


def months(n: int, first: date = date(2023, 1, 1)) -> list[date]:
    return [date(first.year + (first.month - 1 + k) // 12, (first.month - 1 + k) % 12 + 1, 1) for k in range(n)]


@pytest.fixture
def package_data(cast):
    """Organisation A: a proportion measure (whole population and two groups, some counts under 5), a
    count measure with small values, a focus population, PDSA cycles, coproduction, a past learning set
    with attendance and feedback. Organisation B: one measure."""
    from learning_sets.models import Feedback
    from learning_sets.tests import factories as ls

    with scopes_disabled():
        idea = pdsa.change_idea(cast.org_a, cast.collaborative)
        project = idea.diagram.project
        qi.focus_population(cast.org_a, project, evidence="3 of 12 people detained")
        proportion = make_measure(cast.org_a, code="EIP")
        proportion.project = project
        proportion.save()
        count_measure = make_measure(
            cast.org_a,
            code="DET",
            name="Detentions",
            value_type="value",
            unit="people",
            value_is_count=True,
            improvement="decrease",
            numerator_definition="",
            denominator_definition="",
            dimension="",
            reference_category="",
        )
        for k, period in enumerate(months(24)):
            DataPoint.objects.create(
                organisation=cast.org_a, measure=proportion, period_start=period, numerator=40 + k, denominator=97
            )
            DataPoint.objects.create(
                organisation=cast.org_a,
                measure=proportion,
                period_start=period,
                stratum="ethnicity:M",
                numerator=k % 5,  # 0 to 4: always suppressed
                denominator=12 + k % 3,
            )
            DataPoint.objects.create(
                organisation=cast.org_a,
                measure=proportion,
                period_start=period,
                stratum="ethnicity:A",
                numerator=33,
                denominator=71,
            )
            DataPoint.objects.create(
                organisation=cast.org_a, measure=count_measure, period_start=period, value=Decimal(k % 9)
            )
        pdsa.cycle(cast.org_a, idea, status="completed", decision="adopt", measures=[proportion])
        pdsa.cycle(cast.org_a, idea, status="planned")
        for _ in range(6):
            qi.coproduction(cast.org_a)
        other = make_measure(cast.org_b, code="EIP")
        for period in months(12):
            DataPoint.objects.create(
                organisation=cast.org_b, measure=other, period_start=period, numerator=7, denominator=8
            )
        learning_set = ls.past_set(cast.collaborative, title="Spring learning set")
        User = get_user_model()
        for k in range(7):
            person = User.objects.create_user(email=f"attendee{k}@a.example", password="x")
            ls.registration(learning_set, person, organisation=cast.org_a, attended=k < 6)
            if k < 6:
                Feedback.objects.create(
                    learning_set=learning_set, user=person, organisation=cast.org_a, usefulness=4 + k % 2
                )
        _approach_feedback(cast)
        _sustainability(cast, project)
    return {"proportion": proportion, "count": count_measure, "other": other, "idea": idea, "set": learning_set}


def _approach_feedback(cast):
    """The collaborative started 13 months ago: round 1 with 8 answers (6 find coaching very helpful, 2 unhelpful;
    nobody used the experts), round 2 with 3 (all under 5)."""
    from evaluation.models.feedback import PARTS, ApproachFeedback

    type(cast.collaborative).objects.filter(pk=cast.collaborative.pk).update(
        start_date=timezone.localdate() - timedelta(days=400)
    )
    cast.collaborative.refresh_from_db()
    User = get_user_model()
    for number, n in ((1, 8), (2, 3)):
        for k in range(n):
            person = User.objects.create_user(email=f"member{number}-{k}@a.example", password="x")
            ApproachFeedback.objects.create(
                collaborative=cast.collaborative,
                round_number=number,
                organisation=cast.org_a if k % 2 else cast.org_b,
                user=person,
                **({name: 3 for name, _ in PARTS} | {"coaching": 5 if k < 6 else 2, "experts": 0}),
                helped="Dr Quentin Example on the coaching calls",
            )


def _sustainability(cast, project):
    """Organisation A's project: the start of phase 3 scored at level b throughout, the end at a (but fit: c)."""
    from evaluation import sustainability_model as model
    from evaluation.models import SustainabilityAssessment

    start = {f.key: "b" for f in model.FACTORS}
    end = {f.key: "a" for f in model.FACTORS} | {"fit": "c"}
    for round_, answers in (("start", start), ("end", end)):
        SustainabilityAssessment(organisation=cast.org_a, project=project, round=round_).record(
            answers, notes="Scored with Dr Quentin Example", by=None
        )


@pytest.fixture
def adopted(package_data):
    """The change idea moved to Adopted a year into the data (so `sustained` has a change to measure from)."""
    from qi_projects.models import Stage
    from qi_projects.pdsa.models import ChangeIdeaMove

    with scopes_disabled():
        idea = package_data["idea"]
        ChangeIdeaMove.objects.create(
            organisation_id=idea.organisation_id,
            change_idea=idea,
            from_stage=Stage.TESTING,
            to_stage=Stage.ADOPTED,
            evidence="It worked",
        )
        ChangeIdeaMove.objects.filter(change_idea=idea).update(at=_aware(date(2024, 1, 1) - timedelta(days=1)))
    return package_data


def _aware(day):
    from datetime import datetime

    from django.utils import timezone

    return timezone.make_aware(datetime(day.year, day.month, day.day, 12))
