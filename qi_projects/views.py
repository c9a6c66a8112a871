from collections import Counter
from datetime import date
from types import SimpleNamespace

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from collaborative.models import Collaborative, Enrolment
from organisations import access
from organisations.pages import form_status, org_context

from . import charts, diagram_svg, gates
from .forms import (
    AimForm,
    CoproductionForm,
    ElementAddForm,
    ElementEditForm,
    ElementForm,
    ElementMoveForm,
    FocusPopulationForm,
    ProfileCountsForm,
    ProfileForm,
    ProjectForm,
)
from .models import (
    CHILD_NOUN,
    PARENT_KIND,
    Adoption,
    ChangeTheory,
    CoproductionEntry,
    DiagramChanged,
    FocusPopulation,
    ImprovementProject,
    Kind,
    PopulationProfile,
    ProfileRow,
    ProgrammeChangeTheory,
    adoption_by_organisation,
    snapshot_tree,
)


def programme_for(organisation) -> Collaborative | None:
    return Collaborative.for_organisation(organisation)


# --- Overview and projects --------------------------------------------------------


@access.requires("view_workspace")
def local_design(request, org):
    organisation = request.organisation
    projects = (
        ImprovementProject.objects.filter(organisation=organisation)
        .prefetch_related("focus_populations", "measures")
        .select_related("change_theory")
    )
    profiles = PopulationProfile.objects.filter(organisation=organisation)
    entries = CoproductionEntry.objects.filter(organisation=organisation)
    return render(
        request,
        "qi_projects/local_design.html",
        org_context(
            request,
            projects=projects,
            profiles=profiles,
            coproduction_count=entries.count(),
            latest_entry=entries.first(),
            gate_items=gates.phase_one(organisation),
        ),
    )


@access.requires("edit_plan")
def project_create(request, org):
    form = ProjectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        project = form.save(commit=False)
        project.organisation = request.organisation
        project.created_by = request.user
        project.save()
        messages.success(request, f"Project “{project.title}” created. Next, describe its focus population.")
        return redirect("qi_projects:project_detail", org=org, pk=project.pk)
    return render(request, "qi_projects/project_form.html", org_context(request, form=form), status=form_status(form))


@access.requires("view_workspace")
def project_detail(request, org, pk):
    project = get_object_or_404(ImprovementProject, pk=pk, organisation=request.organisation)
    theory = ChangeTheory.objects.filter(project=project).first()
    return render(
        request,
        "qi_projects/project_detail.html",
        org_context(
            request,
            project=project,
            theory=theory,
            divergence=theory.divergence() if theory else None,
            focus_populations=project.focus_populations.all(),
            measures=project.measures.select_related("tracks"),
            programme=programme_for(request.organisation),
        ),
    )


@access.requires("edit_plan")
def project_edit(request, org, pk):
    project = get_object_or_404(ImprovementProject, pk=pk, organisation=request.organisation)
    form = ProjectForm(request.POST or None, instance=project)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Project saved.")
        return redirect("qi_projects:project_detail", org=org, pk=project.pk)
    return render(
        request,
        "qi_projects/project_form.html",
        org_context(request, form=form, project=project),
        status=form_status(form),
    )


# --- Focus populations ------------------------------------------------------------


@access.requires("edit_plan")
def focus_create(request, org, pk):
    project = get_object_or_404(ImprovementProject, pk=pk, organisation=request.organisation)
    form = FocusPopulationForm(request.POST or None, instance=FocusPopulation(organisation=request.organisation))
    if request.method == "POST" and form.is_valid():
        population = form.save(commit=False)
        population.project = project
        population.save()
        messages.success(request, f"Focus population “{population.name}” saved.")
        return redirect("qi_projects:project_detail", org=org, pk=project.pk)
    profiles = PopulationProfile.objects.filter(organisation=request.organisation)
    return render(
        request,
        "qi_projects/focus_form.html",
        org_context(request, form=form, project=project, profiles=profiles),
        status=form_status(form),
    )


