"""PDSA cycles, change idea lifecycles, feedback and the progress score: one function per URL."""

from __future__ import annotations

import io
import re
from types import SimpleNamespace

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Prefetch, Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from measures import periods as P
from measures.models import Measure
from organisations import access, notifications
from qi_projects.models import STAGE_MOVES, ChangeTheory, ChangeTheoryElement, ImprovementProject, Kind, Stage

from . import feedback, progress
from .forms import (
    DECISION_STAGES,
    ActForm,
    AttachmentForm,
    CommentForm,
    CycleForm,
    DoForm,
    MoveForm,
    PlanForm,
    ScoreForm,
    StudyForm,
    change_ideas_of,
)
from .models import ChangeIdeaMove, Comment, PdsaAttachment, PdsaCycle, PdsaDraft, ProgressScore

DRAFT_KEY = re.compile(r"^(new|new-after-(\d+)|cycle-(\d+)-(plan|do|study|act))$")
DRAFT_MAX_CHARS = 60_000
RECENT_PERIODS = 6


def _context(request, **extra) -> dict:
    organisation = request.organisation
    return {
        "organisation": organisation,
        "can_log": access.can(request.user, "log_work", organisation),
        "can_edit": access.can(request.user, "edit_plan", organisation),
        "can_comment": access.can(request.user, "comment", organisation),
        **extra,
    }


def _cycle(request, pk) -> PdsaCycle:
    return get_object_or_404(
        PdsaCycle.objects.select_related("change_idea", "project", "previous", "created_by"),
        pk=pk,
        organisation=request.organisation,
    )


def _idea(request, pk) -> ChangeTheoryElement:
    return get_object_or_404(
        ChangeTheoryElement.objects.select_related("diagram__project"),
        pk=pk,
        organisation=request.organisation,
        kind=Kind.CHANGE_IDEA,
    )


def _apply_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def _mark_read(user, comments) -> None:
    notifications.mark_read(user, comments)


# --- Drafts -------------------------------------------------------------------------


def _draft(request, key: str) -> PdsaDraft | None:
    return PdsaDraft.objects.filter(organisation=request.organisation, user=request.user, key=key).first()


def _draft_initial(draft: PdsaDraft | None, form_class) -> dict:
    """A saved draft as form initial data: only the form's own fields, lists only where a field takes several
    (a date typed in day, month and year boxes is put back together)."""
    if draft is None:
        return {}
    initial = {}
    flat = {name: (values[-1] if values else "") for name, values in draft.data.items()}
    for name, field in form_class.base_fields.items():
        if getattr(field.widget, "allow_multiple_selected", False):
            if name in draft.data:
                initial[name] = draft.data[name]
        elif not field.widget.value_omitted_from_data(flat, {}, name):
            initial[name] = field.widget.value_from_datadict(flat, {}, name)
    return initial


def _drop_draft(request, key: str) -> None:
    PdsaDraft.objects.filter(organisation=request.organisation, user=request.user, key=key).delete()


@require_POST
@access.requires("log_work")
def pdsa_draft(request, org):
    """Keep what someone has typed so far; nothing is checked, nothing else changes."""
    key = request.POST.get("draft_key", "")
    match = DRAFT_KEY.match(key)
    if not match:
        raise Http404("No such form.")
    cycle_id = match.group(2) or match.group(3)
    if cycle_id:
        get_object_or_404(PdsaCycle, pk=int(cycle_id), organisation=request.organisation)
    if request.POST.get("discard"):
        _drop_draft(request, key)
        messages.success(request, "Draft discarded.")
        target = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            target = reverse("pdsa:pdsa_list", kwargs={"org": org})
        return redirect(target)
    data = {
        name: request.POST.getlist(name)
        for name in request.POST
        if name not in ("csrfmiddlewaretoken", "draft_key", "discard", "next")
    }
    if sum(len(v) for values in data.values() for v in values) > DRAFT_MAX_CHARS:
        return render(request, "pdsa/pdsa_draft_status.html", {"error": "Too long to keep as a draft."}, status=422)
    now = timezone.now()
    PdsaDraft.objects.update_or_create(
        organisation=request.organisation, user=request.user, key=key, defaults={"data": data, "saved_at": now}
    )
    return render(request, "pdsa/pdsa_draft_status.html", {"saved_at": now})


