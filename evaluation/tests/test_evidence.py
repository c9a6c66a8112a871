"""Sustained improvement from stored data and adoptions (evaluation/evidence.py), and pseudonyms."""

from datetime import UTC, date, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled

from evaluation import evidence, pseudonyms, sustained
from measures import periods as P
from measures.models import DataPoint, Measure
from measures.tests.factories import make_measure
from qi_projects.models import Stage
from qi_projects.pdsa.models import ChangeIdeaMove
from qi_projects.pdsa.tests.factories import change_idea, cycle
from qi_projects.tests import factories as design

pytestmark = pytest.mark.django_db

START = date(2024, 1, 1)


def fill(measure, strata: dict[str, list[tuple[int, int]]]):
    with scopes_disabled():
        for stratum, rows in strata.items():
            DataPoint.objects.bulk_create(
                DataPoint(
                    organisation=measure.organisation,
                    measure=measure,
                    period_start=P.step("monthly", START, i),
                    stratum=stratum,
                    numerator=n,
                    denominator=d,
                )
                for i, (n, d) in enumerate(rows)
            )


def adopt(organisation, idea, on: date):
    with scopes_disabled():
        at = datetime(on.year, on.month, on.day, 12, tzinfo=UTC)
        ChangeIdeaMove.objects.create(
            organisation=organisation,
            change_idea=idea,
            from_stage=Stage.TESTING,
            to_stage=Stage.ADOPTED,
            evidence="Three cycles",
            at=at,
        )


def shifted(before, after, n_before=18, n_after=15, d=100):
    return [(before, d)] * n_before + [(after, d)] * n_after


def test_a_measure_that_shifts_after_its_adopted_change_is_sustained(cast):
    org = cast.org_a
    measure = make_measure(org, improvement="increase")
    idea = change_idea(org)
    with scopes_disabled():
        measure.tracks = idea
        measure.save()
    fill(measure, {"all": shifted(40, 60), "ethnicity:M": shifted(20, 45), "ethnicity:A": shifted(50, 52)})
    design.focus_population(org, project_=measure.project, groups=["ethnicity:M"])
    change_on = P.step("monthly", START, 18) - (P.step("monthly", START, 18) - P.step("monthly", START, 17)) / 2
    adopt(org, idea, change_on)
    result = evidence_for([measure])[measure.pk]
    assert result.change_on == change_on
    assert result.change_period == P.step("monthly", START, 18)
    assert result.result.status == sustained.SUSTAINED, result.result.reason
    assert result.shift_period == P.step("monthly", START, 18)
    assert "Baseline mean 40%" in result.result.means_text
    assert result.gap is not None and result.gap.status == sustained.SUSTAINED, result.gap.reason
    assert result.gap_focus and result.gap_reference


def test_a_change_adopted_through_cycles_counts_and_too_few_points_say_so(cast):
    org = cast.org_a
    measure = make_measure(org, code="DNA", improvement="increase")
    idea = change_idea(org)
    cycle(org, idea=idea, measures=[measure])
    fill(measure, {"all": shifted(40, 60, n_after=5)})
    adopt(org, idea, P.step("monthly", START, 18))
    result = evidence_for([measure])[measure.pk]
    assert result.result.status == sustained.TOO_FEW
    assert "5 points after the change" in result.result.reason


def test_no_adoption_and_no_data(cast):
    org = cast.org_a
    with_data = make_measure(org, code="A1")
    without = make_measure(org, code="A2")
    fill(with_data, {"all": shifted(40, 60)})
    results = evidence_for([with_data, without])
    assert results[with_data.pk].result.status == sustained.NO_CHANGE
    assert without.pk not in results


def test_queries_do_not_grow_with_the_measures(cast):
    org = cast.org_a
    small = [make_measure(org, code=f"S{i}") for i in range(2)]
    large = [make_measure(cast.org_b, code=f"L{i}") for i in range(6)]
    for m in small + large:
        fill(m, {"all": shifted(40, 60)})
    with scopes_disabled():  # as callers pass them: with their chart settings
        small = list(Measure.objects.filter(pk__in=[m.pk for m in small]).select_related("chart_settings"))
        large = list(Measure.objects.filter(pk__in=[m.pk for m in large]).select_related("chart_settings"))
    with CaptureQueriesContext(connection) as few:
        evidence_for(small)
    with CaptureQueriesContext(connection) as many:
        evidence_for(large)
    assert len(few) == len(many)


def test_pseudonyms_are_stable_distinct_and_hide_names(cast):
    collab = cast.collaborative
    labels = pseudonyms.enrolled_labels(collab)
    assert set(labels) == {cast.org_a.pk, cast.org_b.pk}
    assert len(set(labels.values())) == 2
    assert all(label.startswith("Organisation ") for label in labels.values())
    assert "Alpha" not in " ".join(labels.values())
    assert pseudonyms.enrolled_labels(collab) == labels
    # Another collaborative's key gives other pseudonyms for the same organisation.
    assert pseudonyms.pseudonym("another-key", cast.org_a.pk) != labels[cast.org_a.pk]
    collab.evaluation_names_allowed = True
    assert pseudonyms.enrolled_labels(collab) == {cast.org_a.pk: "Alpha Trust", cast.org_b.pk: "Beta Trust"}


def test_colliding_codes_give_the_later_organisation_a_longer_one(monkeypatch):
    monkeypatch.setattr(pseudonyms, "_code", lambda key, pk, length=6: "X" * length)
    Org = type("Org", (), {})
    orgs = []
    for pk in (1, 2):
        o = Org()
        o.pk, o.name = pk, f"Org {pk}"
        orgs.append(o)
    collab = type("C", (), {"evaluation_names_allowed": False, "pseudonym_key": "k"})()
    assert pseudonyms.labels(collab, orgs) == {1: "Organisation XXXXXX", 2: "Organisation XXXXXXX"}


def evidence_for(measures):
    with scopes_disabled():
        return evidence.evidence_for(measures)
