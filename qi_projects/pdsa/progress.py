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


def project_state(project: ImprovementProject) -> scoring.ProjectState:
    cycles = PdsaCycle.objects.filter(project=project).aggregate(
        started=Count("pk"),
        completed=Count("pk", filter=Q(status=PdsaCycle.Status.COMPLETED)),
        ideas_tested=Count("change_idea", filter=Q(status=PdsaCycle.Status.COMPLETED), distinct=True),
    )
    theory = ChangeTheory.objects.filter(project=project).first()
    ideas = {"adopted": 0, "spreading": 0, "sustained": 0}
    if theory is not None:
        ideas = theory.elements.filter(kind=Kind.CHANGE_IDEA, removed_at=None).aggregate(
            adopted=Count("pk", filter=Q(stage__in=ADOPTED_STAGES)),
            spreading=Count("pk", filter=Q(stage=Stage.SPREADING)),
            sustained=Count("pk", filter=Q(stage=Stage.SUSTAINED)),
        )
    measures = list(Measure.objects.filter(project=project).select_related("chart_settings"))
    results = measure_signals(measures)
    process = [m for m in measures if m.kind == "process"]
    outcome = [m for m in measures if m.kind == "outcome"]
    return scoring.ProjectState(
        has_project=True,
        team_size=Membership.objects.filter(organisation_id=project.organisation_id).count(),
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


def progress(project: ImprovementProject) -> dict:
    """The suggestion, the latest override and whether the suggestion has moved on since it."""
    suggestion = scoring.suggest(project_state(project))
    override = ProgressScore.objects.filter(project=project).select_related("by").first()
    return {
        "suggestion": suggestion,
        "override": override,
        "score": override.score if override else suggestion.score,
        "suggestion_changed": override is not None and override.suggested != suggestion.score,
    }
