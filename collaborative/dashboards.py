"""What the pages that read across apps show: each role's landing page and the programme's views.

The views beside this module (`collaborative/views.py`) render; the querysets and
the assembly live here, one function a page, so each page asks one place for
what it shows. These pages may read any app (they sit at the top of the import
direction, docs/architecture.md); nothing imports them back.
"""

from __future__ import annotations

from django.db.models import Count, OuterRef, Prefetch, Subquery
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from learning_sets import board as learning_set_flags
from measures.models import DataPoint, Measure
from measures.series import published
from organisations import access
from organisations.models import Assignment, AuditEvent, Organisation, Role

from .models import Enrolment, Phase, PhaseEvent, TeamMeeting

NO_MEETING_DAYS = 21

FLAG_LABELS = {
    "no_lead": "No named project lead",
    "no_sponsor": "No named executive sponsor",
    "overrun": "Phase overrunning",
    "no_meeting": f"No team meeting in {NO_MEETING_DAYS} days",
    "overdue_invoice": "Invoice overdue",
    "no_learning_set": "Nobody registered for a learning set two weeks away",
}

PHASE_CHOICES = [
    ("1", "Local design"),
    ("2", "Testing and scaling up"),
    ("3", "Sustaining"),
    ("not_started", "Not started"),
    ("done", "Completed"),
]


def role_home(user) -> str:
    """Where a user lands after signing in, by their role."""
    p = access.principal(user)
    if p.is_national:
        return reverse("collaborative:board")
    if Role.COACH in p.programme_roles or Role.EXPERT in p.programme_roles:
        return reverse("collaborative:portfolio")
    if Role.EVALUATOR in p.programme_roles:
        return reverse("collaborative:evaluation")
    if p.team_roles:
        organisation = Organisation.objects.get(pk=sorted(p.team_roles)[0])
        return reverse("collaborative:workspace", kwargs={"org": organisation.slug})
    return reverse("no_role")


def enrolment_flags(enrolment, today) -> list[str]:
    """The board's flags for one enrolment annotated by `EnrolmentQuerySet.with_flags`."""
    flags = []
    if not enrolment.has_named_lead:
        flags.append("no_lead")
    if not enrolment.has_named_sponsor:
        flags.append("no_sponsor")
    if enrolment.current_phase_planned_end and enrolment.current_phase_planned_end < today:
        flags.append("overrun")
    if enrolment.current_phase and (
        enrolment.last_meeting is None or (today - enrolment.last_meeting).days > NO_MEETING_DAYS
    ):
        flags.append("no_meeting")
    if enrolment.has_overdue_invoice:
        flags.append("overdue_invoice")
    if getattr(enrolment, "nobody_registered_soon", False):
        flags.append("no_learning_set")
    return flags


def workspace(user, organisation) -> dict:
    """The organisation's workspace: the team's landing page."""
    return {
        "organisation": organisation,
        "role_labels": sorted(Role(r).label for r in access.roles_in(user, organisation)),
        "may_view_fees": access.can(user, "view_fees", organisation),
        "may_manage_tokens": access.can(user, "manage_tokens", organisation),
    }