@access.requires("edit_plan")
def focus_edit(request, org, pk):
    population = get_object_or_404(FocusPopulation, pk=pk, organisation=request.organisation)
    form = FocusPopulationForm(request.POST or None, instance=population)
    if request.method == "POST" and form.is_valid():
        population = form.save(commit=False)
        population.updated_at = timezone.now()
        population.save()
        messages.success(request, f"Focus population “{population.name}” saved.")
        return redirect("qi_projects:project_detail", org=org, pk=population.project_id)
    return render(
        request,
        "qi_projects/focus_form.html",
        org_context(request, form=form, project=population.project, population=population),
        status=form_status(form),
    )


@require_POST
@access.requires("edit_plan")
def focus_delete(request, org, pk):
    population = get_object_or_404(FocusPopulation, pk=pk, organisation=request.organisation)
    population.delete()
    messages.success(request, f"Focus population “{population.name}” removed.")
    return redirect("qi_projects:project_detail", org=org, pk=population.project_id)


# --- Population profiles ----------------------------------------------------------


@access.requires("edit_plan")
def profile_create(request, org):
    form = ProfileForm(request.POST or None, organisation=request.organisation)
    if request.method == "POST" and form.is_valid():
        profile = form.save(commit=False)
        profile.organisation = request.organisation
        profile.save()
        messages.success(request, "Profile created. Now enter or upload the counts for each group.")
        return redirect("qi_projects:profile_detail", org=org, pk=profile.pk)
    return render(request, "qi_projects/profile_form.html", org_context(request, form=form), status=form_status(form))


def _profile_page(request, profile, counts_form, status=200):
    rows = profile.representation()
    return render(
        request,
        "qi_projects/profile_detail.html",
        org_context(
            request,
            profile=profile,
            rows=rows,
            figure=charts.representation_figure(profile, rows) if rows else None,
            counts_form=counts_form,
        ),
        status=status,
    )


@access.requires("view_workspace")
def profile_detail(request, org, pk):
    profile = get_object_or_404(PopulationProfile, pk=pk, organisation=request.organisation)
    counts_form = None
    if access.can(request.user, "edit_plan", request.organisation):
        counts_form = ProfileCountsForm(profile=profile)
    return _profile_page(request, profile, counts_form)


@require_POST
@access.requires("edit_plan")
def profile_counts(request, org, pk):
    profile = get_object_or_404(PopulationProfile, pk=pk, organisation=request.organisation)
    form = ProfileCountsForm(request.POST, request.FILES, profile=profile)
    if not form.is_valid():
        return _profile_page(request, profile, form, status=422)
    with transaction.atomic():
        ProfileRow.objects.filter(profile=profile).delete()
        ProfileRow.objects.bulk_create(
            ProfileRow(organisation=profile.organisation, profile=profile, category=c, population=p, caseload=n)
            for c, (p, n) in form.cleaned_data["rows"].items()
        )
    messages.success(request, f"Counts saved for {len(form.cleaned_data['rows'])} groups.")
    return redirect("qi_projects:profile_detail", org=org, pk=profile.pk)


# --- Driver diagrams: shared by the programme and local change theories -------------


