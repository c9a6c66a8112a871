"""What the pages that read across apps show: each role's landing page and the programme's views.

The views beside this module (`collaborative/views.py`) render; the querysets and
the assembly live here, one function a page, so each page asks one place for
what it shows. These pages may read any app (they sit at the top of the import
direction, docs/architecture.md); nothing imports them back.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

from django.db.models import Count, Exists, F, Func, Max, OuterRef, Prefetch, Q, Subquery
from django.urls import reverse
from django.utils import timezone

from learning_sets import board as learning_set_flags
from measures import series
from measures.models import DataPoint, Measure
from measures.reminders import rule_of
from organisations import access, notifications
from organisations.models import Assignment, AuditEvent, Membership, Notification, Organisation, Role
from qi_projects.models import ChangeTheory, ChangeTheoryElement, FocusPopulation, ImprovementProject, Kind, Stage
from qi_projects.pdsa import progress, scoring
from qi_projects.pdsa.models import Comment, PdsaCycle, ProgressScore

from . import flags, phases, registry, signals, summary_cache, tiles
from .models import CoachingSession, Enrolment, Phase, PhaseEvent, PortfolioVisit, TeamMeeting

NO_MEETING_DAYS = flags.NO_MEETING_DAYS

# The administrative flags the weekly digest lists (collaborative/digests.py); the pages use collaborative/flags.py.
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
        return reverse("evaluation:home")
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
        "notices": [n for _, notices in registry.workspace_notices.items() for n in notices(user, organisation, today)],
        "may_view_fees": access.can(user, "view_fees", organisation),
        "may_manage_tokens": access.can(user, "manage_tokens", organisation),
        "can_log": access.can(user, "log_work", organisation),
        "project": project,
        "phase": phase,
        "waiting": waiting_cycles(organisation, today),
        "tiles_html": measures_tile["html"],
        "data_runs_to": measures_tile["data_runs_to"],
        "gaps": gaps_by_population(gap_headlines(project, measures, versions)) if project else [],
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
    rows, seen = [], {}
    for population, measure, focus, reference in pairs:
        gap = gaps.get((measure.pk, focus, reference))
        latest = next((d for d in reversed(gap.difference) if d is not None), None) if gap else None
        text = (
            ""
            if latest is None
            else f"{round(latest * series.scale_and_unit(measure)[0], 1):g} {series.gap_unit(measure)}"
        )
        row = {"population": population, "measure": measure, "gap": gap, "latest": text}
        row.update(gap_chart(gap, measure))
        # Data is split by one characteristic at a time, so two populations whose groups start with the same
        # category on this measure's dimension compare the same two groups: say so rather than repeat it.
        first = seen.setdefault((measure.pk, focus, reference), population)
        row["same_as"] = None if first is population else first
        rows.append(row)
    return rows


def gaps_by_population(rows) -> list[dict]:
    """The gap headlines per focus population; the comparisons an earlier population already shows are named, not
    repeated (`same_as`: the earlier population -> the measures it shares)."""
    groups: dict[int, dict] = {}
    for row in rows:
        group = groups.setdefault(row["population"].pk, {"population": row["population"], "rows": [], "same_as": {}})
        if row["same_as"] is None:
            group["rows"].append(row)
        else:
            group["same_as"].setdefault(row["same_as"], []).append(row)
    for group in groups.values():
        group["same_as"] = list(group["same_as"].items())
    return list(groups.values())


GAP_PERIODS = 24


def gap_chart(gap, measure, width: int = 120, height: int = 32) -> dict:
    """A gap's last periods as a small SVG line (with the no-gap line where it falls) and the figures beside it."""
    if gap is None:
        return {"gap_points": "", "gap_zero": None, "gap_figures": [], "gap_text": ""}
    figures = series.gap_rows(gap, measure)[-GAP_PERIODS:]
    values = gap.difference[-GAP_PERIODS:]
    present = [v for v in values if v is not None]
    zero = None
    if len(present) >= 2:
        low, high = min(present), max(present)
        if low <= 0 <= high:
            zero = round(height - 2 - (0 - low) / ((high - low) or 1) * (height - 4), 1)
    shown = [f for f in figures if f["difference"] is not None]
    unit = series.gap_unit(measure)
    first, last = (shown[0], shown[-1]) if shown else ({}, {})
    text = (
        f"Gap over the last {len(shown)} period{'s' if len(shown) != 1 else ''}: from "
        f"{round(first['difference'], 1):g} ({first['period']}) to {round(last['difference'], 1):g} {unit} "
        f"({last['period']})"
        if shown
        else ""
    )
    return {"gap_points": sparkline(values, width, height), "gap_zero": zero, "gap_figures": figures, "gap_text": text}


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


