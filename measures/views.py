import uuid

from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from collaborative.models import PhaseEvent
from organisations import access, exports
from organisations.audit import record
from organisations.models import AuditEvent
from qi_projects import equality
from qi_projects.models import FocusPopulation

from . import charts, series
from . import periods as P
from .forms import ChartSettingsForm, UploadForm
from .importing import COLUMNS, LIMITS, FileRefused, apply, check_for, collaborative_start, import_file
from .models import ChartSettings, DataPoint, DataPointRevision, Measure, point_payload

GRID_PERIODS = 6


def _measure(request, pk) -> Measure:
    return get_object_or_404(Measure.objects.select_related("project"), pk=pk, organisation=request.organisation)


def strata_of(measure: Measure) -> list[tuple[str, str]]:
    """(stratum, label) for the whole population and each group of the measure's dimension."""
    rows = [("all", "Everyone")]
    if measure.dimension:
        for category, _ in equality.DIMENSIONS[measure.dimension].categories:
            stratum = f"{measure.dimension}:{category}"
            rows.append((stratum, equality.stratum_label(stratum)))
    return rows


def focus_stratum(measure: Measure) -> str | None:
    """The first focus-population group of the measure's project on the measure's dimension."""
    if not measure.dimension:
        return None
    for population in FocusPopulation.objects.filter(project_id=measure.project_id):
        for stratum in population.groups or []:
            if stratum.split(":", 1)[0] == measure.dimension:
                return stratum
    return None


def phase_annotations(organisation) -> list[charts.Annotation]:
    events = PhaseEvent.objects.filter(organisation=organisation, kind__in=["started", "gate_passed"]).select_related(
        "phase"
    )
    return [
        charts.Annotation(
            e.on_date, f"{e.get_kind_display()}: {e.phase.get_number_display()}", e.reason or "", kind="phase"
        )
        for e in events
    ]


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
    for measure in measures:
        data = by_measure.get(measure.pk, [])
        built = series.build_series(data, measure.frequency).get("all")
        result = series.chart_for(measure, built, _settings(measure)) if built else None
        latest = data[-1] if data else None
        rows.append(
            {"measure": measure, "result": result, "latest": latest, "latest_figure": _display(measure, latest)}
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
    strata = strata_of(measure)
    labels = dict(strata)
    chosen = request.GET.get("stratum", "all")
    if chosen not in labels:
        chosen = "all"
    points = list(DataPoint.objects.filter(measure=measure).order_by("period_start"))
    by_stratum = series.build_series(points, measure.frequency)
    # Offer the groups that have data (and everyone): an empty group's chart says nothing.
    strata = [(stratum, label) for stratum, label in strata if stratum == "all" or stratum in by_stratum]
    settings = _settings(measure)
    annotations = phase_annotations(request.organisation) + extra_annotations(measure)
    context = {
        "organisation": request.organisation,
        "measure": measure,
        "strata": strata,
        "chosen": chosen,
        "chosen_label": labels[chosen],
        "settings": settings,
        "may_log": access.can(request.user, "log_work", request.organisation),
        "may_edit": access.can(request.user, "edit_plan", request.organisation),
    }
    current = by_stratum.get(chosen)
    if current is not None:
        result = series.chart_for(measure, current, settings)
        within = [a for a in annotations if current.periods[0] <= a.on < P.step(measure.frequency, current.periods[-1])]
        if result.chart is not None:
            figure = charts.spc_figure(
                result.chart, current.periods, scale=result.scale, unit=result.unit, annotations=within
            )
        else:
            figure = charts.run_figure(result.run, current.periods, scale=result.scale, unit=result.unit)
        context.update(result=result, figure=figure, table=_table(measure, result), annotations=within)
    context["revisions"] = DataPointRevision.objects.filter(measure=measure).select_related("by")[:20]
    focus = focus_stratum(measure)
    reference = f"{measure.dimension}:{measure.reference_category}" if measure.reference_category else None
    if focus and reference:
        gap = series.equality_gap(measure, by_stratum, focus, reference)
        if gap is not None:
            context.update(gap=gap, gap_figure=_gap_figure(gap, measure), gap_rows=_gap_rows(gap, measure))
    return render(request, "measures/chart.html", context)


def extra_annotations(measure) -> list[charts.Annotation]:
    """Annotations other apps add to a measure's chart (PDSA cycles, when that app provides them)."""
    try:
        from qi_projects.annotations import for_measure
    except ImportError:
        return []
    return for_measure(measure)


def _table(measure, result) -> list[dict]:
    rows = []
    s = result.series
    points = result.chart.points if result.chart else None
    for i, period in enumerate(s.periods):
        figure = s.figures[i]
        row = {
            "period": P.label(measure.frequency, period),
            "numerator": s.numerators[i],
            "denominator": s.denominators[i],
            "figure": None if figure is None else round(figure * result.scale, 2),
        }
        if points:
            point = points[i]
            row.update(
                mean=_r(point.mean, result.scale),
                lower=_r(point.lower, result.scale),
                upper=_r(point.upper, result.scale),
                signal=charts.point_words(point, result.scale, result.unit) if point.special_cause else "",
            )
        rows.append(row)
    return rows


def _r(value, scale):
    return None if value is None else round(value * scale, 2)


def _gap_figure(gap, measure) -> dict:
    scale, _ = series.scale_and_unit(measure)
    x = [p.isoformat() for p in gap.periods]

    def sc(values):
        return [None if v is None else v * scale for v in values]

    data = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "x": x,
            "y": sc(gap.focus_rates),
            "name": gap.focus_label,
            "line": {"color": "#005eb8"},
            "connectgaps": False,
        },
        {
            "type": "scatter",
            "mode": "lines+markers",
            "x": x,
            "y": sc(gap.reference_rates),
            "name": gap.reference_label,
            "line": {"color": "#768692"},
            "connectgaps": False,
        },
    ]
    figure = {
        "data": data,
        "layout": {
            "height": 320,
            "margin": {"l": 50, "r": 10, "t": 10, "b": 40},
            "xaxis": {"type": "date"},
            "legend": {"orientation": "h", "y": -0.2},
        },
        "config": {"displayModeBar": False},
    }
    if gap.chart is not None:
        figure_gap = charts.spc_figure(gap.chart, gap.periods, scale=scale)
        return {"groups": figure, "difference": figure_gap}
    return {"groups": figure, "difference": None}