def _diagram_tree(diagram, elements, *, editing=None, failed=None, urls):
    """The live diagram as nested nodes, each with the forms the editor shows for it."""
    version = diagram.version
    by_parent: dict = {}
    for e in elements:
        by_parent.setdefault(e.parent_id, []).append(e)
    parents_of_kind = {
        kind: [(e.pk, e.text) for e in elements if e.kind == kind] for kind in (Kind.PRIMARY, Kind.SECONDARY)
    }

    def add_form(kind, parent):
        key = ("add", parent.pk if parent else None)
        if failed and failed[0] == key:
            form = failed[1]
        else:
            form = ElementAddForm(
                initial={"version": version, "kind": kind, "parent": parent.pk if parent else None},
                auto_id=f"add-{parent.pk if parent else 'top'}-%s",
            )
        form.fields["text"].label = f"New {Kind(kind).label.lower()}" + (f" under “{parent.text}”" if parent else "")
        return form

    def node(e, index, siblings):
        parent_kind = PARENT_KIND[e.kind]
        move_form = None
        if parent_kind and len(parents_of_kind[parent_kind]) > 1:
            move_form = ElementMoveForm(initial={"version": version, "element": e.pk}, auto_id=f"move-{e.pk}-%s")
            move_form.fields["parent"].choices = [
                (pk, text) for pk, text in parents_of_kind[parent_kind] if pk != e.parent_id
            ]
            move_form.fields["parent"].label = f"Move “{e.text}” under"
        edit_form = None
        if failed and failed[0] == ("edit", e.pk):
            edit_form = failed[1]
        elif editing == e.pk:
            edit_form = ElementEditForm(
                initial={"version": version, "element": e.pk, "text": e.text, "description": e.description},
                auto_id=f"edit-{e.pk}-%s",
            )
        if edit_form is not None:
            edit_form.fields["text"].label = f"{e.get_kind_display()}"
        children = by_parent.get(e.pk, [])
        child_kind = {Kind.PRIMARY: Kind.SECONDARY, Kind.SECONDARY: Kind.CHANGE_IDEA}.get(e.kind)
        return SimpleNamespace(
            element=e,
            id=e.pk,
            kind=e.kind,
            text=e.text,
            description=e.description,
            lineage=getattr(e, "lineage", ""),
            is_first=index == 0,
            is_last=index == len(siblings) - 1,
            edit_form=edit_form,
            move_form=move_form,
            add_form=add_form(child_kind, e) if child_kind else None,
            child_noun=CHILD_NOUN.get(e.kind, ""),
            children=[node(c, i, children) for i, c in enumerate(children)],
        )

    roots = [e for e in by_parent.get(None, []) if e.kind == Kind.PRIMARY]
    aim_form = (
        failed[1]
        if failed and failed[0] == ("aim", None)
        else AimForm(initial={"version": version, "aim": diagram.aim}, auto_id="aim-%s")
    )
    return SimpleNamespace(
        aim=diagram.aim,
        aim_form=aim_form,
        primaries=[node(e, i, roots) for i, e in enumerate(roots)],
        add_form=add_form(Kind.PRIMARY, None),
        version=version,
        urls=urls,
    )


def _editor(request, diagram, *, template_context, urls, status=200, notice="", error="", failed=None):
    editing = request.GET.get("edit")
    editing = int(editing) if editing and editing.isdigit() else None
    tree = _diagram_tree(diagram, diagram.live_elements(), editing=editing, failed=failed, urls=urls)
    context = {**template_context, "diagram": diagram, "tree": tree, "notice": notice, "error": error}
    template = "qi_projects/diagram_editor.html#editor" if request.htmx else "qi_projects/diagram_editor.html"
    return render(request, template, context, status=status)


CHANGE_FORMS = {
    "aim": AimForm,
    "add": ElementAddForm,
    "edit": ElementEditForm,
    "move": ElementMoveForm,
    "up": ElementForm,
    "down": ElementForm,
    "remove": ElementForm,
}


def _first_error(form) -> str:
    for errors in form.errors.values():
        return errors[0]
    return "Check the form."


def _refused_key(op: str, form) -> tuple:
    """Which editor row keeps what was typed when a change's form is refused."""
    if op == "add":
        return ("add", _int_or_none(form.data.get("parent")))
    if op == "edit":
        return ("edit", _int_or_none(form.data.get("element")))
    return (op, None)


def _run_change(diagram, op: str, data: dict, element, *, by):
    """Apply one validated edit as a new version; returns (summary, the element it concerned)."""
    version = data["version"]
    if op == "aim":
        return diagram.set_aim(data["aim"], by=by, based_on=version), element
    if op == "add":
        parent = diagram.elements.filter(pk=data["parent"], removed_at=None).first() if data["parent"] else None
        summary = diagram.add_element(data["kind"], data["text"], data["description"], parent, by=by, based_on=version)
        return summary, diagram.added
    if op == "edit":
        return diagram.update_element(element, data["text"], data["description"], by=by, based_on=version), element
    if op == "move":
        parent = diagram.elements.filter(pk=data["parent"], removed_at=None).first()
        return diagram.move_element(element, parent, by=by, based_on=version), element
    if op in ("up", "down"):
        return diagram.shift_element(element, -1 if op == "up" else 1, by=by, based_on=version), element
    return diagram.remove_element(element, by=by, based_on=version), element


