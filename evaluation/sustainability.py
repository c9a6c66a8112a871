"""An organisation's sustaining work read together: each project's two self-assessments, its plan, the
adopted change ideas the plan must cover, the chart of the scores, and the phase 3 gate items.

`for_organisation(organisation)` answers the sustainability page, the report and
the gate checks in a fixed number of queries whatever the number of projects,
ideas and measures.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from qi_projects.models import ChangeTheoryElement, ImprovementProject, Kind, Stage

from . import sustainability_model as model
from .models import AssessmentRound, SustainabilityAssessment, SustainabilityPlan

# A change idea the team has decided to keep: the plan must say how each is embedded.
KEPT_STAGES = (Stage.ADOPTED, Stage.SPREADING, Stage.SUSTAINED)
START_COLOUR, END_COLOUR = "#768692", "#005eb8"


@dataclass
class FactorRow:
    factor: model.Factor
    start: float | None
    end: float | None
    change: float | None


@dataclass
class ProjectSustainability:
    project: ImprovementProject
    start: SustainabilityAssessment | None
    end: SustainabilityAssessment | None
    plan: SustainabilityPlan | None
    ideas: list = field(default_factory=list)  # the project's kept change ideas
    rows: list[FactorRow] = field(default_factory=list)

    def assessment(self, round_: str) -> SustainabilityAssessment | None:
        return self.start if round_ == AssessmentRound.START else self.end

    @property
    def start_score(self) -> model.Score | None:
        return self.start.score if self.start else None

    @property
    def end_score(self) -> model.Score | None:
        return self.end.score if self.end else None

    @property
    def scored(self) -> list[SustainabilityAssessment]:
        return [a for a in (self.start, self.end) if a and a.status == a.Status.SCORED]

    @property
    def total_change(self) -> float | None:
        if self.start and self.end and self.start.total is not None and self.end.total is not None:
            return round(float(self.end.total - self.start.total), 1)
        return None

    @property
    def chart_id(self) -> str:
        return f"sustainability-chart-{self.project.pk}"

    @property
    def has_chart(self) -> bool:
        return any(r.start is not None or r.end is not None for r in self.rows)

    def plan_changes(self) -> list[tuple[object, object]]:
        """(idea, its PlanChange or None) for every kept idea."""
        recorded = {c.change_idea_id: c for c in self.plan.changes.all()} if self.plan else {}
        return [(idea, recorded.get(idea.pk)) for idea in self.ideas]

    def plan_problems(self) -> list[str]:
        """What the plan still lacks; empty when it is complete (the phase 3 gate item)."""
        plan = self.plan
        if plan is None:
            return ["No sustainability plan yet."]
        problems = []
        if not plan.owners.strip():
            problems.append("Name who owns sustaining the improvement.")
        for idea, change in self.plan_changes():
            if change is None or not change.embedding.strip():
                problems.append(f"Say how “{idea.text}” is embedded in routine work.")
            if change is None or not change.owner.strip():
                problems.append(f"Name the owner of “{idea.text}”.")
        if not list(plan.watched_measures.all()):
            problems.append("Choose at least one measure that keeps being watched.")
        elif not plan.watchers.strip():
            problems.append("Say who watches the measures.")
        if not plan.handover_to.strip() or plan.handover_from is None:
            problems.append("Say to whom, and from when, data collection is handed over.")
        return problems

    def figure(self) -> dict:
        return scores_figure(self.rows, self.start, self.end)


def _rows(start, end) -> list[FactorRow]:
    first = start.score.points if start else {}
    second = end.score.points if end else {}
    rows = []
    for factor in model.FACTORS:
        a, b = first.get(factor.key), second.get(factor.key)
        rows.append(FactorRow(factor, a, b, round(b - a, 1) if a is not None and b is not None else None))
    return rows


def for_organisation(organisation, *, assessments: bool = True, plans: bool = True) -> list[ProjectSustainability]:
    """Every project of the organisation with its assessments, plan and kept ideas: five queries
    (two with `plans=False`, four with `assessments=False`: each gate check asks only for what it reads)."""
    projects = list(ImprovementProject.objects.filter(organisation=organisation).order_by("created_at", "pk"))
    ids = [p.pk for p in projects]
    found, plan_of, ideas = {}, {}, {pk: [] for pk in ids}
    if assessments and ids:
        found = {(a.project_id, a.round): a for a in SustainabilityAssessment.objects.filter(project_id__in=ids)}
    if plans and ids:
        rows = SustainabilityPlan.objects.filter(project_id__in=ids).prefetch_related("watched_measures", "changes")
        plan_of = {p.project_id: p for p in rows}
        kept = (
            ChangeTheoryElement.objects.filter(
                diagram__project_id__in=ids, kind=Kind.CHANGE_IDEA, stage__in=KEPT_STAGES, removed_at=None
            )
            .select_related("diagram")
            .order_by("position", "pk")
        )
        for idea in kept:
            ideas[idea.diagram.project_id].append(idea)
    result = []
    for project in projects:
        start = found.get((project.pk, AssessmentRound.START))
        end = found.get((project.pk, AssessmentRound.END))
        result.append(
            ProjectSustainability(
                project=project,
                start=start,
                end=end,
                plan=plan_of.get(project.pk),
                ideas=ideas[project.pk],
                rows=_rows(start, end),
            )
        )
    return result


def scores_figure(rows: list[FactorRow], start, end) -> dict:
    """Each factor's points, start of phase 3 against end, with the change written on the end bars."""
    titles = [r.factor.title for r in rows]
    traces = []
    for label, colour, values, assessment in (
        ("Start of phase 3", START_COLOUR, [r.start for r in rows], start),
        ("End of phase 3", END_COLOUR, [r.end for r in rows], end),
    ):
        if assessment is None:
            continue
        trace = {
            "type": "bar",
            "orientation": "h",
            "name": label + ("" if assessment.status == assessment.Status.SCORED else " (draft)"),
            "y": titles,
            "x": values,
            "marker": {"color": colour},
            "hovertemplate": "%{y}: %{x} points<extra>" + label + "</extra>",
        }
        if colour == END_COLOUR:
            trace["text"] = [f"{r.change:+g}" if r.change else "" for r in rows]
            trace["textposition"] = "outside"
        traces.append(trace)
    return {
        "data": traces,
        "layout": {
            "barmode": "group",
            "height": 120 + 44 * len(rows),
            "margin": {"l": 10, "r": 30, "t": 10, "b": 40},
            "xaxis": {"title": {"text": "Points"}, "range": [0, 17], "rangemode": "tozero"},
            "yaxis": {"automargin": True, "autorange": "reversed"},
            "legend": {"orientation": "h", "y": -0.12},
        },
        "config": {"displayModeBar": False},
    }