def _changed_since(model, moment_field):
    rows = (
        model.objects.filter(organisation=OuterRef("organisation"), **{f"{moment_field}__gt": OuterRef("last_seen")})
        .order_by()
        .values("organisation")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Subquery(rows[:1])


def portfolio(user, today) -> list[dict]:
    """A coach's organisations: where each is, what is flagged, and what changed since they last looked."""
    ids = list(access.principal(user).assigned_roles)
    last_seen = (
        AuditEvent.objects.filter(user=user, action=AuditEvent.Action.VIEW, organisation_id=OuterRef("organisation_id"))
        .order_by("-at")
        .values("at")[:1]
    )
    enrolments = (
        Enrolment.objects.filter(organisation_id__in=ids, active=True)
        .with_flags(today)
        .annotate(last_seen=Subquery(last_seen))
        .annotate(
            new_data=_changed_since(DataPoint, "updated_at"),
            new_meetings=_changed_since(TeamMeeting, "created_at"),
            new_phase_events=_changed_since(PhaseEvent, "at"),
        )
        .select_related("organisation")
        .order_by("organisation__name")
    )
    return [
        {"enrolment": e, "organisation": e.organisation, "flags": [FLAG_LABELS[f] for f in enrolment_flags(e, today)]}
        for e in enrolments
    ]


def _board_row(enrolment, today) -> dict:
    flags = enrolment_flags(enrolment, today)
    phase_list = list(enrolment.phases.all())
    finished = bool(phase_list) and all(p.actual_end for p in phase_list)
    current = next((p for p in phase_list if p.is_current), None)
    return {
        "enrolment": enrolment,
        "organisation": enrolment.organisation,
        "phases": phase_list,
        "current": current,
        "progress": current.progress(today) if current else None,
        "coaches": [a.user for a in enrolment.organisation.coach_assignments],
        "flags": [(f, FLAG_LABELS[f]) for f in flags],
        "phase_key": str(enrolment.current_phase or ("done" if finished else "not_started")),
    }


def board(user, today, filters: dict) -> dict:
    """The programme board: every visible organisation with its phase, coaches and flags, filtered."""
    coaches = Assignment.objects.filter(role=Role.COACH).select_related("user")
    enrolments = (
        Enrolment.objects.filter(active=True, organisation_id__in=access.visible_organisation_ids(user))
        .with_flags(today)
        .annotate(nobody_registered_soon=learning_set_flags.nobody_registered_soon(timezone.now()))
        .select_related("organisation", "collaborative")
        .prefetch_related(
            Prefetch("phases", queryset=Phase.objects.order_by("number")),
            Prefetch("organisation__assignments", queryset=coaches, to_attr="coach_assignments"),
        )
    )
    rows = []
    for enrolment in enrolments:
        row = _board_row(enrolment, today)
        if filters["phase"] and row["phase_key"] != filters["phase"]:
            continue
        if filters["coach"] and filters["coach"] not in {str(c.pk) for c in row["coaches"]}:
            continue
        if filters["flag"] and filters["flag"] not in dict(row["flags"]):
            continue
        rows.append(row)
    all_coaches = {a.user.pk: a.user for a in coaches}
    return {
        "rows": rows,
        "today": today,
        "phase_choices": PHASE_CHOICES,
        "coach_choices": sorted(all_coaches.values(), key=lambda u: u.display_name),
        "flag_choices": FLAG_LABELS.items(),
        "filters": filters,
        "counts": {key: sum(1 for r in rows if key in dict(r["flags"])) for key in FLAG_LABELS},
    }


# --- The evaluation area: every enrolled organisation, suppressed ---------------------


def evaluation(collaboratives, today) -> dict:
    """Where the organisations are, and each measure's latest whole-population figures, suppressed.

    The evaluation reads every enrolled organisation, but only in aggregate and
    suppressed form: a national-level path with no workspace access.
    """
    with scopes_disabled():
        enrolments = Enrolment.objects.filter(active=True, collaborative_id__in=collaboratives)
        enrolled = enrolments.values("organisation_id")
        by_phase = dict(
            enrolments.with_flags(today)
            .values_list("current_phase")
            .annotate(n=Count("pk"))
            .values_list("current_phase", "n")
        )
        latest = (
            DataPoint.objects.filter(measure=OuterRef("measure"), stratum="all")
            .order_by("-period_start")
            .values("period_start")[:1]
        )
        points = list(
            DataPoint.objects.filter(stratum="all", period_start=Subquery(latest), organisation_id__in=enrolled)
            .select_related("organisation", "measure")
            .order_by("organisation__name", "measure__code")
        )
    labels = dict(Phase.Number.choices)
    phase_rows = [(labels[n], by_phase.get(n, 0)) for n in (1, 2, 3)]
    measure_rows = []
    for p in points:
        figures = published(p.measure, p.numerator, p.denominator, p.value)
        measure_rows.append(
            {
                "organisation": p.organisation.name,
                "code": p.measure.code,
                "name": p.measure.name,
                "period": p.period_start,
                "numerator": figures.numerator_text,
                "denominator": figures.denominator_text,
                "figure": figures.figure_text,
            }
        )
    return {"phase_rows": phase_rows, "measure_rows": measure_rows}


EVALUATION_COLUMNS = [
    "organisation",
    "measure_code",
    "measure_name",
    "period_start",
    "stratum",
    "numerator",
    "denominator",
    "rate",
    "value",
]


def evaluation_rows(collaboratives):
    """The evaluation export's rows: every data point of every enrolled organisation, suppressed.

    The rate is in its measure's unit and worked out from the rounded counts;
    a value that counts people or events is rounded like a count.
    """
    yield EVALUATION_COLUMNS
    # Suppressed figures of the collaborative's organisations: the evaluation's national-level export.
    with scopes_disabled():
        enrolled = Enrolment.objects.filter(active=True, collaborative_id__in=collaboratives).values("organisation_id")
        measures = Measure.objects.filter(organisation_id__in=enrolled).in_bulk()
        points = (
            DataPoint.objects.filter(organisation_id__in=enrolled)
            .values_list(
                "organisation__name", "measure_id", "period_start", "stratum", "numerator", "denominator", "value"
            )
            .order_by("organisation__name", "measure__code", "stratum", "period_start")
            .iterator(chunk_size=5000)
        )
        for org, measure_id, period, stratum, numerator, denominator, value in points:
            measure = measures[measure_id]
            figures = published(measure, numerator, denominator, value)
            yield [org, measure.code, measure.name, period.isoformat(), stratum, *figures.cells()]
