"""The executive sponsor's page: is it on track, and what do you need from me? One call, a fixed number of queries.

The aim, the progress score, the outcome measures with their icons and latest value
in words, the equality gap headlines, the team's risks and asks, and what changed
in the last month. It reads the same cached charts and gaps as the workspace
(`measures.series.cached_charts`), so an unchanged measure is never recomputed.
Nothing imports this module back (it sits with the cross-app pages).
"""

from __future__ import annotations

from datetime import datetime, time

from django.db.models import Count, Max, Q
from django.utils import timezone

from measures import series
from measures.models import DataPoint, Measure
from organisations import access
from organisations.models import Membership, Role
from qi_projects.models import FocusPopulation, ImprovementProject, Stage
from qi_projects.pdsa import progress, scoring
from qi_projects.pdsa.models import ChangeIdeaMove, PdsaCycle

from . import dashboards, tiles
from .models import Phase, PhaseEvent, TeamAsk, add_months

ASKS_SHOWN = 8  # open risks and asks on the printed page; the asks page lists them all
CHANGES_SHOWN = 5


def since(today):
    """The start of "this month" on the sponsor's page: the same day a month ago."""
    return add_months(today, -1)


def sponsor_view(user, organisation, today=None) -> dict:
    today = today or timezone.localdate()
    start = since(today)
    moment = timezone.make_aware(datetime.combine(start, time.min))
    project = (
        ImprovementProject.objects.filter(organisation=organisation)
        .select_related("change_theory")
        .annotate(team_size=dashboards._scalar_count(Membership.objects.filter(organisation=organisation)))
        .order_by("created_at", "pk")
        .first()
    )
    measures = list(
        Measure.objects.filter(organisation=organisation).select_related("chart_settings").order_by("kind", "code")
    )
    versions = series.data_versions(measures)
    charts = series.cached_charts(measures, versions=versions)
    cycles = cycle_counts(project, start, moment)
    ideas = dashboards._idea_stages(project)
    outcome = [m for m in measures if m.kind == "outcome"]
    populations = list(FocusPopulation.objects.filter(project=project).order_by("pk")) if project else []
    measures_tile = tiles.cached(
        tiles.key(
            "sponsor-measures",
            organisation.pk,
            tiles.measure_versions(outcome, versions),
            [(p.pk, p.name, p.groups) for p in populations],
        ),
        lambda: _measures_tile(organisation, project, outcome, charts, versions),
    )
    score = (
        progress.progress(
            project, measures=measures, results=charts, cycles=cycles, ideas_by_stage=ideas, team_size=project.team_size
        )
        if project
        else None
    )
    asks = open_asks(organisation, moment)
    return {
        "organisation": organisation,
        "today": today,
        "since": start,
        "project": project,
        "phase": current_phase(organisation, today),
        "progress": score,
        "score_label": scoring.SCALE.get(score["score"], "") if score else "",
        "measures_html": measures_tile["html"],
        "data_runs_to": measures_tile["data_runs_to"],
        "asks": asks,
        "ask_groups": [("Asks of you", asks["asks"]), ("Risks", asks["risks"])],
        "changes": changes(organisation, measures, cycles, start, today),
        "may_answer": access.can(user, "answer_ask", organisation),
        "may_raise": access.can(user, "raise_ask", organisation),
        "is_sponsor": Role.SPONSOR in access.roles_in(user, organisation),
    }


def _measures_tile(organisation, project, outcome, charts, versions) -> dict:
    """The outcome measures and the gap table, rendered: what `tiles.cached` keeps per data version."""
    tile_list = [dashboards.measure_tile(m, charts.get(m.pk)) for m in outcome]
    ends = [t["period"] for t in tile_list if t["period"]]
    context = {"organisation": organisation, "tiles": tile_list, "gaps": gap_table(project, outcome, versions)}
    return {
        "html": tiles.render("collaborative/_sponsor_measures.html", context),
        "data_runs_to": max(ends) if ends else None,
    }


