"""The IHI project progress scale (0.5 to 5), suggested from a project's state. No Django imports.

The scale (IHI Model for Improvement, collaborative assessment):
0.5 intent to participate, 1.0 forming team, 1.5 planning for the project has
begun, 2.0 activity but no changes, 2.5 changes tested but no improvement,
3.0 modest improvement, 3.5 improvement, 4.0 significant improvement,
4.5 sustainable improvement, 5.0 outstanding sustainable results.
The suggestion is a starting point for the team and coach, with its reasons.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

SCALE: dict[Decimal, str] = {
    Decimal("0.5"): "Intent to participate",
    Decimal("1.0"): "Forming team",
    Decimal("1.5"): "Planning for the project has begun",
    Decimal("2.0"): "Activity, but no changes",
    Decimal("2.5"): "Changes tested, but no improvement",
    Decimal("3.0"): "Modest improvement",
    Decimal("3.5"): "Improvement",
    Decimal("4.0"): "Significant improvement",
    Decimal("4.5"): "Sustainable improvement",
    Decimal("5.0"): "Outstanding sustainable results",
}


@dataclass(frozen=True)
class ProjectState:
    has_project: bool = True
    team_size: int = 0
    has_aim: bool = False
    has_change_theory: bool = False
    measure_count: int = 0
    cycles_started: int = 0
    cycles_completed: int = 0
    ideas_tested: int = 0  # ideas with at least one completed cycle
    ideas_adopted: int = 0  # adopted, spreading or sustained
    ideas_spreading: int = 0
    ideas_sustained: int = 0
    process_measures: int = 0
    process_improving: int = 0  # process measures whose last point is a special cause of improvement
    outcome_measures: int = 0
    outcome_improving: int = 0
    outcome_on_target: int = 0  # outcome measures that consistently pass their target


@dataclass
class Suggestion:
    score: Decimal
    reasons: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return SCALE[self.score]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def suggest(state: ProjectState) -> Suggestion:
    """The highest step of the scale whose conditions the project meets, and why."""
    s = state
    if not s.has_project:
        return Suggestion(Decimal("0.5"), ["No improvement project has been set up yet."])
    reasons = [f"Team of {_plural(s.team_size, 'person')}." if s.team_size else "No team members recorded yet."]
    planned = s.has_aim and s.has_change_theory and s.measure_count > 0
    if not planned:
        missing = [
            what
            for ok, what in (
                (s.has_aim, "an aim"),
                (s.has_change_theory, "a change theory"),
                (s.measure_count > 0, "measures"),
            )
            if not ok
        ]
        return Suggestion(Decimal("1.0"), [*reasons, f"Still to do before planning is complete: {', '.join(missing)}."])
    reasons.append(f"Aim, change theory and {_plural(s.measure_count, 'measure')} in place.")
    if s.cycles_started == 0:
        return Suggestion(Decimal("1.5"), [*reasons, "No PDSA cycles logged yet."])
    reasons.append(f"{_plural(s.cycles_started, 'PDSA cycle')} logged, {s.cycles_completed} completed.")
    if s.cycles_completed == 0:
        return Suggestion(Decimal("2.0"), [*reasons, "No change has been tested to the end of a cycle yet."])
    reasons.append(f"{_plural(s.ideas_tested, 'change idea')} tested, {s.ideas_adopted} adopted.")
    signals = (
        f"Improvement signals: {s.process_improving} of {s.process_measures} process measures, "
        f"{s.outcome_improving} of {s.outcome_measures} outcome measures."
    )
    reasons.append(signals)
    if s.process_improving == 0 and s.outcome_improving == 0 and s.ideas_adopted == 0:
        return Suggestion(Decimal("2.5"), [*reasons, "Changes tested, but no measure shows improvement yet."])
    if s.outcome_improving == 0:
        return Suggestion(Decimal("3.0"), [*reasons, "Modest improvement: no outcome measure has improved yet."])
    half = s.outcome_improving * 2 >= s.outcome_measures
    most = s.outcome_improving * 4 >= s.outcome_measures * 3
    if not half or s.ideas_adopted == 0:
        return Suggestion(Decimal("3.5"), [*reasons, "Some outcome measures are improving."])
    if not most or s.ideas_spreading + s.ideas_sustained == 0:
        return Suggestion(Decimal("4.0"), [*reasons, "At least half the outcome measures show improvement."])
    all_on_target = s.outcome_measures > 0 and s.outcome_on_target == s.outcome_measures
    if not (all_on_target and s.ideas_spreading and s.ideas_sustained):
        return Suggestion(
            Decimal("4.5"), [*reasons, "Most outcome measures improving and changes spreading or sustained."]
        )
    return Suggestion(
        Decimal("5.0"), [*reasons, "Every outcome measure consistently meets its target, and changes are spreading."]
    )
