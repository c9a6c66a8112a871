"""The evaluation area: its front page, one page per question, the series, and their exports.

Each page is about the collaborative the signed-in evaluator or national team
member works in (`access.collaborative_for`); `evaluation/answers.py` assembles
what it shows, across organisations, pseudonymised and disclosure-controlled.
"""

from __future__ import annotations

from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import urlencode

from organisations import access
from organisations.audit import reads_across_organisations, record
from organisations.exports import csv_lines, xlsx_bytes
from organisations.models import AuditEvent

from .. import across, answers
from .. import approach as approach_answers
from .. import interventions as change_ideas
from ..forms.series import SeriesFilterForm

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _collaborative(request):
    collaborative = access.collaborative_for(request.user)
    if collaborative is None:
        raise Http404("You are not part of a collaborative.")
    return collaborative


def _url(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:  # a page another module adds (the package); until it exists, no link
        return None


# The evaluation's pages, in the order the front page lists them.
SECTIONS = [
    (
        "evaluation:sustained",
        "Have we achieved a sustained improvement?",
        "Each organisation's measures and equality gaps after their first adopted change, with the evidence.",
    ),
    (
        "evaluation:interventions",
        "Which interventions made a difference?",
        "Each programme change idea: who tested, adopted, spread or abandoned it, and what the linked measures show.",
    ),
    (
        "evaluation:approach",
        "What aspects of the approach were helpful or unhelpful?",
        "The members' six-monthly approach feedback and the learning-set surveys, by part and over time.",
    ),
    (
        "evaluation:series",
        "Series and signals across organisations",
        "De-identified, disclosure-controlled series, by programme change idea and equality dimension.",
    ),
    ("evaluation:package", "The evaluator's data package", "Every table as CSV and XLSX with its data dictionary."),
]


@reads_across_organisations("Viewed the evaluation area")
@access.requires("view_evaluation")
def home(request):
    """The evaluation's front page: the collaborative, organisations by phase, the questions."""
    context = answers.overview(_collaborative(request), timezone.localdate())
    context["can_change_names"] = access.can(request.user, "manage_programme")
    context["sections"] = [(title, _url(name), text) for name, title, text in SECTIONS]
    return render(request, "evaluation/home.html", context)


@access.requires("view_evaluation")
def export(request):
    """Every data point of every enrolled organisation, suppressed and pseudonymised, as CSV (streamed)."""
    collaborative = _collaborative(request)
    record(AuditEvent.Action.EXPORT, request=request, summary="Exported the evaluation data set (suppressed)")
    response = StreamingHttpResponse(csv_lines(answers.export_rows(collaborative)), content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="amhe-evaluation-suppressed.csv"'
    return response


@reads_across_organisations("Viewed the evaluation: sustained improvement")
@access.requires("view_evaluation")
def sustained(request):
    """Question 1: each organisation's measures and equality gaps after their first adopted change."""
    return render(
        request, "evaluation/sustained.html", answers.sustained_page(_collaborative(request), request.GET.get("page"))
    )


@reads_across_organisations("Viewed the evaluation: interventions")
@access.requires("view_evaluation")
def interventions(request):
    """Question 2: each programme change idea, who tested, adopted, spread or abandoned it, and what followed."""
    collaborative = _collaborative(request)
    reports = change_ideas.report(collaborative)
    context = {"collaborative": collaborative, "reports": reports, "summary": change_ideas.summary(reports)}
    return render(request, "evaluation/interventions.html", context)


def _interventions_rows(request):
    collaborative = _collaborative(request)
    record(AuditEvent.Action.EXPORT, request=request, summary="Exported the evaluation: interventions")
    return change_ideas.export_rows(change_ideas.report(collaborative))


@access.requires("view_evaluation")
def interventions_csv(request):
    response = StreamingHttpResponse(csv_lines(_interventions_rows(request)), content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="amhe-evaluation-interventions.csv"'
    return response


@access.requires("view_evaluation")
def interventions_xlsx(request):
    data = xlsx_bytes({"Interventions": _interventions_rows(request)})
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="amhe-evaluation-interventions.xlsx"'
    return response


@reads_across_organisations("Viewed the evaluation: approach feedback")
@access.requires("view_evaluation")
def approach(request):
    """Question 3: how helpful each part of the approach has been, by round, with comments and the learning sets."""
    return render(request, "evaluation/approach.html", approach_answers.approach_page(_collaborative(request)))


@reads_across_organisations("Viewed the evaluation: series and signals")
@access.requires("view_evaluation")
def series(request):
    """Every organisation's measures with their signals and suppressed latest figures, filtered and paginated."""
    collaborative = _collaborative(request)
    form = SeriesFilterForm(request.GET or None, choices=across.choices(collaborative))
    if form.is_bound and not form.is_valid():
        context = {"collaborative": collaborative, "rows": [], "measures": 0, "organisations": 0, "page": None}
        context["latest"] = across.LATEST
        return render(request, "evaluation/series.html", {**context, "form": form, "query": ""}, status=400)
    filters = form.filters() if form.is_bound else {}
    context = across.series_page(collaborative, page=request.GET.get("page"), **filters)
    query = urlencode({name: value for name, value in filters.items() if value})  # kept on the page links
    return render(request, "evaluation/series.html", {**context, "form": form, "query": query})