# --- The list and the quick log ----------------------------------------------------------


@access.requires("view_workspace")
def pdsa_list(request, org):
    organisation = request.organisation
    ideas = change_ideas_of(organisation).annotate(
        cycle_count=Count("pdsa_cycles"),
        completed_count=Count("pdsa_cycles", filter=Q(pdsa_cycles__status=PdsaCycle.Status.COMPLETED)),
    )
    projects: dict[int, SimpleNamespace] = {}
    for idea in ideas:
        project = idea.diagram.project
        projects.setdefault(project.pk, SimpleNamespace(project=project, ideas=[])).ideas.append(idea)
    open_cycles = (
        PdsaCycle.objects.filter(organisation=organisation)
        .open()
        .select_related("change_idea")
        .order_by("planned_start", "pk")
    )
    return render(
        request,
        "pdsa/pdsa_list.html",
        _context(request, projects=list(projects.values()), open_cycles=open_cycles, stages=Stage),
    )


@access.requires("log_work")
def pdsa_create(request, org):
    organisation = request.organisation
    previous = None
    if request.GET.get("after", "").isdigit() or request.POST.get("after", "").isdigit():
        after = int(request.GET.get("after") or request.POST.get("after"))
        previous = get_object_or_404(
            PdsaCycle.objects.select_related("change_idea"), pk=after, organisation=organisation
        )
    key = f"new-after-{previous.pk}" if previous else "new"
    draft = _draft(request, key)
    if request.method == "POST":
        form = CycleForm(request.POST, organisation=organisation)
        if form.is_valid():
            data = form.cleaned_data
            idea = data["change_idea"]
            fields = {name: data[name] for name in form.Meta.fields if name not in ("change_idea", "measures")}
            try:
                cycle = PdsaCycle.log(
                    change_idea=idea,
                    by=request.user,
                    measures=data["measures"],
                    previous=previous if previous and previous.change_idea_id == idea.pk else None,
                    **fields,
                )
            except ValidationError as e:
                _apply_errors(form, e)
            else:
                _drop_draft(request, key)
                messages.success(
                    request, f"Cycle {cycle.number} of “{idea.text}” logged. Record Do when the test starts."
                )
                return redirect("pdsa:pdsa_detail", org=org, pk=cycle.pk)
    else:
        initial = {"planned_start": timezone.localdate()}
        if previous:
            initial.update(previous.next_cycle_initial())
        elif request.GET.get("idea", "").isdigit():
            initial["change_idea"] = int(request.GET["idea"])
        initial.update(_draft_initial(draft, CycleForm))
        form = CycleForm(initial=initial, organisation=organisation)
    return render(
        request,
        "pdsa/pdsa_form.html",
        _context(request, form=form, previous=previous, draft=draft, draft_key=key),
        status=422 if form.is_bound else 200,
    )


# --- One cycle ------------------------------------------------------------------------


def _detail_context(request, cycle, **extra) -> dict:
    comments = list(cycle.comments.select_related("author"))
    ramp = list(
        PdsaCycle.objects.filter(change_idea_id=cycle.change_idea_id)
        .only("number", "objective", "status", "decision", "change_idea_id")
        .order_by("number")
    )
    return _context(
        request,
        cycle=cycle,
        idea=cycle.change_idea,
        ramp=ramp,
        measures=list(cycle.measures.order_by("code")),
        attachments=list(cycle.attachments.select_related("uploaded_by")),
        comments=comments,
        comment_form=extra.pop("comment_form", None) or CommentForm(),
        comment_url=reverse("pdsa:pdsa_comment", kwargs={"org": cycle.organisation.slug, "pk": cycle.pk}),
        attachment_form=extra.pop("attachment_form", None) or AttachmentForm(),
        **extra,
    )


@access.requires("view_workspace")
def pdsa_detail(request, org, pk):
    cycle = _cycle(request, pk)
    context = _detail_context(request, cycle)
    _mark_read(request.user, context["comments"])
    return render(request, "pdsa/pdsa_detail.html", context)


