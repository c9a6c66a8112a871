"""An organisation's sustaining pages: the self-assessment, the sustainability plan, the team's reflections
and the end-of-programme report (page and PDF)."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone

from learning_sets.views import error_summary
from measures.models import Measure
from organisations import access
from organisations.pages import form_status, org_context
from qi_projects.models import ImprovementProject

from .. import report as end_report
from .. import sustainability
from .. import sustainability_model as model
from ..forms.sustainability import AssessmentForm, PlanForm, ReflectionsForm
from ..models import AssessmentRound, PlanChange, SustainabilityAssessment, SustainabilityPlan


def _item(request, pk) -> sustainability.ProjectSustainability:
    items = sustainability.for_organisation(request.organisation)
    found = next((i for i in items if i.project.pk == pk), None)
    if found is None:
        raise Http404
    return found


@access.requires("view_workspace")
def sustainability_overview(request, org):
    return render(
        request,
        "evaluation/sustainability/overview.html",
        org_context(
            request,
            items=sustainability.for_organisation(request.organisation),
            rounds=AssessmentRound.choices,
            maximum=model.MAXIMUM,
            provisional=model.PROVISIONAL,
            can_assess=access.can(request.user, "log_work", request.organisation),
        ),
    )


@access.requires("log_work")
def assessment_edit(request, org, pk, round):
    if round not in AssessmentRound.values:
        raise Http404
    project = get_object_or_404(ImprovementProject, pk=pk, organisation=request.organisation)
    assessment = SustainabilityAssessment.objects.filter(project=project, round=round).first()
    initial = {**(assessment.answers if assessment else {}), "notes": assessment.notes if assessment else ""}
    form = AssessmentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        if assessment is None:
            assessment = SustainabilityAssessment(organisation=request.organisation, project=project, round=round)
        result = assessment.record(form.answers(), notes=form.cleaned_data["notes"], by=request.user)
        label = AssessmentRound(round).label.lower()
        if result.complete:
            messages.success(request, f"Assessment for the {label} scored: {result.total:g} out of {model.MAXIMUM:g}.")
            return redirect("evaluation:sustainability", org=org)
        missing = ", ".join(result.missing_titles)
        messages.warning(
            request,
            f"Saved as a draft, not scored: {len(result.missing)} of the 10 factors still need an answer ({missing}).",
        )
        return redirect("evaluation:assessment_edit", org=org, pk=pk, round=round)
    missing = assessment.score.missing_titles if assessment and assessment.status == assessment.Status.DRAFT else []
    return render(
        request,
        "evaluation/sustainability/assessment_form.html",
        org_context(
            request,
            form=form,
            errors=error_summary(form),
            project=project,
            assessment=assessment,
            round_label=AssessmentRound(round).label,
            missing=missing,
            provisional=model.PROVISIONAL,
        ),
        status=form_status(form),
    )


@access.requires("edit_plan")
def plan_edit(request, org, pk):
    item = _item(request, pk)
    project = item.project
    plan = item.plan or SustainabilityPlan(organisation=request.organisation, project=project)
    changes = {c.change_idea_id: c for c in plan.changes.all()} if plan.pk else {}
    measures = Measure.objects.filter(project=project).order_by("code", "pk")
    form = PlanForm(request.POST or None, instance=plan, measures=measures, ideas=item.ideas, changes=changes)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            plan = form.save(commit=False)
            plan.updated_at, plan.updated_by = timezone.now(), request.user
            plan.save()
            form.save_m2m()
            for idea_id, (embedding, owner) in form.change_values().items():
                PlanChange.objects.update_or_create(
                    plan=plan,
                    change_idea_id=idea_id,
                    defaults={"organisation": request.organisation, "embedding": embedding, "owner": owner},
                )
        problems = _item(request, pk).plan_problems()
        if problems:
            messages.warning(request, f"Plan saved. Still to do before the phase 3 gate: {' '.join(problems)}")
        else:
            messages.success(request, "Plan saved. It is complete for the phase 3 gate.")
        return redirect("evaluation:sustainability", org=org)
    return render(
        request,
        "evaluation/sustainability/plan_form.html",
        org_context(request, form=form, errors=error_summary(form), project=project, has_measures=measures.exists()),
        status=form_status(form),
    )


@access.requires("log_work")
def reflections_edit(request, org, pk):
    item = _item(request, pk)
    plan = item.plan or SustainabilityPlan(organisation=request.organisation, project=item.project)
    form = ReflectionsForm(request.POST or None, instance=plan)
    if request.method == "POST" and form.is_valid():
        plan = form.save(commit=False)
        plan.updated_at, plan.updated_by = timezone.now(), request.user
        plan.save()
        messages.success(request, "Reflections saved. They appear in the end-of-programme report.")
        return redirect("evaluation:report", org=org)
    return render(
        request,
        "evaluation/sustainability/reflections_form.html",
        org_context(request, form=form, errors=error_summary(form), project=item.project),
        status=form_status(form),
    )


@access.requires("view_workspace")
def report(request, org):
    context = end_report.build(request.organisation)
    return render(request, "evaluation/sustainability/report.html", org_context(request, **context))


@access.requires("view_workspace")
def report_pdf(request, org):
    context = org_context(request, **end_report.build(request.organisation), pdf=True)
    html = render_to_string("evaluation/sustainability/report.html", context, request=request)
    response = HttpResponse(end_report.pdf(html), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{request.organisation.slug}-end-of-programme-report.pdf"'
    return response