# --- Flags, the coach portfolio and the programme board ----------------------------
#
# Both pages show many organisations at once, so they gather every organisation's facts
# together: one annotated enrolment query, then one query each for the measures, the
# open cycles past their planned end, the unanswered questions and the progress scores,
# whatever the number of organisations. The rules themselves are in collaborative/flags.py.


def _latest(model, field_name, **filters):
    """The organisation's latest `field_name` on `model`, as a subquery for an enrolment annotation."""
    rows = (
        model.objects.filter(organisation=OuterRef("organisation"), **filters)
        .order_by()
        .values("organisation")
        .annotate(last=Max(field_name))
        .values("last")
    )
    return Subquery(rows[:1])


def _enrolments(ids, today, now):
    return (
        Enrolment.objects.filter(active=True, organisation_id__in=ids)
        .with_flags(today)
        .annotate(
            nobody_registered_soon=learning_set_flags.nobody_registered_soon(now),
            last_pdsa_at=_latest(PdsaCycle, "updated_at"),
            last_coaching=_latest(CoachingSession, "date"),
        )
        .select_related("organisation", "collaborative")
        .prefetch_related(Prefetch("phases", queryset=Phase.objects.order_by("number")))
    )


def _measures(ids) -> tuple[dict[int, list], dict, dict]:
    """organisation id -> its measures; measure id -> its chart's cached Signal; organisation id -> the
    moment a figure was last entered or changed. Two queries at most (the data versions, and the points of
    charts not cached)."""
    measures = list(
        Measure.objects.filter(organisation_id__in=ids).select_related("chart_settings").order_by("kind", "code", "pk")
    )
    versions = series.data_versions(measures)
    by_org, last_data = defaultdict(list), {}
    for measure in measures:
        by_org[measure.organisation_id].append(measure)
        if measure.pk in versions:
            # A data version is "<points>.<latest updated_at as a POSIX timestamp>" (series.data_versions).
            moment = datetime.fromtimestamp(float(versions[measure.pk].split(".", 1)[1]), tz=UTC)
            last_data[measure.organisation_id] = max(moment, last_data.get(measure.organisation_id, moment))
    return by_org, signals.cached_signals(measures, versions), last_data


def _open_cycles_past_end(ids, today) -> dict[int, list[flags.CycleFacts]]:
    rows = (
        PdsaCycle.objects.open()
        .filter(organisation_id__in=ids, planned_end__lt=today - timedelta(days=flags.STUCK_DAYS))
        .values_list("organisation_id", "objective", "status", "planned_end")
    )
    found = defaultdict(list)
    for organisation_id, objective, status, planned_end in rows:
        found[organisation_id].append(flags.CycleFacts(objective, status, planned_end))
    return found


def _unanswered(ids) -> dict[int, list]:
    """organisation id -> the days of comments that @mention an assigned coach or expert, unanswered by them."""
    staff = Assignment.objects.filter(organisation=OuterRef("organisation"), role__in=[Role.COACH, Role.EXPERT])
    mentions = Notification.objects.filter(
        kind="mention",
        about_type__app_label="pdsa",
        about_type__model="comment",
        about_id=OuterRef("pk"),
        recipient_id__in=staff.values("user_id"),
    )
    replies = Comment.objects.filter(
        Q(cycle_id=OuterRef("cycle_id")) | Q(change_idea_id=OuterRef("change_idea_id")),
        organisation=OuterRef("organisation"),
        created_at__gt=OuterRef("created_at"),
        author_id__in=staff.values("user_id"),
    )
    rows = (
        Comment.objects.filter(Exists(mentions), organisation_id__in=ids)
        .exclude(author_id__in=staff.values("user_id"))
        .exclude(Exists(replies))
        .values_list("organisation_id", "created_at")
    )
    found = defaultdict(list)
    for organisation_id, created_at in rows:
        found[organisation_id].append(timezone.localtime(created_at).date())
    return found


