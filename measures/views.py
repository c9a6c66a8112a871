import uuid

from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from collaborative.models import Collaborative
from organisations import access, exports
from organisations.audit import record
from organisations.models import AuditEvent
from organisations.pages import form_status, org_context
from qi_projects.models import ImprovementProject

from . import deadlines, reminders, series
from . import periods as P
from .forms import ChartSettingsForm, MeasureForm, MeasureTemplateForm, RebaseForm, UploadForm
from .importing import COLUMNS, LIMITS, FileRefused, apply, check_for, collaborative_start, import_file
from .models import ChartSettings, DataPoint, DataPointRevision, Measure, MeasureTemplate, Rebase, point_payload

GRID_PERIODS = 6


def _measure(request, pk) -> Measure:
    return get_object_or_404(Measure.objects.select_related("project"), pk=pk, organisation=request.organisation)


# --- The organisation's data dashboard -----------------------------------------


@access.requires("view_workspace")
def data_overview(request, org):
    """Every measure with its latest figure and its variation and assurance icons."""
    organisation = request.organisation
    measures = list(
        Measure.objects.filter(organisation=organisation).select_related("chart_settings").order_by("kind", "code")
    )
    points = DataPoint.objects.filter(organisation=organisation, stratum="all").order_by("period_start")
    by_measure: dict[int, list] = {}
    for point in points:
        by_measure.setdefault(point.measure_id, []).append(point)
    rows = []
    rule, now = reminders.rule_for(organisation), timezone.now()
    charts = series.cached_charts(measures)  # SPC worked out once per data version, as the workspace does
    for measure in measures:
        data = by_measure.get(measure.pk, [])
        result = charts.get(measure.pk)
        latest = data[-1] if data else None
        submitted = {p.period_start for p in data}
        rows.append(
            {
                "measure": measure,
                "result": result,
                "latest": latest,
                "latest_figure": _display(measure, latest),
                "recent": deadlines.recent(measure.frequency, submitted=submitted, now=now, rule=rule),
            }
        )
    return render(
        request,
        "measures/overview.html",
        {
            "organisation": organisation,
            "rows": rows,
            "may_log": access.can(request.user, "log_work", organisation),
        },
    )


def _settings(measure):
    try:
        return measure.chart_settings
    except ChartSettings.DoesNotExist:
        return None


def _display(measure, point) -> str:
    if point is None:
        return "No data yet"
    figure = point.figure
    if figure is None:
        return "–"
    if measure.value_type == "proportion":
        return f"{figure * 100:.1f}%"
    if measure.value_type == "rate":
        return f"{figure * (measure.rate_per or 1):,.1f} per {measure.rate_per or 1:,}"
    return f"{figure:,.2f}".rstrip("0").rstrip(".") + (f" {measure.unit}" if measure.unit else "")


# --- One measure's chart ---------------------------------------------------------


@access.requires("view_workspace")
def measure_chart(request, org, pk):
    measure = _measure(request, pk)
    page = series.measure_page(measure, request.GET.get("stratum", "all"))
    context = {
        "organisation": request.organisation,
        "measure": measure,
        "page": page,
        "may_log": access.can(request.user, "log_work", request.organisation),
        "may_edit": access.can(request.user, "edit_plan", request.organisation),
        "may_rebase": access.can(request.user, "rebase_chart", request.organisation),
        "rebase_form": RebaseForm(initial={"period": page.rebase_offer.period}) if page.rebase_offer else None,
        "print_table": request.GET.get("table") == "1",
        **page.context(),
    }
    return render(request, "measures/chart.html", context)


