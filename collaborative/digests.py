"""The coach's weekly digest and the national team's monthly programme summary (reminder sources).

Like the dashboards beside it, this module reads across apps (the board's flags,
data, PDSA cycles, late data), all organisations at once. Both are recorded as
deliveries at their moment, Monday 08:00 and the 1st at 08:00 UK time, with
what they say worked out then: the digest covers the seven days to that
Monday, the summary the calendar month before that 1st.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Count
from django.urls import reverse

from measures import reminders as data_reminders
from measures.models import DataPoint
from organisations.clock import london_date, month_start, week_start
from organisations.deliveries import Due, in_window
from organisations.models import Assignment, Delivery, ProgrammeRole, Role
from qi_projects.pdsa.models import Comment, PdsaCycle

from .dashboards import FLAG_LABELS, enrolment_flags
from .models import Collaborative, Enrolment, PhaseEvent, TeamMeeting

# What "changed": (model, the field that says when, how to say one, how to say n). Meetings and
# phase changes count by the day they happened, the rest by when they were recorded.
CHANGES = [
    (DataPoint, "updated_at", "figure entered or changed", "figures entered or changed"),
    (TeamMeeting, "date", "team meeting held", "team meetings held"),
    (PdsaCycle, "created_at", "PDSA cycle planned", "PDSA cycles planned"),
    (PdsaCycle, "completed_at", "PDSA cycle completed", "PDSA cycles completed"),
    (PhaseEvent, "on_date", "phase change", "phase changes"),
    (Comment, "created_at", "comment", "comments"),
]
DATE_FIELDS = {"date", "on_date"}


def _counts(organisation_ids, start: datetime, end: datetime) -> dict[int, dict[int, int]]:
    """Per organisation, how many of each of CHANGES happened between `start` and `end`."""
    counts: dict[int, dict[int, int]] = defaultdict(dict)
    for index, (model, moment, _, _) in enumerate(CHANGES):
        if moment in DATE_FIELDS:
            between = {f"{moment}__gte": london_date(start), f"{moment}__lt": london_date(end)}
        else:
            between = {f"{moment}__gte": start, f"{moment}__lt": end}
        rows = (
            model.objects.filter(organisation_id__in=organisation_ids, **between)
            .order_by()
            .values("organisation_id")
            .annotate(n=Count("pk"))
            .values_list("organisation_id", "n")
        )
        for organisation_id, n in rows:
            counts[organisation_id][index] = n
    return counts


def _say(counts: dict[int, int]) -> list[str]:
    return [f"{n} {CHANGES[i][2] if n == 1 else CHANGES[i][3]}" for i, n in sorted(counts.items()) if n]


def _flags(organisation_ids, today) -> dict[int, tuple]:
    """organisation id -> (enrolment, flag labels), by the board's rules."""
    enrolments = (
        Enrolment.objects.filter(active=True, organisation_id__in=organisation_ids)
        .with_flags(today)
        .select_related("organisation")
    )
    return {e.organisation_id: (e, [FLAG_LABELS[f] for f in enrolment_flags(e, today)]) for e in enrolments}


def _data_line(counts: dict | None) -> str | None:
    if not counts or not (counts["late"] or counts["missing"]):
        return None
    return f"Data: {counts['late']} period(s) late, {counts['missing']} missing in the last three"


def _organisation_item(enrolment, flags, changes, data) -> dict:
    organisation = enrolment.organisation
    lines = [("Flagged: " + "; ".join(flags)) if flags else "No flags"]
    lines.append(("This week: " + ", ".join(changes)) if changes else "Nothing recorded this week")
    if data:
        lines.append(data)
    return {
        "title": organisation.name,
        "url": reverse("collaborative:workspace", kwargs={"org": organisation.slug}),
        "lines": lines,
    }


