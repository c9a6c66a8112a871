"""Phase 1 gate items are derived from the work, inside a scope like a request's."""

from datetime import date
from decimal import Decimal

import pytest
from django_scopes import scope

from measures.gates import measurement_strategy_agreed
from qi_projects import gates

from . import factories

pytestmark = pytest.mark.django_db


def check(cast, fn):
    with scope(organisation=[cast.org_a.pk]):
        return fn(cast.org_a)


def test_nothing_done_nothing_ticked(cast):
    for fn in (gates.focus_population_identified, gates.change_theory_coproduced, measurement_strategy_agreed):
        done, evidence = check(cast, fn)
        assert not done and evidence


def test_focus_population_identified_with_count_and_latest_date(cast):
    project = factories.project(cast.org_a)
    factories.focus_population(cast.org_a, project_=project)
    factories.focus_population(cast.org_a, project_=project, name="Second")
    done, evidence = check(cast, gates.focus_population_identified)
    assert done
    assert evidence.startswith("2 focus populations; latest ")


def test_change_theory_counts_as_coproduced_only_with_design_involvement(cast):
    factories.change_theory(cast.org_a, cast.collaborative)
    assert check(cast, gates.change_theory_coproduced) == (
        False,
        "2 primary drivers, 3 change ideas; no design-step involvement in the coproduction log",
    )
    factories.coproduction(cast.org_a, level="consulted")
    done, evidence = check(cast, gates.change_theory_coproduced)
    assert not done and "only as informed or consulted" in evidence
    factories.coproduction(cast.org_a, level="co_designed", date=date(2025, 3, 12))
    assert check(cast, gates.change_theory_coproduced) == (
        True,
        "2 primary drivers, 3 change ideas; 1 design session with lived experience, latest 12 Mar 2025",
    )


def test_another_organisations_coproduction_does_not_count(cast):
    factories.change_theory(cast.org_a, cast.collaborative)
    factories.coproduction(cast.org_b)
    assert not check(cast, gates.change_theory_coproduced)[0]


def test_measurement_strategy_needs_an_outcome_measure_with_a_target_reviewed_with_lived_experience(cast):
    project = factories.project(cast.org_a)
    factories.measure(cast.org_a, project_=project, code="PM1", kind="process")
    done, evidence = check(cast, measurement_strategy_agreed)
    assert not done and "no outcome measure with a target" in evidence
    factories.measure(cast.org_a, project_=project, code="OM1", target=Decimal("60"))
    done, evidence = check(cast, measurement_strategy_agreed)
    assert not done and "not yet reviewed" in evidence
    factories.coproduction(cast.org_a, step="design", level="consulted", topic="measurement", date=date(2025, 4, 2))
    assert check(cast, measurement_strategy_agreed) == (
        True,
        "2 measures (1 outcome with a target); reviewed 2 Apr 2025",
    )


def test_phase_one_lists_the_three_items(cast):
    with scope(organisation=[cast.org_a.pk]):
        items = gates.phase_one(cast.org_a)
    assert [label for _, label, _, _ in items] == [
        "Focus population identified",
        "Change theory coproduced",
        "Measurement strategy agreed",
    ]