def _apply_change(request, diagram, *, template_context, urls):
    """One POSTed edit of a driver diagram: apply it as a new version, or say why not (nothing saved)."""
    op = request.POST.get("op", "")
    form_class = CHANGE_FORMS.get(op)
    if form_class is None:
        return HttpResponseBadRequest("Unknown change.")
    form = form_class(request.POST)
    if op == "move":
        form.fields["parent"].choices = [
            (e.pk, e.text) for e in diagram.elements.filter(removed_at=None, kind__in=[Kind.PRIMARY, Kind.SECONDARY])
        ]
    element = None
    failed_key = (op, None)
    try:
        if form.is_valid():
            data = form.cleaned_data
            if "element" in data:
                element = diagram.elements.filter(pk=data["element"], removed_at=None).first()
                if element is None:
                    raise ValidationError("That element is no longer in the diagram.")
                failed_key = (op, element.pk)
            if op == "add":
                failed_key = ("add", data["parent"])
            summary, element = _run_change(diagram, op, data, element, by=request.user)
        else:
            failed_key = _refused_key(op, form)
            raise ValidationError(_first_error(form))
    except DiagramChanged as e:
        diagram.refresh_from_db()
        return _editor(
            request,
            diagram,
            template_context=template_context,
            urls=urls,
            status=409,
            error=str(e),
            failed=_keep(failed_key, form, diagram.version),
        )
    except ValidationError as e:
        diagram.refresh_from_db()
        return _editor(
            request,
            diagram,
            template_context=template_context,
            urls=urls,
            status=422,
            error=" ".join(e.messages),
            failed=_keep(failed_key, form, diagram.version),
        )
    if request.htmx:
        return _editor(
            request,
            diagram,
            template_context=template_context,
            urls=urls,
            notice=f"{summary}. Saved as version {diagram.version}.",
        )
    messages.success(request, f"{summary}. Saved as version {diagram.version}.")
    anchor = f"#element-{element.pk}" if element is not None and element.removed_at is None else ""
    return redirect(urls["editor"] + anchor)


def _int_or_none(value):
    return int(value) if value and str(value).isdigit() else None


def _keep(key, form, version):
    """The failed form, re-bound to the current version, so that what was typed is not lost."""
    if key[0] not in ("add", "edit", "aim"):
        return None
    data = form.data.copy()
    data["version"] = str(version)
    auto_id = "aim-%s" if key[0] == "aim" else f"{key[0]}-{key[1] or 'top'}-%s"
    # Left unvalidated here: its errors show when it renders, after the editor has set its label.
    return (key, type(form)(data, auto_id=auto_id))


def _history_context(diagram, request):
    """The version to show: ?version=N or ?on=YYYY-MM-DD, else the current diagram."""
    shown, as_of = None, None
    if request.GET.get("version", "").isdigit():
        shown = diagram.versions.filter(number=int(request.GET["version"])).first()
        if shown is None:
            raise Http404("No such version.")
    elif request.GET.get("on"):
        try:
            as_of = date.fromisoformat(request.GET["on"])
        except ValueError:
            as_of = None
        if as_of:
            shown = diagram.version_on(as_of)
    return shown, as_of


# --- Local change theories --------------------------------------------------------


def _local_urls(org, project):
    kwargs = {"org": org, "pk": project.pk}
    return {
        "editor": reverse("qi_projects:diagram_edit", kwargs=kwargs),
        "change": reverse("qi_projects:diagram_change", kwargs=kwargs),
        "view": reverse("qi_projects:diagram", kwargs=kwargs),
        "history": reverse("qi_projects:diagram_history", kwargs=kwargs),
    }


def _local_theory(request, pk):
    project = get_object_or_404(ImprovementProject, pk=pk, organisation=request.organisation)
    theory = ChangeTheory.objects.filter(project=project, organisation=request.organisation).first()
    return project, theory


