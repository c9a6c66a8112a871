"""Demo PDSA work (called by collaborative.demo.seed after local design is seeded).

In each organisation: change ideas at every lifecycle stage, each tested in a
ramp of 2 to 6 cycles linked to its measures, moves with evidence, coach
comments and unread feedback.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone

from measures.models import Measure
from organisations.models import Assignment, Membership, Notification, Role
from qi_projects.demo import _at
from qi_projects.models import ImprovementProject, Kind, Stage


def seed(collaborative, organisations) -> None:
    """Called by collaborative.demo.seed() with scopes disabled."""
    today = timezone.localdate()
    coaches = {
        a.organisation_id: a.user
        for a in Assignment.objects.filter(organisation__in=organisations, role=Role.COACH).select_related("user")
    }
    for index, organisation in enumerate(organisations):
        membership = Membership.objects.filter(organisation=organisation, role=Role.LEAD).select_related("user").first()
        seed_pdsa(organisation, membership.user if membership else None, coaches.get(organisation.pk), today, index)


# --- Testing and scaling up: change ideas through their lifecycle, PDSA ramps, coach comments ----

# For each lifecycle stage, the Act decisions of the idea's ramp, oldest first. The last
# cycle of a "testing" ramp is still running ("doing"), studied ("studying") or planned.
RAMPS = [
    (Stage.SUSTAINED, ["adapt", "adapt", "adopt", "adopt"]),
    (Stage.SPREADING, ["adapt", "adopt", "adopt"]),
    (Stage.ADOPTED, ["adapt", "adapt", "adopt"]),
    (Stage.TESTING, ["adapt", "adapt", "doing"]),
    (Stage.ABANDONED, ["adapt", "abandon"]),
    (Stage.TESTING, ["adapt", "studying"]),
    (Stage.IDEA, []),
]
OBJECTIVES = [
    "Try it with one team for two weeks",
    "Adapt it after the first cycle: change the timing and invite carers",
    "Test it with two teams for a month",
    "Run it across the service as standard practice",
]
OUTCOMES = {
    "adapt": (
        "Take-up was lower than predicted (5 of 14 offered); staff found the booking step slow.",
        "Below the prediction: 36% took it up against the 50% we expected.",
        "People wanted it, but the booking step put them off; the partners suggested a phone call first.",
        "Simplify booking, phone first, and test again with the evening slot.",
    ),
    "adopt": (
        "11 of 14 offered took it up; no extra staff time once the script was familiar.",
        "Above the prediction: 79% against 50%, and missed first appointments fell in the pilot team.",
        "It works once staff know the script; carers valued being asked.",
        "Make it standard practice and test it at the next site.",
    ),
    "abandon": (
        "2 of 15 offered took it up; families told the panel it felt like being singled out.",
        "Far below the prediction: 13% against 50%.",
        "Not the right change for this group: the panel pointed us to the peer support route instead.",
        "Stop this change; put the effort into the peer support route.",
    ),
}
# Each organisation's own history (by its place in the demo): longer or shorter ramps, work that
# stopped, a cycle left in Study long past its planned end. Every lifecycle stage stays present.
VARIANTS = {
    # Northshire: a long, busy history; its testing ramps ran to five and six cycles.
    0: {
        "ramps": {3: ["adapt", "adapt", "adapt", "adapt", "doing"], 5: ["adapt", "adapt", "adapt", "adapt", "studying"]}
    },
    # Riverside: a cycle ("Text reminders") has sat in Study five weeks past its planned end.
    1: {"ramps": {0: ["adapt", "adopt"], 2: ["adopt", "adopt"]}, "stuck": 5, "stuck_in": "studying"},
    # Eastmoor: short ramps, and nothing logged or moved on for six weeks.
    2: {"ramps": {0: ["adapt", "adopt"], 1: ["adopt", "adopt"], 3: ["adapt", "doing"]}, "quiet_days": 42},
    # Westbrook: just started testing; a cycle left in Do.
    3: {"ramps": {1: ["adopt", "adopt"], 2: ["adopt", "adopt"]}, "stuck": 6},
}
STUCK_OBJECTIVE = "Text reminders the day before a first appointment"

COACH_COMMENTS = [
    "Good that the prediction was written down first. What did the lived-experience partners make of the take-up?",
    "Can you break the results down for the focus group? The overall figure may hide the gap.",
    "This is a good ramp: small, quick cycles. Worth sharing at the next learning set.",
]


def _ramp_measures(project, idea) -> list:
    measures = list(Measure.objects.filter(project=project).order_by("code"))
    chosen = [m for m in measures if m.tracks_id == idea.pk]
    for kind in ("outcome", "process"):
        first = next((m for m in measures if m.kind == kind and m not in chosen), None)
        if first is not None and len(chosen) < 2:
            chosen.append(first)
    return chosen


def seed_pdsa(organisation, lead, coach, today: date, index: int = 0) -> None:
    """Change ideas at every lifecycle stage, each tested in a ramp of 2 to 6 cycles, with coach comments."""
    from collaborative.models import Phase
    from qi_projects.models import ChangeTheoryElement

    from . import feedback
    from .models import ChangeIdeaMove, Comment, PdsaCycle

    if PdsaCycle.objects.filter(organisation=organisation).exists():
        return
    testing = Phase.objects.filter(organisation=organisation, number=2, actual_start__isnull=False).first()
    project = ImprovementProject.objects.filter(organisation=organisation).first()
    if testing is None or project is None:
        return
    ideas = list(
        ChangeTheoryElement.objects.filter(
            organisation=organisation, diagram__project=project, kind=Kind.CHANGE_IDEA, removed_at=None
        ).order_by("pk")
    )
    variant = VARIANTS.get(index, {})
    start = testing.actual_start + timedelta(days=14)
    last_day = today - timedelta(days=variant.get("quiet_days", 5))
    window = max((last_day - start).days, 60)
    through = PdsaCycle.measures.through
    links, comment_rows, made = [], [], []
    placed = {"stuck": not variant.get("stuck"), "quiet": "quiet_days" in variant}
    for index, (idea, (stage, decisions)) in enumerate(zip(ideas, RAMPS, strict=False)):
        decisions = variant.get("ramps", {}).get(index, decisions)
        if not decisions:
            continue
        step = window // (len(decisions) + 1)
        begin = start + timedelta(days=7 * index)
        measures = _ramp_measures(project, idea)
        previous, cycles = None, []
        for number, decision in enumerate(decisions, start=1):
            planned_start = begin + timedelta(days=step * (number - 1))
            length = max(7, min(21, step - 5))
            cycle = PdsaCycle(
                organisation=organisation,
                project=project,
                change_idea=idea,
                number=number,
                previous=previous,
                objective=f"{idea.text}: {OBJECTIVES[min(number, len(OBJECTIVES)) - 1].lower()}",
                questions="Will people from the focus group take it up? What gets in the way?",
                prediction="At least half of the people from the focus group offered it will take it up, and "
                "fewer will miss their first appointment.",
                who="Project lead, two clinicians and a lived-experience partner",
                where="The pilot team" if number < 3 else "Two community teams",
                planned_start=planned_start,
                planned_end=planned_start + timedelta(days=length),
                data_collection="Tally of offers and take-up by ethnicity, kept by reception; DNA figures from "
                "the patient record.",
                created_by=lead,
                created_at=_at(planned_start - timedelta(days=3)),
            )
            if decision == "planned" or planned_start > last_day:
                cycle.status = PdsaCycle.Status.PLANNED
                cycle.planned_start = today + timedelta(days=7)
                cycle.planned_end = today + timedelta(days=28)
                cycle.created_at = _at(today - timedelta(days=2))
            else:
                happened, results, learning, next_step = OUTCOMES.get(decision, OUTCOMES["adapt"])
                cycle.actual_start = planned_start
                cycle.what_was_done = "Offered as planned at every first contact with the focus group."
                if decision == "doing":
                    cycle.status = PdsaCycle.Status.DOING
                else:
                    cycle.actual_end = min(cycle.planned_end + timedelta(days=2), last_day)
                    cycle.what_happened = happened
                    cycle.problems = "Two staff were off sick in week one; the tally sheet went missing once."
                    cycle.results, cycle.learning = results, learning
                    cycle.status = PdsaCycle.Status.STUDYING
                    if decision != "studying":
                        cycle.status = PdsaCycle.Status.COMPLETED
                        cycle.decision, cycle.next_step = decision, next_step
                        cycle.completed_at = _at(cycle.actual_end + timedelta(days=3))
            _place_open(cycle, decision, today, variant, placed)
            cycle.save()
            made.append(cycle)
            links += [through(pdsacycle_id=cycle.pk, measure_id=m.pk) for m in measures]
            cycles.append(cycle)
            previous = cycle if decision == "adapt" or decision == "adopt" else None
        _demo_moves(organisation, idea, stage, cycles, lead, ChangeIdeaMove)
        for number, cycle in enumerate(cycles[:2]):
            comment_rows.append(
                Comment(
                    organisation=organisation,
                    cycle=cycle,
                    author=coach,
                    body=COACH_COMMENTS[(index + number) % len(COACH_COMMENTS)],
                    created_at=_at(cycle.actual_end or cycle.planned_start, 16),
                )
            )
        comment_rows.append(
            Comment(
                organisation=organisation,
                change_idea=idea,
                author=coach,
                body=f"@{lead.email} the ramp for this idea tells a clear story. Which measure will show it first?"
                if lead
                else "The ramp for this idea tells a clear story.",
                created_at=_at(cycles[-1].planned_start, 15),
            )
        )
    PdsaCycle.measures.through.objects.bulk_create(links)
    _last_touched(made, PdsaCycle)
    comments = Comment.objects.bulk_create(comment_rows)
    for comment in comments:
        feedback.notify(comment)
    # The lead has read all but the latest feedback.
    newest = sorted(comments, key=lambda c: c.created_at)[-2:]
    Notification.objects.filter(organisation=organisation).exclude(
        about_type__model="comment", about_id__in=[c.pk for c in newest]
    ).update(read_at=_at(today - timedelta(days=1)))


def _place_open(cycle, decision: str, today: date, variant: dict, placed: dict) -> None:
    """An open cycle runs now, unless the organisation went quiet (left where it was) or this is the one
    left stuck in its stage."""
    if decision not in ("studying", "doing") or cycle.status == "planned" or placed["quiet"]:
        return
    if not placed["stuck"] and variant.get("stuck_in", decision) == decision:
        placed["stuck"] = True
        _stuck(cycle, today, variant["stuck"])
        return
    started = today - timedelta(days=10 if decision == "doing" else 30)
    cycle.planned_start = cycle.actual_start = started
    cycle.planned_end = today + timedelta(days=11) if decision == "doing" else today - timedelta(days=9)
    if cycle.actual_end:
        cycle.actual_end = cycle.planned_end
    cycle.created_at = _at(started - timedelta(days=3))


def _stuck(cycle, today: date, weeks: int) -> None:
    """Leave an open cycle in its stage `weeks` weeks (and a few days) past its planned end."""
    cycle.objective = STUCK_OBJECTIVE
    cycle.planned_end = today - timedelta(days=7 * weeks + 2)
    cycle.planned_start = cycle.actual_start = cycle.planned_end - timedelta(days=21)
    cycle.created_at = _at(cycle.planned_start - timedelta(days=3))
    if cycle.actual_end:
        cycle.actual_end = cycle.planned_end


def _last_touched(cycles, PdsaCycle) -> None:
    """Saving stamps `updated_at` with today: put back the day each cycle last moved on, as if logged live."""
    for cycle in cycles:
        moments = [cycle.created_at, cycle.completed_at]
        moments += [_at(d, 17) for d in (cycle.actual_start, cycle.actual_end) if d]
        cycle.updated_at = max(m for m in moments if m is not None)
    PdsaCycle.objects.bulk_update(cycles, ["updated_at"])


def _demo_moves(organisation, idea, stage, cycles, lead, ChangeIdeaMove) -> None:
    """The moves that took the idea to `stage`, each with the cycles and words that justified it."""
    completed = [c for c in cycles if c.status == "completed"]
    adopted_by = next((c for c in completed if c.decision == "adopt"), None)
    path = [(Stage.IDEA, Stage.TESTING, cycles[0], [cycles[0]], f"Cycle 1 logged: {cycles[0].objective}")]
    if stage in (Stage.ADOPTED, Stage.SPREADING, Stage.SUSTAINED) and adopted_by is not None:
        path.append(
            (
                Stage.TESTING,
                Stage.ADOPTED,
                adopted_by,
                completed[: completed.index(adopted_by) + 1],
                f"Cycle {adopted_by.number} beat its prediction after {adopted_by.number - 1} adaptations; "
                "the process measure moved with it.",
            )
        )
    if stage in (Stage.SPREADING, Stage.SUSTAINED):
        path.append(
            (Stage.ADOPTED, Stage.SPREADING, cycles[-1], [cycles[-1]], "Adopted in the pilot team; spreading next.")
        )
    if stage == Stage.SUSTAINED:
        path.append(
            (
                Stage.SPREADING,
                Stage.SUSTAINED,
                cycles[-1],
                [],
                "Running as standard practice for six months with the measure holding at its new level.",
            )
        )
    if stage == Stage.ABANDONED:
        path.append(
            (Stage.TESTING, Stage.ABANDONED, cycles[-1], [cycles[-1]], "Take-up far below the prediction twice.")
        )
    spread = ("North community team\nSouth community team\nCrisis team", "All community teams by March 2027")
    for offset, (source, target, cycle, evidence_cycles, evidence) in enumerate(path):
        when = cycle.completed_at or _at(cycle.planned_start)
        move = ChangeIdeaMove.objects.create(
            organisation=organisation,
            change_idea=idea,
            from_stage=source,
            to_stage=target,
            evidence=evidence,
            spreading_to=spread[0] if target == Stage.SPREADING else "",
            spread_target=spread[1] if target == Stage.SPREADING else "",
            by=lead,
            at=when + timedelta(days=offset * 30 if target == Stage.SUSTAINED else offset),
        )
        if evidence_cycles:
            move.cycles.set(evidence_cycles)
    spreading = stage in (Stage.SPREADING, Stage.SUSTAINED)
    type(idea).objects.filter(pk=idea.pk).update(
        stage=stage,
        stage_changed_at=move.at,
        spreading_to=spread[0] if spreading else "",
        spread_target=spread[1] if spreading else "",
    )