@access.requires("log_work")
def pdsa_plan(request, org, pk):
    cycle = _cycle(request, pk)
    key = f"cycle-{cycle.pk}-plan"
    initial = _draft_initial(_draft(request, key), PlanForm) if request.method != "POST" else None
    form = PlanForm(request.POST or None, instance=cycle, initial=initial)
    if request.method == "POST":
        try:
            valid = form.is_valid()
        except ValidationError as e:  # the model's safety net, should the form ever miss it
            valid = False
            _apply_errors(form, e)
        if valid:
            try:
                form.save()
            except ValidationError as e:
                _apply_errors(form, e)
            else:
                _drop_draft(request, key)
                messages.success(request, "Plan saved.")
                return redirect("pdsa:pdsa_detail", org=org, pk=cycle.pk)
        cycle.refresh_from_db()
    return render(
        request,
        "pdsa/pdsa_plan.html",
        _context(request, form=form, cycle=cycle, draft_key=key),
        status=422 if form.is_bound else 200,
    )


def _recent_data(measures) -> list[SimpleNamespace]:
    """The linked measures' last periods for everyone, with the variation icon, in one query for the data."""
    results = progress.measure_signals(measures)
    rows = []
    for measure in measures:
        result = results.get(measure.pk)
        recent = []
        if result is not None:
            s = result.series
            for period, figure in list(zip(s.periods, s.figures, strict=True))[-RECENT_PERIODS:]:
                shown = "gap" if figure is None else f"{figure * result.scale:,.1f}{result.unit}"
                recent.append(SimpleNamespace(period=P.label(measure.frequency, period), figure=shown))
        rows.append(SimpleNamespace(measure=measure, result=result, recent=recent))
    return rows


STAGES = {
    "do": (DoForm, "record_do", "Do", "What was done and what happened"),
    "study": (StudyForm, "record_study", "Study", "Results compared with the prediction"),
    "act": (ActForm, "complete", "Act", "Adopt, adapt or abandon"),
}


def _stage(request, org, pk, stage: str):
    cycle = _cycle(request, pk)
    form_class, method, name, heading = STAGES[stage]
    key = f"cycle-{cycle.pk}-{stage}"
    extra = {"idea": cycle.change_idea} if stage == "act" else {}
    if request.method == "POST":
        form = form_class(request.POST, **extra)
        if form.is_valid():
            data = dict(form.cleaned_data)
            move_idea = data.pop("move_idea", False)
            try:
                with transaction.atomic():
                    getattr(cycle, method)(**data)
                    if move_idea:
                        _follow_decision(cycle, request.user)
            except ValidationError as e:
                _apply_errors(form, e)
                cycle.refresh_from_db()
            else:
                _drop_draft(request, key)
                done = {
                    "do": "Do recorded. The prediction is now frozen.",
                    "study": "Study recorded. Decide whether to adopt, adapt or abandon.",
                    "act": f"Cycle completed: {cycle.get_decision_display().lower()}.",
                }[stage]
                messages.success(request, done)
                return redirect("pdsa:pdsa_detail", org=org, pk=cycle.pk)
    else:
        initial = {name: getattr(cycle, name) for name in form_class.base_fields if hasattr(cycle, name)}
        initial.update(_draft_initial(_draft(request, key), form_class))
        initial.pop("move_idea", None)
        form = form_class(initial=initial, **extra)
    blocked = ""
    if stage == "study" and not cycle.do_finished:
        blocked = "This cycle cannot be studied before it is done: record in Do what happened and the actual dates."
    elif stage == "act" and cycle.status not in (PdsaCycle.Status.STUDYING, PdsaCycle.Status.COMPLETED):
        blocked = "Study the cycle before deciding: compare the results with the prediction first."
    elif stage == "do" and cycle.status in (PdsaCycle.Status.STUDYING, PdsaCycle.Status.COMPLETED):
        blocked = "The Do stage is closed: this cycle has moved on to " + cycle.get_status_display().lower() + "."
    measures = list(cycle.measures.select_related("chart_settings").order_by("code")) if stage == "study" else []
    return render(
        request,
        "pdsa/pdsa_stage.html",
        _context(
            request,
            cycle=cycle,
            form=form,
            stage=stage,
            stage_name=name,
            heading=heading,
            blocked=blocked,
            draft_key=key,
            recent=_recent_data(measures) if measures else [],
        ),
        status=422 if form.is_bound else 200,
    )