def _progress_scores(ids, measures_by_org, charts) -> tuple[dict[int, object], dict[int, dict]]:
    """organisation id -> its project's progress score (the latest override, else the suggestion),
    and organisation id -> its project's cycle counts."""
    override = ProgressScore.objects.filter(project=OuterRef("pk")).order_by("-at", "-pk").values("score")[:1]
    projects = {}
    rows = (
        ImprovementProject.objects.filter(organisation_id__in=ids)
        .select_related("change_theory")
        .annotate(
            override=Subquery(override),
            team_size=_scalar_count(Membership.objects.filter(organisation=OuterRef("organisation"))),
        )
        .order_by("created_at", "pk")
    )
    for project in rows:
        projects.setdefault(project.organisation_id, project)
    pks = [p.pk for p in projects.values()]
    Status = PdsaCycle.Status
    counts = {
        row.pop("project_id"): row
        for row in PdsaCycle.objects.filter(project_id__in=pks)
        .order_by()
        .values("project_id")
        .annotate(
            started=Count("pk"),
            completed=Count("pk", filter=Q(status=Status.COMPLETED)),
            ideas_tested=Count("change_idea", filter=Q(status=Status.COMPLETED), distinct=True),
            open=Count("pk", filter=~Q(status=Status.COMPLETED)),
        )
    }
    stages = defaultdict(dict)
    ideas = ChangeTheoryElement.objects.filter(kind=Kind.CHANGE_IDEA, removed_at=None, diagram__project_id__in=pks)
    for project_id, stage, n in ideas.order_by().values_list("diagram__project_id", "stage").annotate(n=Count("pk")):
        stages[project_id][stage] = n
    scores = {}
    for organisation_id, project in projects.items():
        if project.override is not None:
            scores[organisation_id] = project.override
            continue
        state = progress.project_state(
            project,
            measures=measures_by_org.get(organisation_id, []),
            results=charts,
            cycles=counts.get(project.pk, {"started": 0, "completed": 0, "ideas_tested": 0}),
            ideas_by_stage=stages.get(project.pk, {}),
            team_size=project.team_size,
        )
        scores[organisation_id] = scoring.suggest(state).score
    return scores, {org: counts[p.pk] for org, p in projects.items() if p.pk in counts}


def _local_day(moment):
    return timezone.localtime(moment).date() if moment else None


def _facts(enrolment, current, measures, charts, extra, today, now) -> flags.Facts:
    return flags.Facts(
        today=today,
        now=now,
        phase=current.number if current else None,
        phase_planned_end=current.planned_end if current else None,
        has_lead=enrolment.has_named_lead,
        has_sponsor=enrolment.has_named_sponsor,
        has_overdue_invoice=enrolment.has_overdue_invoice,
        nobody_registered_soon=enrolment.nobody_registered_soon,
        last_data=_local_day(extra["last_data"].get(enrolment.organisation_id)),
        last_pdsa=_local_day(enrolment.last_pdsa_at),
        last_meeting=enrolment.last_meeting,
        measures=[
            flags.MeasureFacts(
                m.name,
                m.frequency,
                getattr(charts.get(m.pk), "latest_period", None),
                getattr(charts.get(m.pk), "variation", None),
            )
            for m in measures
        ],
        open_cycles=extra["cycles"].get(enrolment.organisation_id, []),
        unanswered=extra["questions"].get(enrolment.organisation_id, []),
        rule=rule_of(enrolment.collaborative),
    )