def weekly_digest(now: datetime) -> list[Due]:
    """Monday 08:00 UK time: each coach's organisations, their flags and what changed in the week."""
    monday = week_start(now)
    if not in_window(monday, now):
        return []
    enrolled = Enrolment.objects.filter(active=True).values("organisation_id")
    assigned: dict[int, list[int]] = defaultdict(list)
    for user_id, organisation_id in Assignment.objects.filter(
        role=Role.COACH, organisation_id__in=enrolled, user__is_active=True
    ).values_list("user_id", "organisation_id"):
        assigned[user_id].append(organisation_id)
    every = {o for ids in assigned.values() for o in ids}
    flags = _flags(every, london_date(monday))
    changes = _counts(every, monday - timedelta(days=7), monday)
    data = data_reminders.overdue_counts(every, monday)
    day = london_date(monday)
    week_of = f"{(day - timedelta(days=7)).day} {day - timedelta(days=7):%B %Y}"
    found = []
    for coach_id, organisation_ids in sorted(assigned.items()):
        rows = sorted((flags[o] for o in organisation_ids if o in flags), key=lambda r: r[0].organisation.name)
        items = [
            _organisation_item(e, f, _say(changes.get(e.organisation_id, {})), _data_line(data.get(e.organisation_id)))
            for e, f in rows
        ]
        flagged = sum(1 for _, f in rows if f)
        found.append(
            Due(
                recipient_id=coach_id,
                kind="weekly_digest",
                about=(get_user_model(), coach_id),
                occasion=f"week:{day}",
                due_at=monday,
                subject=f"Weekly digest: {len(rows)} organisation{'s' if len(rows) != 1 else ''}, {flagged} flagged, "
                f"week of {week_of}",
                text=f"Your organisations on Monday {day.day} {day:%B %Y}: what the programme board flags for each, "
                "and what their teams recorded in the seven days before.",
                url=reverse("collaborative:portfolio"),
                items=tuple(items),
            )
        )
    return found


def _month_totals(organisation_ids, start: datetime, end: datetime) -> list[str]:
    totals: dict[int, int] = defaultdict(int)
    for counts in _counts(organisation_ids, start, end).values():
        for index, n in counts.items():
            totals[index] += n
    return _say(totals)


def _summary(collaborative, organisation_ids, first: datetime) -> dict:
    """What one collaborative's national team reads on the 1st."""
    day = london_date(first)
    last_month = (day.replace(day=1) - timedelta(days=1)).replace(day=1)
    start = month_start(first - timedelta(days=1))
    flags = _flags(organisation_ids, day)
    phases = defaultdict(int)
    for enrolment, _ in flags.values():
        phases[enrolment.current_phase] += 1
    flagged = sorted((e.organisation.name, e, f) for e, f in flags.values() if f)
    data = data_reminders.overdue_counts(organisation_ids, first)
    sent = dict(
        Delivery.objects.filter(due_at__gte=start, due_at__lt=first, organisation_id__in=organisation_ids)
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    lines = [
        f"{len(flags)} organisations enrolled: {phases[1]} in local design, {phases[2]} testing and scaling up, "
        f"{phases[3]} sustaining, {phases[None]} not started or finished.",
        f"{len(flagged)} flagged on the programme board.",
        f"In {last_month:%B %Y}: {', '.join(_month_totals(organisation_ids, start, first)) or 'nothing recorded'}.",
        f"Data: {sum(c['late'] for c in data.values())} periods late and {sum(c['missing'] for c in data.values())} "
        "missing across the last three periods of every measure.",
        f"Reminders: {sent.get('sent', 0)} sent, {sent.get('failed', 0)} failed (see the deliveries page).",
    ]
    items = [
        {
            "title": name,
            "url": reverse("collaborative:workspace", kwargs={"org": e.organisation.slug}),
            "lines": ["; ".join(f)],
        }
        for name, e, f in flagged
    ]
    return {
        "subject": f"Monthly programme summary: {last_month:%B %Y}",
        "text": "\n".join(lines),
        "url": reverse("collaborative:board"),
        "items": tuple(items),
        "occasion": f"month:{last_month:%Y-%m}",
    }


def programme_summary(now: datetime) -> list[Due]:
    """The 1st of each month, 08:00 UK time: the programme's month, for its national team."""
    first = month_start(now)
    if not in_window(first, now):
        return []
    national: dict[int, list[int]] = defaultdict(list)
    for collaborative_id, user_id in ProgrammeRole.objects.filter(role=Role.NATIONAL, user__is_active=True).values_list(
        "collaborative_id", "user_id"
    ):
        national[collaborative_id].append(user_id)
    found = []
    for collaborative in Collaborative.objects.filter(pk__in=list(national)):
        organisation_ids = list(
            Enrolment.objects.filter(collaborative=collaborative, active=True).values_list("organisation_id", flat=True)
        )
        summary = _summary(collaborative, organisation_ids, first)
        occasion = summary.pop("occasion")
        for user_id in sorted(set(national[collaborative.pk])):
            found.append(
                Due(
                    recipient_id=user_id,
                    kind="programme_summary",
                    about=(Collaborative, collaborative.pk),
                    occasion=occasion,
                    due_at=first,
                    **summary,
                )
            )
    return found
