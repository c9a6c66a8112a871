"""What the pages that read across apps show: each role's landing page and the programme's views.

The views beside this module (`collaborative/views.py`) render; the querysets and
the assembly live here, one function a page, so each page asks one place for
what it shows. These pages may read any app (they sit at the top of the import
direction, docs/architecture.md); nothing imports them back.
"""

from __future__ import annotations

from django.db.models import Count, F, Func, OuterRef, Prefetch, Q, Subquery
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from learning_sets import board as learning_set_flags
from measures import series
from measures.models import DataPoint, Measure
from measures.series import published
from organisations import access, notifications
from organisations.models import Assignment, AuditEvent, Membership, Organisation, Role
from qi_projects.models import ChangeTheory, FocusPopulation, ImprovementProject, Stage
from qi_projects.pdsa import progress
from qi_projects.pdsa.models import PdsaCycle

from . import phases, tiles
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
        first = sorted(p.team_roles)[0]
        organisation = Organisation.objects.get(pk=first)
        # An executive sponsor and nothing else there: their own one-page summary.
        name = "collaborative:sponsor" if p.team_roles[first] == {Role.SPONSOR} else "collaborative:workspace"
        return reverse(name, kwargs={"org": organisation.slug})
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


def workspace(user, organisation, today=None) -> dict:
    """The organisation's dashboard: are we improving, and is the gap closing? One call, a fixed number of queries."""
    today = today or timezone.localdate()
    # The team's size and the person's unread feedback ride on the project's row: two queries fewer.
    project = (
        ImprovementProject.objects.filter(organisation=organisation)
        .select_related("change_theory")
        .annotate(
            team_size=_scalar_count(Membership.objects.filter(organisation=organisation)),
            unread=_scalar_count(notifications.unread(user, organisation=organisation)),
        )
        .order_by("created_at", "pk")
        .first()
    )
    measures = list(
        Measure.objects.filter(organisation=organisation).select_related("chart_settings").order_by("kind", "code")
    )
    versions = series.data_versions(measures)
    charts = series.cached_charts(measures, versions=versions)
    pdsa = pdsa_activity(project)
    ideas = _idea_stages(project)
    phase = workspace_phase(organisation, today)
    rule = _data_rule(organisation, phase)
    measures_tile = tiles.cached(
        tiles.key("workspace-measures", organisation.pk, today, tiles.measure_versions(measures, versions), rule),
        lambda: _measures_tile(organisation, measures, charts, today, rule),
    )
    return {
        "organisation": organisation,
        "today": today,
        "role_labels": sorted(Role(r).label for r in access.roles_in(user, organisation)),
        "may_view_fees": access.can(user, "view_fees", organisation),
        "may_manage_tokens": access.can(user, "manage_tokens", organisation),
        "can_log": access.can(user, "log_work", organisation),
        "project": project,
        "phase": phase,
        "waiting": waiting_cycles(organisation, today),
        "tiles_html": measures_tile["html"],
        "data_runs_to": measures_tile["data_runs_to"],
        "gaps": gap_headlines(project, measures, versions) if project else [],
        "pdsa": pdsa,
        "ideas": [(label, ideas.get(value, 0)) for value, label in Stage.choices],
        "progress": progress.progress(
            project,
            measures=measures,
            results=charts,
            cycles=pdsa["counts"],
            ideas_by_stage=ideas,
            team_size=project.team_size,
        )
        if project
        else None,
        "meetings": meeting_cadence(organisation, today),
        "unread": project.unread if project else notifications.unread_count(user, organisation=organisation),
        "learning_set": next_learning_set(organisation),
    }


def _data_rule(organisation, phase):
    """The collaborative's data submission rule, from the enrolment the phases were read with (no query then)."""
    from measures import reminders as data_reminders

    current = (phase or {}).get("current") or next(iter((phase or {}).get("phases") or []), None)
    if current is not None:
        return data_reminders.rule_of(current.enrolment.collaborative)
    return data_reminders.rule_for(organisation)