@access.requires("view_workspace")
def diagram(request, org, pk):
    project, theory = _local_theory(request, pk)
    if theory is None:
        return render(
            request,
            "qi_projects/diagram_missing.html",
            org_context(request, project=project, programme=programme_for(request.organisation)),
        )
    shown, as_of = _history_context(theory, request)
    tree = shown.tree() if shown else snapshot_tree(theory.snapshot())
    idea_links = shown is None  # today's diagram: each change idea opens its page (PDSA cycles, lifecycle)

    def href_for(node):
        if idea_links and node.kind == Kind.CHANGE_IDEA:
            return reverse("pdsa:change_idea_detail", kwargs={"org": org, "pk": node.id})
        return f"#element-{node.id}"

    return render(
        request,
        "qi_projects/diagram.html",
        org_context(
            request,
            project=project,
            theory=theory,
            tree=tree,
            shown=shown,
            as_of=as_of,
            missing_on_date=bool(request.GET.get("on")) and shown is None,
            divergence=theory.divergence(),
            comments=theory.comments.select_related("author"),
            urls=_local_urls(org, project),
            show_lineage=True,
            drawing=diagram_svg.layout(tree, href_for),
            idea_links=idea_links,
        ),
    )


@require_POST
@access.requires("edit_plan")
def diagram_start(request, org, pk):
    project, theory = _local_theory(request, pk)
    if theory is None:
        collaborative = programme_for(request.organisation)
        programme = ProgrammeChangeTheory.objects.filter(collaborative=collaborative).first() if collaborative else None
        if request.POST.get("blank"):
            programme = None
        ChangeTheory.start(project, by=request.user, programme=programme)
        messages.success(
            request,
            "Your change theory starts as a copy of the programme change theory: adapt it to your focus population."
            if programme
            else "Your change theory has been started.",
        )
    return redirect("qi_projects:diagram_edit", org=org, pk=project.pk)


def _local_editor_context(request, project, theory):
    return org_context(
        request, project=project, theory=theory, level="local", heading=f"Change theory: {project.title}"
    )


@access.requires("edit_plan")
def diagram_edit(request, org, pk):
    project, theory = _local_theory(request, pk)
    if theory is None:
        return redirect("qi_projects:diagram", org=org, pk=project.pk)
    return _editor(
        request,
        theory,
        template_context=_local_editor_context(request, project, theory),
        urls=_local_urls(org, project),
    )


@require_POST
@access.requires("edit_plan")
def diagram_change(request, org, pk):
    project, theory = _local_theory(request, pk)
    if theory is None:
        raise Http404("This project has no change theory yet.")
    return _apply_change(
        request,
        theory,
        template_context=_local_editor_context(request, project, theory),
        urls=_local_urls(org, project),
    )


@access.requires("view_workspace")
def diagram_history(request, org, pk):
    project, theory = _local_theory(request, pk)
    if theory is None:
        raise Http404("This project has no change theory yet.")
    return render(
        request,
        "qi_projects/diagram_history.html",
        org_context(
            request,
            project=project,
            diagram=theory,
            versions=theory.versions.select_related("created_by"),
            urls=_local_urls(org, project),
        ),
    )


# --- The programme change theory (national team) -----------------------------------


def national_collaborative(request) -> Collaborative:
    collaborative = access.collaborative_for(request.user, request.GET.get("collaborative"))
    if collaborative is None:
        raise Http404("No collaborative.")
    return collaborative


def _programme_urls():
    return {
        "editor": reverse("qi_projects:programme_theory_edit"),
        "change": reverse("qi_projects:programme_theory_change"),
        "view": reverse("qi_projects:programme_theory"),
        "history": reverse("qi_projects:programme_theory_history"),
    }


@access.requires("view_programme")
def programme_theory(request):
    collaborative = national_collaborative(request)
    theory = ProgrammeChangeTheory.for_collaborative(collaborative)
    shown, as_of = _history_context(theory, request)
    tree = shown.tree() if shown else snapshot_tree(theory.snapshot())

    return render(
        request,
        "qi_projects/programme_theory.html",
        {
            "collaborative": collaborative,
            "theory": theory,
            "tree": tree,
            "drawing": diagram_svg.layout(tree, lambda node: f"#element-{node.id}"),
            "shown": shown,
            "as_of": as_of,
            "missing_on_date": bool(request.GET.get("on")) and shown is None,
            "urls": _programme_urls(),
            "can_manage": access.can(request.user, "manage_programme"),
        },
    )


def _programme_editor_context(collaborative):
    return {"collaborative": collaborative, "level": "programme", "heading": "Programme change theory"}


