"""The IHI progress score suggestion: pure rules, then from a project's real state."""

from decimal import Decimal

import pytest
from django_scopes import scope

from qi_projects.pdsa import progress
from qi_projects.pdsa.scoring import ProjectState, suggest
from qi_projects.tests import factories

from . import factories as pdsa_factories

PLANNED = dict(has_aim=True, has_change_theory=True, measure_count=4, team_size=5, process_measures=2)


@pytest.mark.parametrize(
    ("state", "score"),
    [
        (ProjectState(has_project=False), "0.5"),
        (ProjectState(team_size=3, has_aim=True), "1.0"),
        (ProjectState(**PLANNED), "1.5"),
        (ProjectState(**PLANNED, cycles_started=2), "2.0"),
        (ProjectState(**PLANNED, cycles_started=3, cycles_completed=2, ideas_tested=1), "2.5"),
        (ProjectState(**PLANNED, cycles_started=3, cycles_completed=2, process_improving=1), "3.0"),
        (ProjectState(**PLANNED, cycles_started=3, cycles_completed=2, ideas_adopted=1), "3.0"),
        (
            ProjectState(
                **PLANNED,
                cycles_started=6,
                cycles_completed=5,
                ideas_adopted=1,
                outcome_measures=3,
                outcome_improving=1,
            ),
            "3.5",
        ),
        (
            ProjectState(
                **PLANNED,
                cycles_started=6,
                cycles_completed=5,
                ideas_adopted=2,
                outcome_measures=2,
                outcome_improving=1,
            ),
            "4.0",
        ),
        (
            ProjectState(
                **PLANNED,
                cycles_started=9,
                cycles_completed=8,
                ideas_adopted=3,
                ideas_spreading=1,
                outcome_measures=2,
                outcome_improving=2,
            ),
            "4.5",
        ),
        (
            ProjectState(
                **PLANNED,
                cycles_started=9,
                cycles_completed=8,
                ideas_adopted=3,
                ideas_spreading=1,
                ideas_sustained=1,
                outcome_measures=2,
                outcome_improving=2,
                outcome_on_target=2,
            ),
            "5.0",
        ),
    ],
)
def test_suggestion_climbs_the_scale_with_the_project(state, score):
    suggestion = suggest(state)
    assert suggestion.score == Decimal(score)
    assert suggestion.reasons
    assert suggestion.label


def test_suggestion_says_what_planning_is_missing():
    suggestion = suggest(ProjectState(team_size=2, has_aim=True))
    assert "a change theory, measures" in suggestion.reasons[-1]


@pytest.mark.django_db
def test_a_project_with_a_completed_cycle_is_suggested_two_and_a_half(cast):
    idea = pdsa_factories.change_idea(cast.org_a)
    project = idea.diagram.project
    factories.measure(cast.org_a, project_=project)
    pdsa_factories.cycle(cast.org_a, idea, status="completed")
    with scope(organisation=[cast.org_a.pk]):
        result = progress.progress(project)
    assert result["suggestion"].score == Decimal("2.5")
    assert result["override"] is None
    assert result["score"] == Decimal("2.5")