def _follow_decision(cycle, user) -> None:
    """Move the cycle's change idea to the stage its Act decision points to, with the cycle as evidence."""
    idea = cycle.change_idea
    target = DECISION_STAGES.get(cycle.decision)
    if target is None or target == idea.stage or target not in STAGE_MOVES[idea.stage]:
        return
    evidence = f"Cycle {cycle.number}: {cycle.get_decision_display().lower()}. {cycle.results or cycle.learning}"
    ChangeIdeaMove.record(idea, target, by=user, evidence=evidence.strip()[:2000], cycles=[cycle])


@access.requires("log_work")
def pdsa_do(request, org, pk):
    return _stage(request, org, pk, "do")


@access.requires("log_work")
def pdsa_study(request, org, pk):
    return _stage(request, org, pk, "study")


@access.requires("log_work")
def pdsa_act(request, org, pk):
    return _stage(request, org, pk, "act")


@require_POST
@access.requires("comment")
def pdsa_comment(request, org, pk):
    cycle = _cycle(request, pk)
    form = CommentForm(request.POST)
    if not form.is_valid():
        return render(request, "pdsa/pdsa_detail.html", _detail_context(request, cycle, comment_form=form), status=422)
    feedback.post_comment(
        organisation=request.organisation, author=request.user, body=form.cleaned_data["body"], cycle=cycle
    )
    messages.success(request, "Comment added.")
    return redirect(reverse("pdsa:pdsa_detail", kwargs={"org": org, "pk": cycle.pk}) + "#comments")


# --- Attachments ------------------------------------------------------------------------


@require_POST
@access.requires("log_work")
def attachment_upload(request, org, pk):
    cycle = _cycle(request, pk)
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(
            request,
            "pdsa/pdsa_detail.html",
            _detail_context(request, cycle, attachment_form=form),
            status=422,
        )
    upload = form.cleaned_data["file"]
    attachment = PdsaAttachment(
        organisation=request.organisation,
        cycle=cycle,
        name=upload.name[-200:],
        kind=form.sniffed.kind,
        size=upload.size,
        uploaded_by=request.user,
    )
    attachment.file.save(upload.name, upload, save=False)
    attachment.save()
    messages.success(request, f"“{attachment.name}” attached.")
    return redirect(reverse("pdsa:pdsa_detail", kwargs={"org": org, "pk": cycle.pk}) + "#attachments")


