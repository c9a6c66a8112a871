"""A project's state for the IHI progress score: cycles, change ideas and SPC signals, in a few queries.

Crosses into measures (series and SPC) and organisations (the team), so it lives
in its own module; the scoring rules themselves are in scoring.py.
"""

from __future__ import annotations

from django.db.models import Count, Q

from measures import series
from measures.models import Measure
from organisations.models import Membership
from qi_projects.models import ChangeTheory, ImprovementProject, Kind, Stage

from . import scoring
from .models import PdsaCycle, ProgressScore

ADOPTED_STAGES = (Stage.ADOPTED, Stage.SPREADING, Stage.SUSTAINED)


def measure_signals(measures) -> dict[int, object]:
    """measure id -> the ChartResult of its whole-population series, from the shared chart cache."""
    return series.cached_charts(measures)


def _improving(result) -> bool:
    if result is None or result.chart is None:
        return False
    # A signal of improvement anywhere in the last six periods counts as a current signal.
    return any(p.point_type == "special_cause_improvement" for p in result.chart.points[-6:])


def cycle_counts(project) -> dict:
    return PdsaCycle.objects.filter(project=project).aggregate(
        started=Count("pk"),
        completed=Count("pk", filter=Q(status=PdsaCycle.Status.COMPLETED)),
        ideas_tested=Count("change_idea", filter=Q(status=PdsaCycle.Status.COMPLETED), distinct=True),
    )


def idea_stages(theory) -> dict[str, int]:
    """stage -> how many of the change theory's ideas are at it."""
    if theory is None:
        return {}
    return dict(
        theory.elements.filter(kind=Kind.CHANGE_IDEA, removed_at=None)
        .order_by()
        .values_list("stage")
        .annotate(n=Count("pk"))
        .values_list("stage", "n")
    )


def project_state(
    project: ImprovementProject, *, measures=None, results=None, cycles=None, ideas_by_stage=None, team_size=None
) -> scoring.ProjectState:
    """The state the score is suggested from. A page that has already read the measures and their charts,
    the cycle counts (`cycle_counts`) or the change ideas per stage passes them in rather than reading them twice."""
    cycles = cycles if cycles is not None else cycle_counts(project)
    try:
        theory = project.change_theory
    except ChangeTheory.DoesNotExist:
        theory = None
    if ideas_by_stage is None:
        ideas_by_stage = idea_stages(theory)
    ideas = {
        "adopted": sum(ideas_by_stage.get(s, 0) for s in ADOPTED_STAGES),
        "spreading": ideas_by_stage.get(Stage.SPREADING, 0),
        "sustained": ideas_by_stage.get(Stage.SUSTAINED, 0),
    }
    if measures is None:
        measures = list(Measure.objects.filter(project=project).select_related("chart_settings"))
    else:
        measures = [m for m in measures if m.project_id == project.pk]
    results = results if results is not None else measure_signals(measures)
    process = [m for m in measures if m.kind == "process"]
    outcome = [m for m in measures if m.kind == "outcome"]
    return scoring.ProjectState(
        has_project=True,
        team_size=team_size
        if team_size is not None
        else Membership.objects.filter(organisation_id=project.organisation_id).count(),
        has_aim=bool(project.aim.strip()),
        has_change_theory=theory is not None,
        measure_count=len(measures),
        cycles_started=cycles["started"],
        cycles_completed=cycles["completed"],
        ideas_tested=cycles["ideas_tested"],
        ideas_adopted=ideas["adopted"],
        ideas_spreading=ideas["spreading"],
        ideas_sustained=ideas["sustained"],
        process_measures=len(process),
        process_improving=sum(_improving(results.get(m.pk)) for m in process),
        outcome_measures=len(outcome),
        outcome_improving=sum(_improving(results.get(m.pk)) for m in outcome),
        outcome_on_target=sum(
            1 for m in outcome if results.get(m.pk) is not None and results[m.pk].assurance == "consistent_pass"
        ),
    )


def progress(project: ImprovementProject, **known) -> dict:
    """The suggestion, the latest override and whether the suggestion has moved on since it.

    `known` is passed on to `project_state`: what the calling page has already read."""
    suggestion = scoring.suggest(project_state(project, **known))
    override = ProgressScore.objects.filter(project=project).select_related("by").first()
    return {
        "suggestion": suggestion,
        "override": override,
        "score": override.score if override else suggestion.score,
        "suggestion_changed": override is not None and override.suggested != suggestion.score,
    }