@access.requires("view_workspace")
def measure_csv(request, org, pk):
    """The measure's data as CSV: raw for the organisation's own team, suppressed for programme staff."""
    organisation = request.organisation
    measure = _measure(request, pk)
    raw = access.can(request.user, "export_raw", organisation)
    if not raw and not access.can(request.user, "export_suppressed"):
        raise PermissionDenied
    response = HttpResponse(content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{organisation.slug}-{measure.code}.csv"'
    writer = exports.csv_writer(response)
    writer.writerow(COLUMNS)
    for point in DataPoint.objects.filter(measure=measure).order_by("stratum", "period_start"):
        numerator, denominator, value = point.numerator, point.denominator, point.value
        if not raw:
            numerator, denominator, _, value = series.published(measure, numerator, denominator, value).cells()
        writer.writerow([measure.code, point.period_start.isoformat(), point.stratum, numerator, denominator, value])
    record(
        AuditEvent.Action.EXPORT,
        request=request,
        organisation=organisation,
        obj=measure,
        summary=f"Exported {measure.code} data ({'raw' if raw else 'suppressed'})",
    )
    response.audit_recorded = True
    return response


def _blank(value) -> str:
    return "" if value is None else str(value)


# --- Data entry grid -----------------------------------------------------------------


def grid_periods(measure, request, started) -> list:
    """The grid's periods, ending at ?to= if given, never outside the periods data may have."""
    frequency = measure.frequency
    earliest, current = P.bounds(frequency, started, timezone.localdate())
    last = current
    try:
        last = P.current_start(frequency, timezone.datetime.fromisoformat(request.GET["to"]).date())
    except (KeyError, ValueError):
        pass
    last = max(min(last, current), min(P.step(frequency, earliest, GRID_PERIODS - 1), current))
    first = max(P.step(frequency, last, -(GRID_PERIODS - 1)), earliest)
    return P.series(frequency, first, last)


def cell_name(period, stratum, part) -> str:
    return f"c|{period.isoformat()}|{stratum}|{part}"


def cell_rows(measure, periods, strata, posted=None, errors=None):
    """The grid: one row per group, one column per period, one or two inputs per cell."""
    existing = {
        (p.period_start, p.stratum): p for p in DataPoint.objects.filter(measure=measure, period_start__in=periods)
    }
    parts = ["numerator", "denominator"] if measure.has_fraction else ["value"]
    rows = []
    for index, (stratum, label) in enumerate(strata):
        cells = []
        for period in periods:
            point = existing.get((period, stratum))
            inputs = []
            for part in parts:
                name = cell_name(period, stratum, part)
                value = posted.get(name, "") if posted is not None else _blank(getattr(point, part, None))
                inputs.append(
                    {
                        "name": name,
                        "part": part,
                        "value": value,
                        "label": f"{part.capitalize()}, {label}, {P.label(measure.frequency, period)}",
                    }
                )
            cells.append(
                {
                    "stratum": stratum,
                    "label": label,
                    "inputs": inputs,
                    "period": period,
                    "error": (errors or {}).get((period, stratum)),
                    "id": f"cell-{period:%Y%m%d}-{index}",
                }
            )
        rows.append({"stratum": stratum, "label": label, "cells": cells})
    return rows


def _cell_rows_from_post(measure, data, periods, strata) -> list[tuple[int, dict]]:
    rows = []
    n = 0
    for period in periods:
        for stratum, _ in strata:
            cells = {
                part: data.get(cell_name(period, stratum, part), "").strip()
                for part in ("numerator", "denominator", "value")
            }
            n += 1
            rows.append(
                (
                    n,
                    {
                        "measure_code": measure.code,
                        "period_start": period.isoformat(),
                        "stratum": stratum,
                        **cells,
                        "_key": (period, stratum),
                    },
                )
            )
    return rows


def save_cells(measure, organisation, rows, user) -> tuple[dict, int]:
    """Check every filled cell; save all or nothing. Empty cells that held data become gaps again."""
    filled = [(n, r) for n, r in rows if any(r[p] for p in ("numerator", "denominator", "value"))]
    result, measures = check_for(organisation, [(n, {k: v for k, v in r.items() if k != "_key"}) for n, r in filled])
    keys = {n: r["_key"] for n, r in rows}
    errors = {}
    for error in result.errors:
        errors.setdefault(keys[error.row], []).append(error.message)
    if errors:
        return errors, 0
    cleared = [r["_key"] for _, r in rows if not any(r[p] for p in ("numerator", "denominator", "value"))]
    with transaction.atomic():
        summary = apply(organisation, result.records, measures, by=user, source="grid")
        removed = 0
        for period, stratum in cleared:
            point = DataPoint.objects.filter(measure=measure, period_start=period, stratum=stratum).first()
            if point is not None:
                DataPointRevision.objects.create(
                    organisation=organisation,
                    measure=measure,
                    period_start=period,
                    stratum=stratum,
                    old=point_payload(point.numerator, point.denominator, point.value),
                    new=None,
                    source="grid",
                    by=user,
                )
                point.delete()
                removed += 1
    return {}, summary.created + summary.updated + removed


@access.requires("view_workspace", post="log_work")
def measure_grid(request, org, pk):
    organisation = request.organisation
    measure = _measure(request, pk)
    may_log = access.can(request.user, "log_work", organisation)
    added = (request.POST if request.method == "POST" else request.GET).getlist("group")
    strata, others = series.grid_strata(measure, added=[g for g in added if ":" in g][:50])
    started = collaborative_start(organisation)
    periods = grid_periods(measure, request, started)
    earliest, _ = P.bounds(measure.frequency, started, timezone.localdate())
    context = {
        "organisation": organisation,
        "measure": measure,
        "strata": strata,
        "other_groups": others,
        "added": [s for s, _ in strata if s in added],
        "may_log": may_log,
        "earlier": P.step(measure.frequency, periods[0], -1).isoformat() if periods[0] > earliest else None,
    }
    if request.method == "POST":
        strata = series.strata_of(measure)  # every posted group is saved (and shown again if refused)
        context["strata"] = strata
        rows = _cell_rows_from_post(measure, request.POST, periods, strata)
        errors, changed = save_cells(measure, organisation, rows, request.user)
        if not errors:
            messages.success(request, f"Saved: {changed} {'figure' if changed == 1 else 'figures'} changed.")
            return redirect(request.get_full_path())
        context.update(
            grid=cell_rows(measure, periods, strata, posted=request.POST, errors=errors), error_count=len(errors)
        )
        return render(request, "measures/grid.html", context, status=422)
    context["grid"] = cell_rows(measure, periods, strata)
    return render(request, "measures/grid.html", context)


@require_POST
@access.requires("log_work")
def grid_cell(request, org, pk):
    """Save one cell as the person types (htmx); answer the cell with its message."""
    organisation = request.organisation
    measure = _measure(request, pk)
    strata = series.strata_of(measure)
    try:
        period = timezone.datetime.fromisoformat(request.POST.get("period", "")).date()
    except ValueError:
        return HttpResponse("Unknown period.", status=400)
    stratum = request.POST.get("stratum", "")
    if stratum not in dict(strata):
        return HttpResponse("Unknown group.", status=400)
    rows = _cell_rows_from_post(measure, request.POST, [period], [(stratum, dict(strata)[stratum])])
    cell = rows[0][1]
    if measure.has_fraction and bool(cell["numerator"]) != bool(cell["denominator"]):
        # Half a fraction: the person is still typing the other half. Save nothing, say nothing yet.
        return HttpResponse(status=204)
    problem = P.problem(measure.frequency, period)
    errors, changed = (
        ({(period, stratum): [problem]}, 0) if problem else save_cells(measure, organisation, rows, request.user)
    )
    index = [s for s, _ in strata].index(stratum)
    grid = cell_rows(measure, [period], [strata[index]], posted=request.POST, errors=errors)
    cell = grid[0]["cells"][0]
    cell["id"] = f"cell-{period:%Y%m%d}-{index}"
    return render(
        request,
        "measures/grid.html#cell",
        {"measure": measure, "organisation": organisation, "cell": cell, "saved": not errors, "may_log": True},
        status=422 if errors else 200,
    )


# --- Chart settings ------------------------------------------------------------------------


@access.requires("edit_plan")
def measure_settings(request, org, pk):
    measure = _measure(request, pk)
    instance = _settings(measure) or ChartSettings(measure=measure, organisation=request.organisation)
    form = ChartSettingsForm(request.POST or None, instance=instance, measure=measure)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Chart settings saved.")
        return redirect("measures:measure_chart", org=org, pk=pk)
    return render(
        request,
        "measures/settings.html",
        {"organisation": request.organisation, "measure": measure, "form": form},
        status=422 if form.is_bound else 200,
    )


@require_POST
@access.requires("rebase_chart")
def measure_rebase(request, org, pk):
    """Confirm the chart's offer: new limits from a period after an adopted change, with the reason kept."""
    measure = _measure(request, pk)
    form = RebaseForm(request.POST)
    page = series.measure_page(measure, "all")
    offer = page.rebase_offer
    if form.is_valid() and (offer is None or form.cleaned_data["period"] != offer.period):
        form.add_error(None, "The chart no longer offers new limits at that period: look at it again.")
    if not form.is_valid():
        context = {
            "organisation": request.organisation,
            "measure": measure,
            "page": page,
            "rebase_form": form,
            "may_log": access.can(request.user, "log_work", request.organisation),
            "may_edit": access.can(request.user, "edit_plan", request.organisation),
            "may_rebase": True,
            **page.context(),
        }
        return render(request, "measures/chart.html", context, status=422)
    period = form.cleaned_data["period"]
    with transaction.atomic():
        rebase = Rebase.objects.create(
            organisation=request.organisation,
            measure=measure,
            period_start=period,
            reason=form.cleaned_data["reason"],
            change=offer.change[:300],
            by=request.user,
        )
        chart_settings = _settings(measure) or ChartSettings(measure=measure, organisation=request.organisation)
        chart_settings.rebase_on = sorted({*(chart_settings.rebase_on or []), period.isoformat()})
        chart_settings.save()
        record(
            AuditEvent.Action.UPDATE,
            request=request,
            obj=rebase,
            summary=f"New limits for {measure.code} from {period:%b %Y}: {rebase.reason}"[:300],
        )
    messages.success(request, f"New limits from {P.label(measure.frequency, period)}; the earlier limits stay shown.")
    return redirect("measures:measure_chart", org=org, pk=pk)


# --- Import -------------------------------------------------------------------------------

UPLOAD_SALT = "measures.upload"


@access.requires("view_workspace", post="log_work")
def data_import(request, org):
    organisation = request.organisation
    context = {"organisation": organisation, "form": UploadForm(), "limits": LIMITS}
    if request.method == "POST" and "confirm" in request.POST:
        return _confirm_import(request, organisation)
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        context["form"] = form
        if not form.is_valid():
            return render(request, "measures/import.html", context, status=422)
        upload = form.cleaned_data["file"]
        data = upload.read()
        try:
            result, summary = import_file(organisation, upload.name, data, by=request.user, dry_run=True)
        except FileRefused as refused:
            form.add_error("file", str(refused))
            return render(request, "measures/import.html", context, status=422)
        if summary is None:
            context.update(result=result, errors=result.errors, file_name=upload.name, rows_checked=result.rows)
            return render(request, "measures/import.html", context, status=422)
        # Keep the checked file until it is confirmed: in shared storage, not in this process.
        path = default_storage.save(
            f"imports/{organisation.pk}/{uuid.uuid4().hex}-{upload.name[-60:]}", ContentFile(data)
        )
        context.update(
            summary=summary,
            preview=result.records[:20],
            file_name=upload.name,
            ticket=signing.dumps({"path": path, "org": organisation.pk, "name": upload.name}, salt=UPLOAD_SALT),
        )
        return render(request, "measures/import.html", context)
    return render(request, "measures/import.html", context)


def _confirm_import(request, organisation):
    try:
        ticket = signing.loads(request.POST.get("ticket", ""), salt=UPLOAD_SALT, max_age=3600)
    except signing.BadSignature:
        messages.error(request, "That upload has expired: choose the file again.")
        return redirect("measures:data_import", org=organisation.slug)
    if ticket["org"] != organisation.pk or not default_storage.exists(ticket["path"]):
        messages.error(request, "That upload has expired: choose the file again.")
        return redirect("measures:data_import", org=organisation.slug)
    with default_storage.open(ticket["path"], "rb") as handle:
        data = handle.read()
    result, summary = import_file(organisation, ticket["name"], data, by=request.user)
    default_storage.delete(ticket["path"])
    if summary is None:  # the data changed since the preview (someone renamed a measure, say)
        return render(
            request,
            "measures/import.html",
            {
                "organisation": organisation,
                "form": UploadForm(),
                "result": result,
                "errors": result.errors,
                "file_name": ticket["name"],
                "limits": LIMITS,
            },
            status=422,
        )
    record(
        AuditEvent.Action.CREATE,
        request=request,
        organisation=organisation,
        summary=f"Imported {ticket['name']}: {summary.created} new, {summary.updated} changed, "
        f"{summary.unchanged} unchanged",
    )
    messages.success(
        request,
        f"Imported {ticket['name']}: {summary.created} new, {summary.updated} changed, {summary.unchanged} unchanged.",
    )
    return redirect("measures:data_overview", org=organisation.slug)


@access.requires("view_workspace")
def import_template(request, org):
    """A CSV with the header and one row per measure and group for the latest period, to fill in."""
    organisation = request.organisation
    response = HttpResponse(content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{organisation.slug}-data-template.csv"'
    writer = exports.csv_writer(response)
    writer.writerow(COLUMNS)
    today = timezone.localdate()
    measures = Measure.objects.filter(organisation=organisation)
    project = request.GET.get("project")
    if project and project.isdigit():
        measures = measures.filter(project_id=int(project))
    for measure in measures.order_by("code"):
        period = P.step(measure.frequency, P.current_start(measure.frequency, today), -1)
        for stratum, _ in series.strata_of(measure):
            writer.writerow([measure.code, period.isoformat(), stratum, "", "", ""])
    response.audit_recorded = True  # a blank template holds no organisation data
    return response


# --- Measures ----------------------------------------------------------------------


@access.requires("edit_plan")
def measure_create(request, org, pk):
    project = get_object_or_404(ImprovementProject, pk=pk, organisation=request.organisation)
    collaborative = Collaborative.for_organisation(request.organisation)
    library = (
        MeasureTemplate.objects.filter(collaborative=collaborative) if collaborative else MeasureTemplate.objects.none()
    )
    template = None
    if request.GET.get("from", "").isdigit():
        template = get_object_or_404(library, pk=int(request.GET["from"]))
    instance = Measure(organisation=request.organisation, project=project, library_source=template)
    if request.method == "POST" and request.POST.get("library_source", "").isdigit():
        instance.library_source = library.filter(pk=int(request.POST["library_source"])).first()
    form = MeasureForm(
        request.POST or None, instance=instance, project=project, initial=template.as_initial() if template else None
    )
    if request.method == "POST" and form.is_valid():
        measure = form.save()
        messages.success(request, f"Measure {measure.code} “{measure.name}” saved.")
        return redirect("qi_projects:project_detail", org=org, pk=project.pk)
    return render(
        request,
        "measures/measure_form.html",
        org_context(request, form=form, project=project, library=library, template=instance.library_source),
        status=form_status(form),
    )


@access.requires("view_workspace")
def measure_detail(request, org, pk):
    measure = get_object_or_404(
        Measure.objects.select_related("project", "tracks", "library_source"), pk=pk, organisation=request.organisation
    )
    return render(
        request,
        "measures/measure_detail.html",
        org_context(
            request,
            measure=measure,
            project=measure.project,
            comments=measure.comments.select_related("author"),
        ),
    )


@access.requires("edit_plan")
def measure_edit(request, org, pk):
    measure = get_object_or_404(Measure, pk=pk, organisation=request.organisation)
    form = MeasureForm(request.POST or None, instance=measure, project=measure.project)
    if request.method == "POST" and form.is_valid():
        measure = form.save(commit=False)
        measure.updated_at = timezone.now()
        measure.save()
        messages.success(request, f"Measure {measure.code} saved.")
        return redirect("measures:measure_detail", org=org, pk=measure.pk)
    return render(
        request,
        "measures/measure_form.html",
        org_context(request, form=form, project=measure.project, measure=measure),
        status=form_status(form),
    )


@access.requires("view_programme")
def measure_library(request):
    collaborative = access.collaborative_for(request.user, request.GET.get("collaborative"))
    if collaborative is None:
        raise Http404("No collaborative.")
    templates = MeasureTemplate.objects.filter(collaborative=collaborative).annotate(copy_count=Count("copies"))
    editing = None
    if request.GET.get("edit", "").isdigit():
        editing = get_object_or_404(templates, pk=int(request.GET["edit"]))
    can_manage = access.can(request.user, "manage_programme")
    form = None
    if can_manage:
        instance = editing or MeasureTemplate(collaborative=collaborative)
        form = MeasureTemplateForm(
            request.POST if request.method == "POST" else None, instance=instance, collaborative=collaborative
        )
        if request.method == "POST" and form.is_valid():
            saved = form.save()
            messages.success(request, f"Library measure {saved.code} saved.")
            return redirect("measures:measure_library")
    return render(
        request,
        "measures/measure_library.html",
        {"collaborative": collaborative, "templates": templates, "form": form, "editing": editing},
        status=form_status(form) if form is not None else 200,
    )