def gap_table(project, outcome_measures, versions) -> list[dict]:
    """Per focus population, the latest gap on each outcome measure of its dimension (the workspace's headlines)."""
    if project is None:
        return []
    rows = dashboards.gap_headlines(project, outcome_measures, versions)
    populations: dict[int, dict] = {}
    for row in rows:
        populations.setdefault(row["population"].pk, {"population": row["population"], "rows": []})["rows"].append(row)
    return list(populations.values())


def cycle_counts(project, start, moment) -> dict:
    """What the progress score needs of the project's cycles, and how many started and finished since `start`."""
    if project is None:
        return {"started": 0, "completed": 0, "ideas_tested": 0, "started_recently": 0, "finished_recently": 0}
    completed = Q(status=PdsaCycle.Status.COMPLETED)
    return PdsaCycle.objects.filter(project=project).aggregate(
        started=Count("pk"),
        completed=Count("pk", filter=completed),
        ideas_tested=Count("change_idea", filter=completed, distinct=True),
        started_recently=Count("pk", filter=Q(actual_start__gte=start)),
        finished_recently=Count("pk", filter=completed & Q(completed_at__gte=moment)),
    )


def current_phase(organisation, today) -> dict | None:
    """The phase under way, how far through it is and whether it is overrunning (no gate items here)."""
    phases = list(Phase.objects.filter(organisation=organisation, enrolment__active=True).order_by("number"))
    current = next((p for p in phases if p.is_current), None)
    if current is None:
        return {"current": None, "finished": bool(phases) and all(p.actual_end for p in phases)}
    return {
        "current": current,
        "progress": current.progress(today),
        "overrun_days": max((today - current.planned_end).days, 0),
    }


def open_asks(organisation, moment) -> dict:
    """The open risks and asks (oldest first, up to `ASKS_SHOWN`) and how many were resolved since `moment`."""
    rows = list(
        TeamAsk.objects.filter(organisation=organisation)
        .filter(Q(resolved_at=None) | Q(resolved_at__gte=moment))
        .select_related("raised_by", "answered_by")
        .order_by("raised_at", "pk")
    )
    still_open = [a for a in rows if a.resolved_at is None]
    return {
        "risks": [a for a in still_open if a.kind == TeamAsk.Kind.RISK][:ASKS_SHOWN],
        "asks": [a for a in still_open if a.kind == TeamAsk.Kind.ASK][:ASKS_SHOWN],
        "open": len(still_open),
        "unanswered": sum(1 for a in still_open if a.kind == TeamAsk.Kind.ASK and not a.answer),
        "resolved_recently": len(rows) - len(still_open),
    }


def changes(organisation, measures, cycles, start, today) -> dict:
    """What changed since `start`: figures entered, cycles started and finished (counted in `cycles`), ideas
    adopted, and phase changes taking effect (a change recorded now about an earlier date is not news)."""
    moment = timezone.make_aware(datetime.combine(start, time.min))
    codes = {m.pk: m.code for m in measures}
    data = list(
        DataPoint.objects.filter(organisation=organisation, stratum="all", updated_at__gte=moment)
        .order_by()
        .values("measure_id")
        .annotate(n=Count("pk"), latest=Max("period_start"))
    )
    adopted = list(
        ChangeIdeaMove.objects.filter(organisation=organisation, to_stage=Stage.ADOPTED, at__gte=moment)
        .select_related("change_idea")
        .order_by("-at", "-pk")[:CHANGES_SHOWN]
    )
    phase_events = list(
        PhaseEvent.objects.filter(organisation=organisation, on_date__gte=start, on_date__lte=today)
        .select_related("phase")
        .order_by("-on_date", "-pk")[:CHANGES_SHOWN]
    )
    figures = sum(r["n"] for r in data)
    result = {
        "figures": figures,
        "measures": sorted(codes.get(r["measure_id"], "") for r in data),
        "latest_period": max((r["latest"] for r in data), default=None),
        "cycles_started": cycles["started_recently"],
        "cycles_finished": cycles["finished_recently"],
        "adopted": adopted,
        "phase_events": phase_events,
    }
    happened = (figures, cycles["started_recently"], cycles["finished_recently"], adopted, phase_events)
    result["nothing"] = not any(happened)
    return result