def summaries(enrolments, today, now=None) -> list[dict]:
    """Each enrolment's phase, measures with their cached charts, progress score and flags (worst first).

    A fixed number of queries for any number of organisations."""
    now = now or timezone.now()
    enrolments = list(enrolments)
    ids = [e.organisation_id for e in enrolments]
    # What the rows read of the measures, cycles, comments and scores is kept under a fingerprint of all of
    # it (collaborative/summary_cache.py); what moves with the hour is read live with the enrolments.
    key, measures = summary_cache.fingerprint(ids, today)
    parts = summary_cache.cached(key, lambda: _summary_parts(ids, today))
    charts, last_data, scores, cycles = parts["charts"], parts["last_data"], parts["scores"], parts["cycles"]
    extra = {"cycles": parts["stuck"], "questions": parts["questions"], "last_data": last_data}
    rows = []
    for enrolment in enrolments:
        phase_list = list(enrolment.phases.all())
        current = next((p for p in phase_list if p.is_current), None)
        own = measures.get(enrolment.organisation_id, [])
        found = flags.flags_for(_facts(enrolment, current, own, charts, extra, today, now))
        finished = bool(phase_list) and all(p.actual_end for p in phase_list)
        rows.append(
            {
                "enrolment": enrolment,
                "organisation": enrolment.organisation,
                "phases": phase_list,
                "current": current,
                "progress": current.progress(today) if current else None,
                "overrun_days": max((today - current.planned_end).days, 0) if current else 0,
                "phase_key": str(current.number if current else ("done" if finished else "not_started")),
                "measures": [(m, charts.get(m.pk)) for m in own],
                "days_since_data": _days(today, _local_day(last_data.get(enrolment.organisation_id))),
                "last_data": _local_day(last_data.get(enrolment.organisation_id)),
                "last_pdsa": _local_day(enrolment.last_pdsa_at),
                "last_meeting": enrolment.last_meeting,
                "last_coaching": enrolment.last_coaching,
                "score": scores.get(enrolment.organisation_id),
                "cycles": cycles.get(enrolment.organisation_id, {"started": 0, "completed": 0, "open": 0}),
                "flags": found,
                "flag_keys": {f.key for f in found},
                "worst": flags.worst(found),
                "summary_key": key,
            }
        )
    return rows


def _summary_parts(ids, today) -> dict:
    """What `summaries` keeps in the shared cache: the measures' signals (without their recent points, which
    only the progress score reads), when each organisation's figures last changed, its cycles stuck past their
    planned end, its unanswered questions, its progress score and its cycle counts."""
    from dataclasses import replace

    measures, charts, last_data = _measures(ids)
    scores, cycles = _progress_scores(ids, measures, charts)
    return {
        "charts": {pk: replace(signal, chart=None) for pk, signal in charts.items()},
        "last_data": last_data,
        "stuck": dict(_open_cycles_past_end(ids, today)),
        "questions": dict(_unanswered(ids)),
        "scores": scores,
        "cycles": cycles,
    }


def _days(today, day):
    return (today - day).days if day else None


# "Since you last looked": what changed in each organisation after the coach's previous visit.
# New PDSA cycles are those created since; stage changes are older cycles saved since (a cycle
# is saved when it moves on a stage or is edited: the model keeps no per-stage history).
SINCE_LABELS = [
    ("new_figures", "new or changed figure", "new or changed figures"),
    ("new_cycles", "new PDSA cycle", "new PDSA cycles"),
    ("moved_cycles", "PDSA cycle moved on", "PDSA cycles moved on"),
    ("new_comments", "comment", "comments"),
    ("new_phase_events", "phase change", "phase changes"),
]


def record_visit(user, ids, now) -> None:
    """Start a portfolio visit: each organisation's baseline becomes the previous visit, or the coach's later
    look at its own pages. Within `PortfolioVisit.SAME_VISIT` of the last one, nothing changes."""
    visits = {v.organisation_id: v for v in PortfolioVisit.objects.filter(user=user, organisation_id__in=ids)}
    viewed = dict(
        AuditEvent.objects.filter(user=user, action=AuditEvent.Action.VIEW, organisation_id__in=ids)
        .order_by()
        .values_list("organisation_id")
        .annotate(last=Max("at"))
        .values_list("organisation_id", "last")
    )
    changed = []
    for organisation_id in ids:
        visit = visits.get(organisation_id)
        if visit is not None and now - visit.visited_at < PortfolioVisit.SAME_VISIT:
            continue
        looked = [t for t in (visit.visited_at if visit else None, viewed.get(organisation_id)) if t]
        changed.append(
            PortfolioVisit(
                user=user, organisation_id=organisation_id, visited_at=now, baseline=max(looked) if looked else None
            )
        )
    if changed:
        PortfolioVisit.objects.bulk_create(
            changed,
            update_conflicts=True,
            unique_fields=["user", "organisation"],
            update_fields=["visited_at", "baseline"],
        )


