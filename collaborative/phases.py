"""Moving an organisation through its phases: starting, adjusting, passing gates.

The gate checklists are here; items that the data can answer are checked live
from the other apps (focus populations, change theory, measures) through the
`registry.gate_checks` they fill in, the rest are
ticked by the coach or the national team with a note.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction

from organisations import shared_cache

from .models import Enrolment, GateTick, Phase, PhaseEvent
from .registry import gate_checks


@dataclass(frozen=True)
class GateItem:
    key: str
    label: str
    automatic: bool = False  # answered from the data by the function registered under `key` in gate_checks


GATES: dict[int, list[GateItem]] = {
    1: [
        GateItem("focus_population", "Focus population identified", automatic=True),
        GateItem("change_theory", "Change theory coproduced", automatic=True),
        GateItem("measurement_strategy", "Measurement strategy agreed", automatic=True),
        GateItem("baseline_data", "Baseline data collected", automatic=True),
    ],
    2: [
        GateItem("changes_tested", "Changes tested"),
        GateItem("scale_up_decided", "Scale-up decided"),
    ],
    3: [
        GateItem(
            "sustainability_assessed", "Sustainability self-assessed at the start and end of phase 3", automatic=True
        ),
        GateItem("sustainability_plan", "Sustainability plan in place", automatic=True),
    ],
}


@dataclass
class ItemStatus:
    item: GateItem
    done: bool
    evidence: str
    automatic: bool
    tick: GateTick | None


def _checker(item: GateItem) -> Callable | None:
    """The data check for an item, or None while no app answers it."""
    return gate_checks.get(item.key) if item.automatic else None


GATE_CACHE_SECONDS = 60


def _gate_key(phase) -> str:
    return f"gate-status:{phase.pk}"


def cached_gate_status(phase: Phase) -> list[ItemStatus]:
    """`gate_status` for dashboards, kept in the shared cache for a minute (each data check costs
    queries); a tick or a pass clears it at once, and the phases page always checks live."""
    statuses = shared_cache.get(_gate_key(phase))
    if statuses is None:
        statuses = gate_status(phase)
        shared_cache.set(_gate_key(phase), statuses, GATE_CACHE_SECONDS)
    return statuses


def forget_gate_status(phase: Phase) -> None:
    shared_cache.delete(_gate_key(phase))


def gate_status(phase: Phase) -> list[ItemStatus]:
    ticks = {tick.key: tick for tick in phase.ticks.select_related("by")}
    statuses = []
    for item in GATES[phase.number]:
        tick = ticks.get(item.key)
        checker = _checker(item)
        if checker is not None:
            done, evidence = checker(phase.organisation)
            if not done and tick is not None:
                done, evidence = True, f"Ticked by {tick.by.display_name}: {tick.note}"
            statuses.append(ItemStatus(item, done, evidence, True, tick))
        else:
            evidence = f"Ticked by {tick.by.display_name}: {tick.note}" if tick else ""
            statuses.append(ItemStatus(item, tick is not None, evidence, False, tick))
    return statuses


def current_phase(enrolment: Enrolment) -> Phase | None:
    return enrolment.phases.filter(actual_start__isnull=False, actual_end__isnull=True).first()


@transaction.atomic
def start_first_phase(enrolment: Enrolment, *, by, on_date: date) -> Phase:
    problems = []
    if not enrolment.has_named_lead:
        problems.append("Name the project lead before local design can start.")
    if not enrolment.has_named_sponsor:
        problems.append("Name the executive sponsor before local design can start.")
    first = enrolment.phases.get(number=1)
    if first.actual_start is not None:
        problems.append("Local design has already started.")
    if problems:
        raise ValidationError(problems)
    shift = on_date - first.planned_start
    if shift:
        _shift_from(enrolment, 1, shift)
        first.refresh_from_db()
    first.actual_start = on_date
    first.save(update_fields=["actual_start"])
    PhaseEvent.objects.create(
        organisation=enrolment.organisation, phase=first, kind=PhaseEvent.Kind.STARTED, on_date=on_date, by=by
    )
    return first


def _shift_from(enrolment: Enrolment, number: int, delta: timedelta) -> None:
    """Move the planned dates of phase `number` and every later phase by `delta`."""
    for phase in enrolment.phases.filter(number__gte=number):
        phase.planned_start += delta
        phase.planned_end += delta
        phase.save(update_fields=["planned_start", "planned_end"])


@transaction.atomic
def adjust_phase(phase: Phase, *, new_end: date, reason: str, by) -> PhaseEvent:
    """Extend or shorten a phase; later phases move with it. The reason is kept."""
    if not reason.strip():
        raise ValidationError({"reason": "Give the reason for changing the phase's length."})
    if phase.actual_end is not None:
        raise ValidationError("This phase has ended; its dates can no longer change.")
    start = phase.actual_start or phase.planned_start
    if new_end < start:
        raise ValidationError({"new_end": f"The phase cannot end before it starts ({start:%d %B %Y})."})
    if new_end == phase.planned_end:
        raise ValidationError({"new_end": "That is already the planned end date."})
    old_end = phase.planned_end
    delta = new_end - old_end
    phase.planned_end = new_end
    phase.save(update_fields=["planned_end"])
    _shift_from(phase.enrolment, phase.number + 1, delta)
    kind = PhaseEvent.Kind.EXTENDED if delta.days > 0 else PhaseEvent.Kind.SHORTENED
    return PhaseEvent.objects.create(
        organisation=phase.organisation,
        phase=phase,
        kind=kind,
        on_date=new_end,
        by=by,
        reason=reason.strip(),
        old_end=old_end,
        new_end=new_end,
    )


@transaction.atomic
def pass_gate(phase: Phase, *, by, on_date: date, note: str = "") -> Phase | None:
    """Sign off the gate: end this phase and start the next (None after the last)."""
    forget_gate_status(phase)
    if not phase.is_current:
        raise ValidationError("Only the current phase's gate can be passed.")
    if on_date < phase.actual_start:
        raise ValidationError({"on_date": "The gate cannot be passed before the phase started."})
    statuses = gate_status(phase)
    missing = [s.item.label for s in statuses if not s.done]
    if missing:
        raise ValidationError("The gate checklist is not complete: " + ", ".join(missing) + ".")
    phase.actual_end = on_date
    phase.save(update_fields=["actual_end"])
    PhaseEvent.objects.create(
        organisation=phase.organisation,
        phase=phase,
        kind=PhaseEvent.Kind.GATE_PASSED,
        on_date=on_date,
        by=by,
        reason=note,
        evidence={s.item.key: s.evidence for s in statuses},
    )
    following = phase.enrolment.phases.filter(number=phase.number + 1).first()
    if following is None:
        return None
    next_day = on_date + timedelta(days=1)
    delta = next_day - following.planned_start
    if delta:
        _shift_from(phase.enrolment, following.number, delta)
        following.refresh_from_db()
    following.actual_start = next_day
    following.save(update_fields=["actual_start"])
    PhaseEvent.objects.create(
        organisation=phase.organisation, phase=following, kind=PhaseEvent.Kind.STARTED, on_date=next_day, by=by
    )
    return following


def tick_item(phase: Phase, *, key: str, note: str, by) -> GateTick:
    if key not in {item.key for item in GATES[phase.number]}:
        raise ValidationError("There is no such item on this phase's gate.")
    if not note.strip():
        raise ValidationError({"note": "Add a note saying what shows this item is done."})
    tick, _ = GateTick.objects.update_or_create(
        phase=phase, key=key, defaults={"organisation": phase.organisation, "note": note.strip(), "by": by}
    )
    forget_gate_status(phase)
    return tick
