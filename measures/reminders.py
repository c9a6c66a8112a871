"""Data submission reminders, and where each measure's recent periods stand.

The arithmetic is in `measures.deadlines` (no Django); this module reads the
collaborative's rule, the measures and which periods have a whole-population
figure, all organisations at once (a fixed number of queries however many
there are). One reminder per organisation and moment lists every measure due
or late then, so a lead with ten monthly measures gets one email on the 10th,
not ten. Registered as the `data_due` reminder source in MeasuresConfig.ready.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from django.urls import reverse

from collaborative.models import Collaborative, Enrolment
from organisations.clock import london_date
from organisations.deliveries import CATCH_UP, Due, in_window
from organisations.models import Membership, Organisation, Role

from . import deadlines, periods
from .models import DataPoint, Measure

RECIPIENT_ROLES = [Role.LEAD, Role.DATA_CHAMPION]


def rule_of(collaborative: Collaborative | None) -> deadlines.Rule:
    if collaborative is None:
        return deadlines.Rule()
    return deadlines.Rule(
        monthly_day=collaborative.monthly_data_due_day,
        weekly_days=collaborative.weekly_data_due_days,
        quarterly_days=collaborative.quarterly_data_due_days,
        at=collaborative.data_due_time,
    )


def rule_for(organisation) -> deadlines.Rule:
    """The data rule of the collaborative the organisation is enrolled in now."""
    return rule_of(Collaborative.for_organisation(organisation))


def _enrolled() -> dict[int, tuple[int, object]]:
    """organisation id -> (collaborative id, enrolment start) of each active enrolment (the latest)."""
    rows = Enrolment.objects.filter(active=True).order_by("start_date")
    rows = rows.values_list("organisation_id", "collaborative_id", "start_date")
    return {organisation: (collaborative, start) for organisation, collaborative, start in rows}


def _rules(collaborative_ids) -> dict[int, deadlines.Rule]:
    return {c.pk: rule_of(c) for c in Collaborative.objects.filter(pk__in=set(collaborative_ids))}


def _watched(measures, enrolled, rules, now, back) -> list[tuple]:
    """(measure, period start, rule) for each period with a reminder or status worth reading at `now`."""
    cache: dict = {}
    watched = []
    for measure in measures:
        collaborative_id, started = enrolled[measure["organisation_id"]]
        rule = rules[collaborative_id]
        key = (measure["frequency"], rule)
        if key not in cache:
            cache[key] = periods_for(measure["frequency"], now, rule, back)
        for start in cache[key]:
            deadline = deadlines.deadline(measure["frequency"], start, rule)
            # Chase only periods due since the measure was defined and the organisation enrolled.
            if deadline >= measure["created_at"] and london_date(deadline) >= started:
                watched.append((measure, start, rule))
    return watched


def periods_for(frequency, now, rule, back) -> list:
    if back is None:  # the last three ended periods, for statuses
        return [row[0] for row in deadlines.recent(frequency, submitted=set(), now=now, rule=rule)]
    return deadlines.periods_to_watch(frequency, now, rule, back=back)


def _submitted(watched) -> set[tuple[int, object]]:
    if not watched:
        return set()
    points = DataPoint.objects.filter(
        measure_id__in={m["pk"] for m, _, _ in watched}, period_start__in={s for _, s, _ in watched}, stratum="all"
    )
    return set(points.values_list("measure_id", "period_start"))


def _measures(organisation_ids):
    fields = ("pk", "organisation_id", "code", "name", "frequency", "created_at")
    return list(Measure.objects.filter(organisation_id__in=organisation_ids).values(*fields))


def data_due(now: datetime) -> list[Due]:
    """The data reminders due at `now`: 5 days before, on the day, weekly while late; one per organisation
    and moment, to its project leads and data champions, listing every measure and period concerned."""
    enrolled = _enrolled()
    rules = _rules(c for c, _ in enrolled.values())
    watched = _watched(_measures(list(enrolled)), enrolled, rules, now, CATCH_UP)
    submitted = _submitted(watched)
    groups: dict[tuple[int, datetime], list] = defaultdict(list)
    for measure, start, rule in watched:
        if (measure["pk"], start) in submitted:
            continue
        for step, at in deadlines.reminders(measure["frequency"], start, rule):
            if in_window(at, now):
                groups[(measure["organisation_id"], at)].append((step, measure, start, rule))
    people: dict[int, set[int]] = defaultdict(set)
    rows = Membership.objects.filter(
        organisation_id__in={org for org, _ in groups}, role__in=RECIPIENT_ROLES, user__is_active=True
    )
    for organisation_id, user_id in rows.values_list("organisation_id", "user_id"):
        people[organisation_id].add(user_id)
    slugs = dict(Organisation.objects.filter(pk__in={org for org, _ in groups}).values_list("pk", "slug"))
    found = []
    for (organisation_id, at), entries in sorted(groups.items(), key=lambda kv: kv[0][1]):
        message = _message(slugs[organisation_id], entries)
        for user_id in sorted(people.get(organisation_id, ())):
            found.append(
                Due(
                    recipient_id=user_id,
                    kind="data_due",
                    about=(Organisation, organisation_id),
                    occasion=f"data:{at:%Y-%m-%dT%H:%MZ}",
                    due_at=at,
                    organisation_id=organisation_id,
                    **message,
                )
            )
    return found


HEADINGS = {"before": "Due in 5 days", "day": "Due today"}


def _message(slug: str, entries: list) -> dict:
    """Subject, text, link and one item per measure-period for one organisation's reminder."""
    steps = {step for step, *_ in entries}
    n = len(entries)
    what = f"{n} measure{'s' if n != 1 else ''}"
    if any(s.startswith("late") for s in steps):
        subject = f"Data late: {what} to submit"
    elif "day" in steps:
        subject = f"Data due today: {what}"
    else:
        subject = f"Data due in {deadlines.BEFORE_DAYS} days: {what}"
    items = []
    for step, measure, start, rule in sorted(entries, key=lambda e: (e[2], e[1]["code"])):
        due = deadlines.due_date(measure["frequency"], start, rule)
        when = HEADINGS.get(step) or f"Late by {int(step[4:])} week{'s' if step != 'late1' else ''}"
        items.append(
            {
                "title": f"{measure['code']} {measure['name']}: {periods.long_label(measure['frequency'], start)}",
                "url": reverse("measures:measure_grid", kwargs={"org": slug, "pk": measure["pk"]}),
                "lines": [f"{when}: due {due:%A} {due.day} {due:%B %Y} by {rule.at:%H:%M} UK time."],
            }
        )
    text = (
        "The whole-population figures for these periods are not in yet. Enter them on each measure's data "
        "page, or import a file from the data overview."
    )
    return {
        "subject": subject,
        "text": text,
        "url": reverse("measures:data_overview", kwargs={"org": slug}),
        "items": tuple(items),
    }


def overdue_counts(organisation_ids, now: datetime) -> dict[int, dict[str, int]]:
    """Per organisation, how many of its measures' last three ended periods are late and missing."""
    enrolled = {k: v for k, v in _enrolled().items() if k in set(organisation_ids)}
    rules = _rules(c for c, _ in enrolled.values())
    watched = _watched(_measures(list(enrolled)), enrolled, rules, now, None)
    submitted = _submitted(watched)
    counts: dict[int, dict[str, int]] = defaultdict(lambda: {deadlines.LATE: 0, deadlines.MISSING: 0})
    for measure, start, rule in watched:
        state = deadlines.status(
            measure["frequency"], start, submitted=(measure["pk"], start) in submitted, now=now, rule=rule
        )
        if state in (deadlines.LATE, deadlines.MISSING):
            counts[measure["organisation_id"]][state] += 1
    return dict(counts)
