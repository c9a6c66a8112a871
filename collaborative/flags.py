"""Which organisations need attention, and why: pure rules from per-organisation facts to flags. No ORM.

The coach portfolio and the programme board gather the facts for every
organisation they show in a fixed number of queries
(`collaborative.dashboards.flag_facts`) and hand them to `flags_for`, which
returns the organisation's flags worst first. Each flag carries a key (the
board filters by it), a rank (higher needs attention sooner) and a plain reason
with its figure, so a coach reads why without opening anything.

Thresholds (issue 15): a flag fires the day after its limit is passed and clears
the day the fact changes. "No data for 6 weeks" fires on day 43 since a figure
was last entered or changed, not on day 42; no PDSA activity on day 29; a cycle
is stuck on day 29 past its planned end; no team meeting on day 22.

An unanswered question to the coach is a comment on a PDSA cycle or change idea
that @mentions one of the organisation's assigned coaches or experts (the
mention is recorded as that person's "mention" notification), written by
someone else, with no comment by that coach or expert on the same cycle or idea
after it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from measures import deadlines, periods

STALE_DAYS = 42  # data stale after six weeks
NO_PDSA_DAYS = 28  # no PDSA activity in four weeks
STUCK_DAYS = 28  # a cycle four weeks past its planned end in the same stage
NO_MEETING_DAYS = 21  # the fortnightly team meeting missed

STAGE_WORDS = {"planned": "in Plan", "doing": "in Do", "studying": "in Study"}


@dataclass(frozen=True)
class Flag:
    key: str
    rank: int
    reason: str


@dataclass(frozen=True)
class MeasureFacts:
    name: str
    frequency: str
    latest_period: date | None  # the latest period with a whole-population figure
    variation: str | None = None  # the cached chart's point type of its latest point


@dataclass(frozen=True)
class CycleFacts:
    objective: str
    status: str
    planned_end: date


@dataclass(frozen=True)
class Facts:
    """What the rules need to know about one organisation."""

    today: date
    now: datetime
    phase: int | None = None
    phase_planned_end: date | None = None
    has_lead: bool = True
    has_sponsor: bool = True
    has_overdue_invoice: bool = False
    nobody_registered_soon: bool = False
    last_data: date | None = None  # the day a figure was last entered or changed
    last_pdsa: date | None = None  # the day a cycle was last logged or moved on
    last_meeting: date | None = None
    measures: list[MeasureFacts] = field(default_factory=list)
    open_cycles: list[CycleFacts] = field(default_factory=list)  # open cycles past their planned end
    unanswered: list[date] = field(default_factory=list)  # the days unanswered questions were asked
    rule: deadlines.Rule = deadlines.Rule()


# The ranks order who needs attention first: a concern in the data, then the data and
# the work stopping, then the team's rhythm, then administration.
LABELS = {
    "concern": (100, "Special-cause concern on a latest point"),
    "data_stale": (90, f"No data for over {STALE_DAYS // 7} weeks"),
    "data_late": (85, "A period's data is late"),
    "cycle_stuck": (80, f"A PDSA cycle stuck {STUCK_DAYS // 7} weeks past its planned end"),
    "no_pdsa": (75, f"No PDSA activity in {NO_PDSA_DAYS // 7} weeks"),
    "unanswered": (70, "Unanswered questions to the coach"),
    "no_meeting": (60, f"No team meeting in {NO_MEETING_DAYS} days"),
    "overrun": (50, "Phase overrunning"),
    "no_lead": (40, "No named project lead"),
    "no_sponsor": (30, "No named executive sponsor"),
    "overdue_invoice": (20, "Invoice overdue"),
    "no_learning_set": (10, "Nobody registered for a learning set two weeks away"),
}


def label(key: str) -> str:
    return LABELS[key][1]


def _flag(key: str, reason: str) -> Flag:
    return Flag(key, LABELS[key][0], reason)


def _since(day: date, today: date) -> str:
    return f"{day.day} {day:%b}" if day.year == today.year else f"{day.day} {day:%b %Y}"


def _weeks(days: int) -> str:
    weeks = days // 7
    return f"{weeks} week{'s' if weeks != 1 else ''}"


def duration(days: int) -> str:
    """A plain length of time: days under two weeks, weeks under two months, then months."""
    if days < 14:
        return f"{days} day{'s' if days != 1 else ''}"
    if days < 61:
        return _weeks(days)
    months = round(days / 30.44)
    return f"{months} months"


def data_stale(f: Facts) -> Flag | None:
    if f.last_data is None:
        if f.phase and f.phase >= 2:
            return _flag("data_stale", "No data submitted yet")
        return None
    days = (f.today - f.last_data).days
    if days > STALE_DAYS:
        return _flag("data_stale", f"No data for {_weeks(days)} (since {_since(f.last_data, f.today)})")
    return None


def _last_due_period(frequency: str, now: datetime, rule: deadlines.Rule) -> date:
    """The newest period whose data deadline has passed at `now`."""
    start = periods.current_start(frequency, now.date())
    while deadlines.deadline(frequency, start, rule) >= now:
        start = periods.step(frequency, start, -1)
    return start


def _late(measure: MeasureFacts, f: Facts) -> tuple[date, int] | None:
    """The first late period of a measure and how many periods are late, or None."""
    if measure.latest_period is None:
        return None  # no data at all: the stale flag speaks for it
    last_due = _last_due_period(measure.frequency, f.now, f.rule)
    first = periods.step(measure.frequency, measure.latest_period)
    if first > last_due:
        return None
    return first, len(periods.series(measure.frequency, first, last_due))


def data_late(f: Facts) -> Flag | None:
    late = [(m, found) for m in f.measures if (found := _late(m, f))]
    if not late:
        return None
    measure, (first, count) = min(late, key=lambda item: (item[1][0], item[0].name))
    due = deadlines.due_date(measure.frequency, first, f.rule)
    reason = f"{measure.name}: data for {periods.label(measure.frequency, first)} late (due {_since(due, f.today)})"
    if count > 1:
        reason += f", {count} periods missing"
    if len(late) > 1:
        reason += f"; {len(late) - 1} more measure{'s' if len(late) > 2 else ''} late"
    return _flag("data_late", reason)


def no_pdsa(f: Facts) -> Flag | None:
    if f.last_pdsa is None:
        if f.phase and f.phase >= 2:
            return _flag("no_pdsa", "No PDSA cycle logged yet")
        return None
    days = (f.today - f.last_pdsa).days
    if days > NO_PDSA_DAYS:
        return _flag("no_pdsa", f"No PDSA activity for {_weeks(days)} (since {_since(f.last_pdsa, f.today)})")
    return None


def cycle_stuck(f: Facts) -> Flag | None:
    stuck = [c for c in f.open_cycles if (f.today - c.planned_end).days > STUCK_DAYS]
    if not stuck:
        return None
    worst = min(stuck, key=lambda c: (c.planned_end, c.objective))
    days = (f.today - worst.planned_end).days
    stage = STAGE_WORDS.get(worst.status, worst.status)
    reason = f"Cycle '{worst.objective}' {stage} {duration(days)} past its planned end"
    if len(stuck) > 1:
        reason += f" ({len(stuck) - 1} more cycle{'s' if len(stuck) > 2 else ''} stuck)"
    return _flag("cycle_stuck", reason)


def no_meeting(f: Facts) -> Flag | None:
    if not f.phase:
        return None
    if f.last_meeting is None:
        return _flag("no_meeting", "No team meeting recorded")
    days = (f.today - f.last_meeting).days
    if days > NO_MEETING_DAYS:
        return _flag("no_meeting", f"No team meeting for {days} days (last {_since(f.last_meeting, f.today)})")
    return None


def concern(f: Facts) -> Flag | None:
    names = sorted(m.name for m in f.measures if m.variation == "special_cause_concern")
    if not names:
        return None
    reason = f"Special-cause concern on the latest point of {names[0]}"
    if len(names) > 1:
        reason += f" and {len(names) - 1} more measure{'s' if len(names) > 2 else ''}"
    return _flag("concern", reason)


def overrun(f: Facts) -> Flag | None:
    if not f.phase or f.phase_planned_end is None or f.phase_planned_end >= f.today:
        return None
    days = (f.today - f.phase_planned_end).days
    return _flag(
        "overrun", f"Phase {f.phase} overrun by {duration(days)} (planned end {_since(f.phase_planned_end, f.today)})"
    )


def unanswered(f: Facts) -> Flag | None:
    if not f.unanswered:
        return None
    n, oldest = len(f.unanswered), min(f.unanswered)
    days = (f.today - oldest).days
    what = "1 question" if n == 1 else f"{n} questions"
    return _flag("unanswered", f"{what} to the coach unanswered, oldest {duration(days)} ({_since(oldest, f.today)})")


def administrative(f: Facts) -> list[Flag]:
    found = []
    if not f.has_lead:
        found.append(_flag("no_lead", label("no_lead")))
    if not f.has_sponsor:
        found.append(_flag("no_sponsor", label("no_sponsor")))
    if f.has_overdue_invoice:
        found.append(_flag("overdue_invoice", label("overdue_invoice")))
    if f.nobody_registered_soon:
        found.append(_flag("no_learning_set", label("no_learning_set")))
    return found


RULES = (concern, data_stale, data_late, cycle_stuck, no_pdsa, unanswered, no_meeting, overrun)


def flags_for(f: Facts) -> list[Flag]:
    """Every flag the organisation raises, worst first."""
    found = [flag for rule in RULES if (flag := rule(f))] + administrative(f)
    return sorted(found, key=lambda flag: -flag.rank)


def worst(found: list[Flag]) -> int:
    """The rank that orders rows: the worst flag's, 0 when there is none."""
    return max((flag.rank for flag in found), default=0)