def _gap_rows(gap, measure) -> list[dict]:
    scale, _ = series.scale_and_unit(measure)
    return [
        {
            "period": P.label(measure.frequency, d),
            "focus": None if f is None else round(f * scale, 2),
            "reference": None if r is None else round(r * scale, 2),
            "difference": None if diff is None else round(diff * scale, 2),
            "ratio": None if ratio is None else round(ratio, 2),
        }
        for d, f, r, diff, ratio in zip(
            gap.periods, gap.focus_rates, gap.reference_rates, gap.difference, gap.ratio, strict=True
        )
    ]


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


@access.requires("view_workspace")
def measure_grid(request, org, pk):
    organisation = request.organisation
    measure = _measure(request, pk)
    may_log = access.can(request.user, "log_work", organisation)
    if request.method == "POST" and not may_log:
        raise PermissionDenied
    strata = strata_of(measure)
    started = collaborative_start(organisation)
    periods = grid_periods(measure, request, started)
    earliest, _ = P.bounds(measure.frequency, started, timezone.localdate())
    context = {
        "organisation": organisation,
        "measure": measure,
        "strata": strata,
        "may_log": may_log,
        "earlier": P.step(measure.frequency, periods[0], -1).isoformat() if periods[0] > earliest else None,
    }
    if request.method == "POST":
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
    strata = strata_of(measure)
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


# --- Import -------------------------------------------------------------------------------

UPLOAD_SALT = "measures.upload"


@access.requires("view_workspace")
def data_import(request, org):
    organisation = request.organisation
    if request.method == "POST" and not access.can(request.user, "log_work", organisation):
        raise PermissionDenied
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
        for stratum, _ in strata_of(measure):
            writer.writerow([measure.code, period.isoformat(), stratum, "", "", ""])
    response.audit_recorded = True  # a blank template holds no organisation data
    return response