@access.requires("view_workspace")
def attachment_download(request, org, pk):
    attachment = get_object_or_404(PdsaAttachment, pk=pk, organisation=request.organisation)
    # Attachments are 10 MB at most: read them whole, so that no storage handle outlives the
    # request even when a client never finishes reading the response.
    try:
        with attachment.file.open("rb") as handle:
            data = handle.read()
    except FileNotFoundError as e:
        raise Http404("The file is missing from storage.") from e
    response = FileResponse(
        io.BytesIO(data), as_attachment=True, filename=attachment.name, content_type="application/octet-stream"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# --- Change ideas -------------------------------------------------------------------------


@access.requires("view_workspace")
def change_idea_detail(request, org, pk):
    idea = _idea(request, pk)
    cycles = list(
        idea.pdsa_cycles.select_related("created_by")
        .prefetch_related(Prefetch("measures", queryset=Measure.objects.order_by("code")))
        .annotate(comment_count=Count("comments"), attachment_count=Count("attachments", distinct=True))
        .order_by("number")
    )
    moves = list(
        ChangeIdeaMove.objects.filter(change_idea=idea)
        .select_related("by")
        .prefetch_related("cycles", Prefetch("measures", queryset=Measure.objects.order_by("code")))
    )
    comments = list(Comment.objects.filter(change_idea=idea).select_related("author"))
    _mark_read(request.user, comments)
    return render(
        request,
        "pdsa/change_idea_detail.html",
        _context(
            request,
            idea=idea,
            project=idea.diagram.project,
            cycles=cycles,
            moves=moves,
            comments=comments,
            comment_form=CommentForm(),
            comment_url=reverse("pdsa:change_idea_comment", kwargs={"org": org, "pk": idea.pk}),
            measures=list(Measure.objects.filter(tracks=idea)),
            last=cycles[-1] if cycles else None,
        ),
    )


@access.requires("edit_plan")
def change_idea_move(request, org, pk):
    idea = _idea(request, pk)
    form = MoveForm(request.POST or None, idea=idea)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ChangeIdeaMove.record(
                idea,
                data["stage"],
                by=request.user,
                evidence=data["evidence"],
                cycles=data["cycles"],
                measures=data["measures"],
                spreading_to=data["spreading_to"],
                spread_target=data["spread_target"],
            )
        except ValidationError as e:
            _apply_errors(form, e)
        else:
            messages.success(request, f"“{idea.text}” moved to {idea.get_stage_display().lower()}.")
            return redirect("pdsa:change_idea_detail", org=org, pk=idea.pk)
    return render(
        request,
        "pdsa/change_idea_move.html",
        _context(request, idea=idea, form=form),
        status=422 if form.is_bound else 200,
    )


@require_POST
@access.requires("comment")
def change_idea_comment(request, org, pk):
    idea = _idea(request, pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        feedback.post_comment(
            organisation=request.organisation, author=request.user, body=form.cleaned_data["body"], change_idea=idea
        )
        messages.success(request, "Comment added.")
    else:
        messages.error(request, "Write a comment before posting it.")
    return redirect(reverse("pdsa:change_idea_detail", kwargs={"org": org, "pk": idea.pk}) + "#comments")


# --- Progress score and notifications -------------------------------------------------------


def _progress_page(request, project, form, status=200):
    return render(
        request,
        "pdsa/pdsa_progress.html",
        _context(
            request,
            project=project,
            form=form,
            history=ProgressScore.objects.filter(project=project).select_related("by")[:10],
            **progress.progress(project),
        ),
        status=status,
    )


@access.requires("view_workspace")
def progress_score(request, org, pk):
    project = get_object_or_404(ImprovementProject, pk=pk, organisation=request.organisation)
    form = ScoreForm() if access.can(request.user, "edit_plan", request.organisation) else None
    return _progress_page(request, project, form)


@require_POST
@access.requires("edit_plan")
def progress_override(request, org, pk):
    project = get_object_or_404(ImprovementProject, pk=pk, organisation=request.organisation)
    form = ScoreForm(request.POST)
    if not form.is_valid():
        return _progress_page(request, project, form, status=422)
    suggestion = progress.progress(project)["suggestion"]
    ProgressScore.objects.create(
        organisation=request.organisation,
        project=project,
        score=form.cleaned_data["score"],
        suggested=suggestion.score,
        reason=form.cleaned_data["reason"],
        by=request.user,
    )
    messages.success(request, f"Progress score set to {form.cleaned_data['score']}.")
    return redirect("pdsa:progress_score", org=org, pk=project.pk)


# --- Comments on local design and measure definitions ----------------------------


@require_POST
@access.requires("comment")
def diagram_comment(request, org, pk):
    project = get_object_or_404(ImprovementProject, pk=pk, organisation=request.organisation)
    theory = ChangeTheory.objects.filter(project=project, organisation=request.organisation).first()
    if theory is None:
        raise Http404("This project has no change theory yet.")
    form = CommentForm(request.POST)
    if form.is_valid():
        form.instance.organisation = request.organisation
        form.instance.change_theory = theory
        form.instance.author = request.user
        form.save()
        messages.success(request, "Comment added.")
    else:
        messages.error(request, "Write a comment before posting it.")
    return redirect(reverse("qi_projects:diagram", kwargs={"org": org, "pk": project.pk}) + "#comments")


@require_POST
@access.requires("comment")
def measure_comment(request, org, pk):
    measure = get_object_or_404(Measure, pk=pk, organisation=request.organisation)
    form = CommentForm(request.POST)
    if form.is_valid():
        form.instance.organisation = request.organisation
        form.instance.measure = measure
        form.instance.author = request.user
        form.save()
        messages.success(request, "Comment added.")
    else:
        messages.error(request, "Write a comment before posting it.")
    return redirect(reverse("measures:measure_detail", kwargs={"org": org, "pk": measure.pk}) + "#comments")