def _measures_tile(organisation, measures, charts, today, rule) -> dict:
    """The small multiples with their data status, rendered: what `tiles.cached` keeps per data version."""
    tile_list = [measure_tile(m, charts.get(m.pk)) for m in measures]
    statuses = data_status(organisation, measures, today, charts, rule=rule)
    for tile in tile_list:
        tile["status"] = statuses.get(tile["measure"].pk, [])
    ends = [t["period"] for t in tile_list if t["period"]]
    html = (
        tiles.render("collaborative/_measure_tiles.html", {"organisation": organisation, "tiles": tile_list})
        if tile_list
        else ""
    )
    return {"html": html, "data_runs_to": max(ends) if ends else None}


def _scalar_count(queryset):
    """COUNT(*) of `queryset` as a subquery for an annotation."""
    return Subquery(queryset.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")[:1])


STATUS_TAGS = {"submitted": "green", "due": "grey", "late": "orange", "missing": "red"}


def data_status(organisation, measures, today, charts=None, rule=None) -> dict[int, list[dict]]:
    """measure id -> where its last three ended periods stand (submitted, due, late, missing), oldest first.

    Read from the whole-population series already charted (`charts`, measure id -> ChartResult), so the only
    query is the collaborative's data rule.
    """
    from datetime import time

    from measures import deadlines
    from measures import reminders as data_reminders
    from organisations.clock import london

    if not measures:
        return {}
    charts = charts if charts is not None else series.cached_charts(measures)
    rule = rule or data_reminders.rule_for(organisation)
    now = timezone.now() if today == timezone.localdate() else london(today, time(12))
    statuses = {}
    for measure in measures:
        result = charts.get(measure.pk)
        submitted = (
            {d for d, v in zip(result.series.periods, result.series.figures, strict=True) if v is not None}
            if result
            else set()
        )
        statuses[measure.pk] = [
            {"label": label, "status": status, "text": deadlines.STATUS_LABELS[status], "tag": STATUS_TAGS[status]}
            for _, label, status, _ in deadlines.recent(measure.frequency, submitted=submitted, now=now, rule=rule)
        ]
    return statuses


def workspace_phase(organisation, today) -> dict | None:
    """The current phase, how far through it the organisation is, and the current gate's items."""
    phase_list = list(
        Phase.objects.filter(organisation=organisation, enrolment__active=True)
        .select_related("enrolment__collaborative")
        .order_by("number")
    )
    current = next((p for p in phase_list if p.is_current), None)
    if current is None:
        finished = bool(phase_list) and all(p.actual_end for p in phase_list)
        return {"current": None, "finished": finished, "phases": phase_list}
    current.organisation = organisation
    return {
        "current": current,
        "phases": phase_list,
        "progress": current.progress(today),
        "overrun_days": max((today - current.planned_end).days, 0),
        "gate": phases.cached_gate_status(current),
    }


def waiting_cycles(organisation, today, limit: int = 6) -> list[dict]:
    """Open cycles whose next stage is due, soonest first, with the link to that stage."""
    Status = PdsaCycle.Status
    due = (
        Q(status=Status.PLANNED, planned_start__lte=today)
        | Q(status=Status.DOING, planned_end__lte=today)
        | Q(status=Status.DOING, actual_end__isnull=False)
        | Q(status=Status.STUDYING)
    )
    cycles = (
        PdsaCycle.objects.filter(due, organisation=organisation)
        .select_related("change_idea")
        .order_by("planned_end", "pk")[:limit]
    )
    rows = []
    for cycle in cycles:
        if cycle.status == Status.PLANNED:
            action, name, since = "Record Do", "pdsa:pdsa_do", cycle.planned_start
        elif cycle.status == Status.DOING and cycle.actual_end:
            action, name, since = "Record Study", "pdsa:pdsa_study", cycle.actual_end
        elif cycle.status == Status.DOING:
            action, name, since = "Record the end of Do", "pdsa:pdsa_do", cycle.planned_end
        else:
            action, name, since = "Decide: adopt, adapt or abandon", "pdsa:pdsa_act", cycle.planned_end
        url = reverse(name, kwargs={"org": organisation.slug, "pk": cycle.pk})
        rows.append({"cycle": cycle, "action": action, "url": url, "days": max((today - since).days, 0)})
    return rows


def sparkline(values: list, width: int = 120, height: int = 32) -> str:
    """The SVG polyline points of a sparkline (gaps skipped), scaled into width x height."""
    present = [v for v in values if v is not None]
    if len(present) < 2:
        return ""
    low, high = min(present), max(present)
    span = (high - low) or 1
    step = width / max(len(values) - 1, 1)
    return " ".join(
        f"{i * step:.1f},{height - 2 - (v - low) / span * (height - 4):.1f}"
        for i, v in enumerate(values)
        if v is not None
    )


def _shown(value, result) -> str:
    return "" if value is None else f"{round(value * result.scale, 1):g}{result.unit}"


def measure_tile(measure, result) -> dict:
    """A small multiple: sparkline, icons and latest value of a measure's whole-population chart."""
    tile = {"measure": measure, "result": result, "period": None, "latest": "", "points": "", "low": "", "high": ""}
    if result is None:
        return tile
    figures = result.series.figures[-24:]
    present = [(d, v) for d, v in zip(result.series.periods, result.series.figures, strict=True) if v is not None]
    if present:
        tile["period"], latest = present[-1]
        tile["latest"] = _shown(latest, result)
        shown = [v for v in figures if v is not None]
        tile["low"], tile["high"] = _shown(min(shown), result), _shown(max(shown), result)
    tile["points"] = sparkline(figures)
    tile["periods_shown"] = sum(v is not None for v in figures)
    return tile


def gap_headlines(project, measures, versions=None) -> list[dict]:
    """Per focus population: the latest gap on each measure of its dimension, and what the SPC says of it."""
    populations = list(FocusPopulation.objects.filter(project=project).order_by("pk"))
    pairs = []
    for population in populations:
        for measure in measures:
            if not (measure.dimension and measure.reference_category and measure.project_id == project.pk):
                continue
            focus = next((g for g in population.groups or [] if g.split(":", 1)[0] == measure.dimension), None)
            if focus:
                pairs.append((population, measure, focus, f"{measure.dimension}:{measure.reference_category}"))
    gaps = series.cached_gaps([(m, f, r) for _, m, f, r in pairs], versions=versions)
    rows = []
    for population, measure, focus, reference in pairs:
        gap = gaps.get((measure.pk, focus, reference))
        latest = next((d for d in reversed(gap.difference) if d is not None), None) if gap else None
        text = (
            ""
            if latest is None
            else f"{round(latest * series.scale_and_unit(measure)[0], 1):g} {series.gap_unit(measure)}"
        )
        rows.append({"population": population, "measure": measure, "gap": gap, "latest": text})
    return rows


def pdsa_activity(project) -> dict:
    """The project's cycles by stage (with the counts the progress score needs) and its latest decisions."""
    if project is None:
        return {"by_stage": [], "decisions": [], "counts": {}}
    Status = PdsaCycle.Status
    counts = PdsaCycle.objects.filter(project=project).aggregate(
        started=Count("pk"),
        completed=Count("pk", filter=Q(status=Status.COMPLETED)),
        ideas_tested=Count("change_idea", filter=Q(status=Status.COMPLETED), distinct=True),
        **{f"n_{s}": Count("pk", filter=Q(status=s)) for s in Status.values},
    )
    decisions = list(
        PdsaCycle.objects.filter(project=project, status=Status.COMPLETED)
        .select_related("change_idea")
        .order_by("-completed_at", "-pk")[:3]
    )
    return {
        "by_stage": [(label, counts[f"n_{value}"]) for value, label in Status.choices],
        "decisions": decisions,
        "counts": counts,
    }


def _idea_stages(project) -> dict[str, int]:
    if project is None:
        return {}
    try:
        return progress.idea_stages(project.change_theory)
    except ChangeTheory.DoesNotExist:
        return {}


def meeting_cadence(organisation, today) -> dict:
    dates = list(TeamMeeting.objects.filter(organisation=organisation).values_list("date", flat=True)[:6])
    gaps = [(a - b).days for a, b in zip(dates, dates[1:], strict=False)]
    return {
        "last": dates[0] if dates else None,
        "days_since": (today - dates[0]).days if dates else None,
        "every": round(sum(gaps) / len(gaps)) if gaps else None,
        "overdue": not dates or (today - dates[0]).days > NO_MEETING_DAYS,
    }


def next_learning_set(organisation):
    from learning_sets.models import LearningSet

    enrolled = Enrolment.objects.filter(organisation=organisation, active=True).values("collaborative_id")
    return (
        LearningSet.objects.filter(
            collaborative_id__in=enrolled, status=LearningSet.Status.PUBLISHED, starts_at__gte=timezone.now()
        )
        .order_by("starts_at")
        .first()
    )


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
