"""The phase 1 (local design) gate items about the local design work, derived from the work itself.

Each function answers (done, evidence) for one organisation, where evidence is
a short sentence a coach can check, such as "2 focus populations; latest
12 Mar 2025". They run inside the caller's scope (a request or a task that
entered `scope(organisation=...)`); they never disable scopes.

The rules:

- Focus population identified: at least one focus population, with the
  evidence behind the choice and a reference group (the form requires both).
- Change theory coproduced: a change theory with at least one primary driver and
  one change idea, and the coproduction log records people with lived
  experience shaping the work at the design step: level involved, co-designed or
  led ("informed" and "consulted" are not coproduction).
- Measurement strategy agreed (measures/gates.py): at least one outcome measure with an operational
  definition (every measure has one) and a target, and the measures were shaped
  with people with lived experience: the log has an entry about the measurement
  strategy at level consulted or above, or a design-step entry at level involved
  or above.
"""

from __future__ import annotations

from django.db.models import Max

from collaborative.registry import gate_checks

from .models import ChangeTheoryElement, CoproductionEntry, FocusPopulation, Kind

Level = CoproductionEntry.Level


def _day(value) -> str:
    return f"{value.day} {value:%b %Y}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def focus_population_identified(organisation) -> tuple[bool, str]:
    populations = FocusPopulation.objects.filter(organisation=organisation).exclude(evidence="")
    summary = populations.aggregate(latest=Max("updated_at"))
    n = populations.count()
    if not n:
        return False, "No focus population recorded yet"
    return True, f"{_plural(n, 'focus population')}; latest {_day(summary['latest'])}"


def _design_involvement(organisation):
    return CoproductionEntry.objects.filter(
        organisation=organisation, step=CoproductionEntry.Step.DESIGN, level__in=CoproductionEntry.SHAPING_LEVELS
    )


def change_theory_coproduced(organisation) -> tuple[bool, str]:
    live = ChangeTheoryElement.objects.filter(organisation=organisation, removed_at=None)
    drivers = live.filter(kind=Kind.PRIMARY).count()
    ideas = live.filter(kind=Kind.CHANGE_IDEA).count()
    if not drivers or not ideas:
        return False, "No change theory with drivers and change ideas yet"
    theory = f"{_plural(drivers, 'primary driver')}, {_plural(ideas, 'change idea')}"
    sessions = _design_involvement(organisation)
    count = sessions.count()
    if not count:
        lower = CoproductionEntry.objects.filter(organisation=organisation, step=CoproductionEntry.Step.DESIGN).exists()
        why = "design-step involvement logged only as informed or consulted" if lower else "no design-step involvement"
        return False, f"{theory}; {why} in the coproduction log"
    latest = sessions.aggregate(latest=Max("date"))["latest"]
    return True, f"{theory}; {_plural(count, 'design session')} with lived experience, latest {_day(latest)}"


# The phase 1 items shown on the local design page, in order; each is answered by the
# check registered under its key (this app's own two, and measures' measurement strategy).
PHASE_ONE = [
    ("focus_population", "Focus population identified"),
    ("change_theory", "Change theory coproduced"),
    ("measurement_strategy", "Measurement strategy agreed"),
]


def phase_one(organisation) -> list[tuple[str, str, bool, str]]:
    """Every phase 1 item: (code, label, done, evidence)."""
    return [(code, label, *gate_checks.get(code)(organisation)) for code, label in PHASE_ONE]