# --- The phase 3 gate items (registered in evaluation/apps.py) ---------------------------------


def _name(item: ProjectSustainability, many: bool) -> str:
    return f"{item.project.title}: " if many else ""


def sustainability_assessed(organisation) -> tuple[bool, str]:
    """Both rounds of the self-assessment scored for every project (the gate closes phase 3, so the end
    of phase 3 one must be in; the start one shows the change)."""
    items = for_organisation(organisation, plans=False)
    if not items:
        return False, "No improvement project yet."
    done, parts = True, []
    for item in items:
        label = _name(item, len(items) > 1)
        start, end = item.start, item.end
        if start is None or start.total is None:
            done = False
            parts.append(f"{label}start of phase 3 not yet scored")
        elif end is None or end.total is None:
            done = False
            parts.append(f"{label}start of phase 3 scored {start.total:g}; end of phase 3 not yet scored")
        else:
            parts.append(f"{label}scored {start.total:g} at the start of phase 3 and {end.total:g} at the end")
    text = "; ".join(parts)
    return done, text[0].upper() + text[1:] + "."


def sustainability_plan_complete(organisation) -> tuple[bool, str]:
    """Every project's plan complete: owners, every kept idea embedded and owned, a measure watched, handover set."""
    items = for_organisation(organisation, assessments=False)
    if not items:
        return False, "No improvement project yet."
    missing = [(item, item.plan_problems()) for item in items]
    gaps = [(item, problems) for item, problems in missing if problems]
    if not gaps:
        parts = []
        for item in items:
            plan, n = item.plan, len(item.ideas)
            watched = len(plan.watched_measures.all())
            handover = f"{plan.handover_from.day} {plan.handover_from:%B %Y}"
            parts.append(
                f"{_name(item, len(items) > 1)}{n} adopted change{'' if n == 1 else 's'} embedded, "
                f"{watched} measure{'' if watched == 1 else 's'} watched, "
                f"data collection handed to {plan.handover_to} from {handover}"
            )
        return True, "; ".join(parts) + "."
    item, problems = gaps[0]
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return False, f"{_name(item, len(items) > 1)}{problems[0]}{more}"