@access.requires("manage_programme")
def programme_theory_edit(request):
    collaborative = national_collaborative(request)
    theory = ProgrammeChangeTheory.for_collaborative(collaborative)
    return _editor(request, theory, template_context=_programme_editor_context(collaborative), urls=_programme_urls())


@access.requires("manage_programme")
def programme_theory_change(request):
    if request.method != "POST":
        return redirect("qi_projects:programme_theory_edit")
    collaborative = national_collaborative(request)
    theory = ProgrammeChangeTheory.for_collaborative(collaborative)
    return _apply_change(
        request, theory, template_context=_programme_editor_context(collaborative), urls=_programme_urls()
    )


@access.requires("view_programme")
def programme_theory_history(request):
    collaborative = national_collaborative(request)
    theory = ProgrammeChangeTheory.for_collaborative(collaborative)
    return render(
        request,
        "qi_projects/diagram_history.html",
        {
            "collaborative": collaborative,
            "diagram": theory,
            "versions": theory.versions.select_related("created_by"),
            "urls": _programme_urls(),
        },
    )


@access.requires("view_programme")
def programme_adoption(request):
    """For each programme driver and change idea, which organisations adopted, adapted or dropped it.

    Three queries whatever the number of organisations.
    """
    collaborative = national_collaborative(request)
    theory = ProgrammeChangeTheory.for_collaborative(collaborative)
    enrolments = Enrolment.objects.filter(
        collaborative=collaborative, active=True, organisation_id__in=access.visible_organisation_ids(request.user)
    ).select_related("organisation")
    organisations = [e.organisation for e in enrolments]
    statuses = adoption_by_organisation(theory, [o.pk for o in organisations])
    rows = []

    def walk(nodes, depth):
        for n in nodes:
            by_status = {s: [] for s in Adoption.values}
            for o in organisations:
                by_status[statuses.get((n.id, o.pk), Adoption.NOT_USED)].append(o)
            rows.append(SimpleNamespace(node=n, depth=depth, kind_label=Kind(n.kind).label, by_status=by_status))
            walk(n.children, depth + 1)

    walk(snapshot_tree(theory.snapshot()).primaries, 0)
    return render(
        request,
        "qi_projects/programme_adoption.html",
        {"collaborative": collaborative, "theory": theory, "rows": rows, "organisations": organisations},
    )


# --- Coproduction -----------------------------------------------------------------


@access.requires("view_workspace")
def coproduction(request, org):
    entries = list(CoproductionEntry.objects.filter(organisation=request.organisation).select_related("project"))
    counts = Counter((e.step, e.level) for e in entries)
    levels = CoproductionEntry.Level.choices
    summary = [
        SimpleNamespace(
            step=label,
            cells=[counts[(step, level)] for level, _ in levels],
            total=sum(counts[(step, level)] for level, _ in levels),
        )
        for step, label in CoproductionEntry.Step.choices
    ]
    return render(
        request,
        "qi_projects/coproduction.html",
        org_context(
            request,
            entries=entries,
            summary=summary,
            levels=[label for _, label in levels],
            level_totals=[sum(counts[(s, level)] for s, _ in CoproductionEntry.Step.choices) for level, _ in levels],
        ),
    )


@access.requires("edit_plan")
def coproduction_create(request, org):
    initial = {"date": timezone.localdate()}
    if request.GET.get("project", "").isdigit():
        initial["project"] = int(request.GET["project"])
    form = CoproductionForm(
        request.POST or None,
        instance=CoproductionEntry(organisation=request.organisation, created_by=request.user),
        organisation=request.organisation,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Coproduction session recorded.")
        return redirect("qi_projects:coproduction", org=org)
    return render(
        request, "qi_projects/coproduction_form.html", org_context(request, form=form), status=form_status(form)
    )


@access.requires("edit_plan")
def coproduction_edit(request, org, pk):
    entry = get_object_or_404(CoproductionEntry, pk=pk, organisation=request.organisation)
    form = CoproductionForm(request.POST or None, instance=entry, organisation=request.organisation)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Coproduction entry saved.")
        return redirect("qi_projects:coproduction", org=org)
    return render(
        request,
        "qi_projects/coproduction_form.html",
        org_context(request, form=form, entry=entry),
        status=form_status(form),
    )