def _changed_since(model, moment_field, **filters):
    rows = (
        model.objects.filter(
            organisation=OuterRef("organisation"), **{f"{moment_field}__gt": OuterRef("last_seen")}, **filters
        )
        .order_by()
        .values("organisation")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Subquery(rows[:1])


def _since_counts(user, ids) -> dict[int, dict]:
    baseline = PortfolioVisit.objects.filter(user=user, organisation=OuterRef("organisation")).values("baseline")[:1]
    rows = (
        Enrolment.objects.filter(active=True, organisation_id__in=ids)
        .annotate(last_seen=Subquery(baseline))
        .annotate(
            new_figures=_changed_since(DataPoint, "updated_at"),
            new_cycles=_changed_since(PdsaCycle, "created_at"),
            moved_cycles=_changed_since(PdsaCycle, "updated_at", created_at__lte=OuterRef("last_seen")),
            new_comments=_changed_since(Comment, "created_at"),
            new_phase_events=_changed_since(PhaseEvent, "at"),
        )
        .values("organisation_id", "last_seen", *[key for key, _, _ in SINCE_LABELS])
    )
    found = {}
    for row in rows:
        changes = [(row[key] or 0, one if row[key] == 1 else many) for key, one, many in SINCE_LABELS if row[key]]
        found[row["organisation_id"]] = {"last_seen": row["last_seen"], "changes": changes}
    return found


def portfolio(user, today, now=None) -> list[dict]:
    """A coach's organisations, the one that needs attention most first: flags with their reasons, where each
    is, and what changed since the coach last looked (the visit is recorded, so the next one compares with it)."""
    now = now or timezone.now()
    ids = sorted(access.principal(user).assigned_roles)
    record_visit(user, ids, now)
    rows = summaries(_enrolments(ids, today, now), today, now)
    since = _since_counts(user, ids)
    for row in rows:
        row["since"] = since.get(row["organisation"].pk, {"last_seen": None, "changes": []})
    return sorted(rows, key=lambda r: (-r["worst"], -len(r["flags"]), r["organisation"].name))


def board(user, today, filters: dict, now=None) -> dict:
    """The programme board: how the whole programme is doing, and every visible organisation with its phase,
    coaches, measures and flags, worst first and filtered. A fixed number of queries."""
    now = now or timezone.now()
    coaches = Assignment.objects.filter(role=Role.COACH).select_related("user")
    enrolments = _enrolments(access.visible_organisation_ids(user), today, now).prefetch_related(
        Prefetch("organisation__assignments", queryset=coaches, to_attr="coach_assignments")
    )
    everyone = summaries(enrolments, today, now)
    rows = []
    for row in everyone:
        row["coaches"] = [a.user for a in row["organisation"].coach_assignments]
        if filters["phase"] and row["phase_key"] != filters["phase"]:
            continue
        if filters["coach"] and filters["coach"] not in {str(c.pk) for c in row["coaches"]}:
            continue
        if filters["flag"] and filters["flag"] not in row["flag_keys"]:
            continue
        rows.append(row)
    rows.sort(key=lambda r: (-r["worst"], r["organisation"].name))
    collaborative = access.collaborative_for(user)
    attendance, past_sets = _attendance(collaborative, [r["organisation"].pk for r in rows], now)
    for row in rows:
        row["attendance"] = attendance.get(row["organisation"].pk, {"sets": 0, "people": 0})
    all_coaches = {a.user.pk: a.user for a in coaches}
    library = _library(collaborative)
    grid = _grid_html(everyone, library)
    return {
        "rows": rows,
        "today": today,
        "collaborative": collaborative,
        "by_phase": _by_phase(everyone),
        "library": library,
        "grid": [(row, grid.get(row["organisation"].pk, "")) for row in rows],
        "scores": _score_spread(rows),
        "currency": _currency(rows),
        "pdsa_totals": {key: sum(r["cycles"][key] for r in rows) for key in ("started", "open", "completed")},
        "past_sets": past_sets,
        "ideas": _programme_ideas(collaborative, [r["organisation"].pk for r in rows]),
        "phase_choices": PHASE_CHOICES,
        "coach_choices": sorted(all_coaches.values(), key=lambda u: u.display_name),
        "flag_choices": [(key, label) for key, (_, label) in flags.LABELS.items()],
        "filters": filters,
        "counts": {key: sum(1 for r in rows if key in r["flag_keys"]) for key in flags.LABELS},
    }


def _by_phase(rows) -> list[tuple[str, list]]:
    """(phase label, the organisations in it) for every phase, in the programme's order."""
    labels = dict(PHASE_CHOICES)
    order = ["not_started", "1", "2", "3", "done"]
    return [(labels[key], [r["organisation"] for r in rows if r["phase_key"] == key]) for key in order]


def _library(collaborative) -> list:
    from measures.models import MeasureTemplate

    if collaborative is None:
        return []
    return list(MeasureTemplate.objects.filter(collaborative=collaborative).order_by("code"))


def _grid_cells(row, library) -> list[tuple[str, object, object]]:
    """One cell per library measure: ("chart", measure, result), ("no_data", measure, None) or ("not_used", ...)."""
    used = {m.library_source_id: (m, result) for m, result in row["measures"] if m.library_source_id}
    cells = []
    for template in library:
        measure, result = used.get(template.pk, (None, None))
        kind = "not_used" if measure is None else ("chart" if result is not None else "no_data")
        cells.append((kind, template, result))
    return cells


def _grid_html(rows, library) -> dict[int, str]:
    """organisation id -> its row of the icons grid, rendered: kept in the shared cache beside the summaries
    it is drawn from (their fingerprint is in the key, with the library's measures as read), for every visible
    organisation at once so that each filter reads the same entry."""
    from .templatetags.programme import icon_cells

    if not rows:
        return {}
    key = tiles.key("board-grid", rows[0]["summary_key"], [(t.pk, t.code, t.name) for t in library])
    return tiles.cached(key, lambda: {r["organisation"].pk: icon_cells(_grid_cells(r, library)) for r in rows})


def _score_spread(rows) -> list[tuple[object, int]]:
    spread = defaultdict(int)
    for row in rows:
        if row["score"] is not None:
            spread[row["score"]] += 1
    return sorted(spread.items())


def _currency(rows) -> list[tuple[str, int]]:
    fresh = sum(1 for r in rows if r["last_data"] and r["days_since_data"] <= flags.STALE_DAYS)
    stale = sum(1 for r in rows if r["last_data"] and r["days_since_data"] > flags.STALE_DAYS)
    late = sum(1 for r in rows if "data_late" in r["flag_keys"])
    return [
        (f"Data entered in the last {flags.STALE_DAYS // 7} weeks", fresh),
        (f"No data for over {flags.STALE_DAYS // 7} weeks", stale),
        ("No data yet", sum(1 for r in rows if not r["last_data"])),
        ("With a period's data late", late),
    ]


def _attendance(collaborative, ids, now) -> tuple[dict[int, dict], int]:
    """organisation id -> the past learning sets it attended and how many of its people came; how many sets."""
    from learning_sets.models import LearningSet, Registration

    if collaborative is None:
        return {}, 0
    past = LearningSet.objects.filter(
        collaborative=collaborative, status=LearningSet.Status.PUBLISHED, starts_at__lt=now
    )
    rows = (
        Registration.objects.filter(learning_set__in=past, organisation_id__in=ids, attended=True)
        .order_by()
        .values("organisation_id")
        .annotate(sets=Count("learning_set", distinct=True), people=Count("user", distinct=True))
    )
    return {r["organisation_id"]: r for r in rows}, past.count()


def _programme_ideas(collaborative, ids) -> list[dict]:
    """Each programme change idea with how many of the organisations adopted, adapted or dropped it."""
    from qi_projects.models import Adoption, ProgrammeChangeTheory, ProgrammeElement, adoption_by_organisation

    if collaborative is None:
        return []
    theory = ProgrammeChangeTheory.objects.filter(collaborative=collaborative).first()
    if theory is None:
        return []
    statuses = adoption_by_organisation(theory, ids)
    ideas = ProgrammeElement.objects.filter(diagram=theory, kind=Kind.CHANGE_IDEA, removed_at=None).order_by("pk")
    rows = []
    for idea in ideas:
        found = [statuses.get((idea.pk, org), Adoption.NOT_USED) for org in ids]
        rows.append({"idea": idea, **{status: found.count(status) for status in Adoption.values}})
    rows.sort(key=lambda r: (-(r["adopted"] + r["adapted"]), r["idea"].text))
    return rows
