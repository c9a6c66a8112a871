"""The learning between learning sets: newsletters, case studies and the resource library."""

from __future__ import annotations

import io

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django_scopes import scopes_disabled

from measures.models import Measure
from organisations import access, exports
from organisations.audit import record
from organisations.models import AuditEvent, ProgrammeRole, Role
from organisations.notifications import notify, notify_many

from . import audience, charts, mail
from .forms import CaseStudyForm, NewsletterForm, ResourceForm, ResourceSearchForm, ReviewForm
from .models import CaseStudy, Newsletter, Preference, Resource, ResourcePage, Step
from .rendering import render_markdown
from .views import attachment_response, error_summary

# --- Newsletters ------------------------------------------------------------------------------


def _newsletters(request):
    """Sent newsletters of the person's collaboratives, and drafts where they are national team."""
    collaboratives = set(audience.collaboratives(request.user))
    national = audience.national_collaboratives(request.user)
    return Newsletter.objects.filter(
        Q(collaborative_id__in=collaboratives, status=Newsletter.Status.SENT) | Q(collaborative_id__in=national)
    ).select_related("created_by")


@access.requires("view_learning_sets")
def newsletter_list(request):
    return render(
        request,
        "learning_sets/newsletter_list.html",
        {
            "newsletters": list(_newsletters(request)),
            "may_send": access.can(request.user, "send_newsletters")
            and bool(audience.national_collaboratives(request.user)),
            "subscribed": Preference.wants_newsletters(request.user.pk),
        },
    )


@access.requires("view_learning_sets")
def newsletter_detail(request, pk):
    newsletter = get_object_or_404(_newsletters(request), pk=pk)
    national = newsletter.collaborative_id in audience.national_collaboratives(request.user)
    recipients = (
        len(audience.newsletter_recipients(newsletter.collaborative_id))
        if national and newsletter.status == Newsletter.Status.DRAFT
        else None
    )
    return render(
        request,
        "learning_sets/newsletter_detail.html",
        {"newsletter": newsletter, "html": newsletter.html, "national": national, "recipients": recipients},
    )


@access.requires("send_newsletters")
def newsletter_create(request):
    collaborative = audience.home_collaborative(request.user)
    if collaborative is None:
        raise PermissionDenied
    return _newsletter_form(request, Newsletter(collaborative=collaborative, created_by=request.user))


@access.requires("send_newsletters")
def newsletter_edit(request, pk):
    newsletter = get_object_or_404(
        Newsletter, pk=pk, collaborative_id__in=audience.national_collaboratives(request.user)
    )
    if newsletter.status != Newsletter.Status.DRAFT:
        messages.error(request, "This newsletter has been sent: it cannot be changed.")
        return redirect("learning_sets:newsletter_detail", pk=pk)
    return _newsletter_form(request, newsletter)


def _newsletter_form(request, newsletter: Newsletter):
    initial = {"subject": newsletter.subject, "body": newsletter.body} if newsletter.pk else None
    form = NewsletterForm(request.POST or None, initial=initial)
    preview = None
    if request.method == "POST" and form.is_valid():
        if "preview" in request.POST:
            preview = render_markdown(form.cleaned_data["body"])
        else:
            newsletter.subject, newsletter.body = form.cleaned_data["subject"], form.cleaned_data["body"]
            newsletter.updated_at = timezone.now()
            newsletter.save()
            messages.success(request, "Draft saved. Check the preview, then send it.")
            return redirect("learning_sets:newsletter_detail", pk=newsletter.pk)
    return render(
        request,
        "learning_sets/newsletter_form.html",
        {"form": form, "newsletter": newsletter, "preview": preview, "errors": error_summary(form)},
        status=422 if form.is_bound and form.errors else 200,
    )


@require_POST
@access.requires("send_newsletters")
def newsletter_send(request, pk):
    newsletter = get_object_or_404(
        Newsletter, pk=pk, collaborative_id__in=audience.national_collaboratives(request.user)
    )
    if newsletter.send(by=request.user):
        record(AuditEvent.Action.CREATE, request=request, obj=newsletter, summary=f"Sent newsletter {newsletter}"[:300])
        messages.success(request, f"“{newsletter.subject}” is being sent to every member of the collaborative.")
    else:
        messages.error(request, "This newsletter has already been sent.")
    return redirect("learning_sets:newsletter_detail", pk=pk)


@require_POST
@access.requires("view_learning_sets")
def newsletter_preferences(request):
    wanted = request.POST.get("newsletters") == "yes"
    Preference.set_newsletters(request.user.pk, wanted)
    messages.success(
        request, "You will be sent the newsletters." if wanted else "You will not be sent newsletters any more."
    )
    return redirect("learning_sets:newsletter_list")


@csrf_exempt  # one-click unsubscribe (RFC 8058) is a POST from the mail provider; the signed token is the proof
@login_not_required
def unsubscribe(request, token):
    try:
        user_id = mail.user_from_unsubscribe_token(token)
    except (signing.BadSignature, KeyError, ValueError, TypeError):
        return render(request, "learning_sets/unsubscribe.html", {"invalid": True}, status=400)
    done = False
    if request.method == "POST":
        Preference.set_newsletters(user_id, False)
        done = True
    return render(request, "learning_sets/unsubscribe.html", {"done": done, "token": token})


# --- Case studies: an organisation's own ---------------------------------------------------------


def _case_study(request, pk) -> CaseStudy:
    return get_object_or_404(CaseStudy.objects.select_related("organisation"), pk=pk, organisation=request.organisation)


def _org_measures(organisation):
    return Measure.objects.filter(organisation=organisation).order_by("code")


@access.requires("view_workspace")
def case_study_list(request, org):
    organisation = request.organisation
    return render(
        request,
        "learning_sets/case_study_list.html",
        {
            "organisation": organisation,
            "case_studies": CaseStudy.objects.filter(organisation=organisation),
            "may_submit": access.can(request.user, "submit_case_study", organisation),
        },
    )


@access.requires("submit_case_study")
def case_study_create(request, org):
    from collaborative.models import Enrolment

    enrolment = Enrolment.objects.filter(organisation=request.organisation, active=True).first()
    if enrolment is None:
        messages.error(request, "This organisation is not enrolled in a collaborative.")
        return redirect("learning_sets:case_study_list", org=org)
    case_study = CaseStudy(
        organisation=request.organisation, collaborative_id=enrolment.collaborative_id, created_by=request.user
    )
    return _case_study_form(request, case_study)


@access.requires("submit_case_study")
def case_study_edit(request, org, pk):
    case_study = _case_study(request, pk)
    if not case_study.editable:
        messages.error(request, "This case study is with the national team or approved: it cannot be changed now.")
        return redirect("learning_sets:case_study_detail", org=org, pk=pk)
    return _case_study_form(request, case_study)


def _case_study_form(request, case_study: CaseStudy):
    form = CaseStudyForm(request.POST or None, instance=case_study, measures=_org_measures(case_study.organisation))
    if request.method == "POST" and form.is_valid():
        case_study = form.save(commit=False)
        case_study.updated_at = timezone.now()
        case_study.save()
        form.save_m2m()
        if "submit" in request.POST:
            return _submit(request, case_study)
        messages.success(request, "Saved as a draft. Submit it to the national team when it is ready.")
        return redirect("learning_sets:case_study_detail", org=case_study.organisation.slug, pk=case_study.pk)
    return render(
        request,
        "learning_sets/case_study_form.html",
        {
            "form": form,
            "case_study": case_study,
            "organisation": case_study.organisation,
            "errors": error_summary(form),
        },
        status=422 if form.is_bound else 200,
    )


@access.requires("view_workspace")
def case_study_detail(request, org, pk):
    case_study = _case_study(request, pk)
    return render(
        request,
        "learning_sets/case_study_detail.html",
        {
            "case_study": case_study,
            "organisation": request.organisation,
            "panels": charts.measure_panels(case_study, raw=True),
            "may_submit": access.can(request.user, "submit_case_study", request.organisation),
            "may_review": access.can(request.user, "review_case_study", request.organisation),
            "review_form": ReviewForm(),
        },
    )


@require_POST
@access.requires("submit_case_study")
def case_study_submit(request, org, pk):
    return _submit(request, _case_study(request, pk))


def _submit(request, case_study: CaseStudy):
    claimed = CaseStudy.objects.filter(
        pk=case_study.pk, status__in=[CaseStudy.Status.DRAFT, CaseStudy.Status.CHANGES_REQUESTED]
    ).update(status=CaseStudy.Status.SUBMITTED, submitted_at=timezone.now(), submitted_by=request.user)
    if not claimed:
        messages.error(request, "This case study is already with the national team.")
    else:
        national = ProgrammeRole.objects.filter(collaborative_id=case_study.collaborative_id, role=Role.NATIONAL)
        notify_many(
            list(national.values_list("user_id", flat=True)),
            f"case_study_submitted:{timezone.now():%Y%m%d%H%M%S}",
            case_study,
            f"{case_study.organisation.name} submitted a case study: {case_study.title}",
            reverse(
                "learning_sets:case_study_detail", kwargs={"org": case_study.organisation.slug, "pk": case_study.pk}
            ),
            organisation=case_study.organisation_id,
        )
        messages.success(request, "Submitted: the national team will review it and tell you.")
    return redirect("learning_sets:case_study_detail", org=case_study.organisation.slug, pk=case_study.pk)


@access.requires("review_case_study")
def case_study_review(request, org, pk):
    case_study = _case_study(request, pk)
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and case_study.status != CaseStudy.Status.SUBMITTED:
        form.add_error(None, "This case study is not waiting for review.")
    if request.method == "POST" and form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        with transaction.atomic():
            case_study.status = CaseStudy.Status.APPROVED if approve else CaseStudy.Status.CHANGES_REQUESTED
            case_study.review_note = form.cleaned_data["note"]
            case_study.reviewed_at, case_study.reviewed_by = timezone.now(), request.user
            case_study.save()
            _tell_submitter(case_study, approve)
        messages.success(request, "Approved: it is in the gallery." if approve else "Sent back with your note.")
        return redirect("learning_sets:review_queue")
    return render(
        request,
        "learning_sets/case_study_review.html",
        {"case_study": case_study, "organisation": request.organisation, "form": form, "errors": error_summary(form)},
        status=422 if form.is_bound else 200,
    )


def _tell_submitter(case_study: CaseStudy, approved: bool) -> None:
    who = case_study.submitted_by or case_study.created_by
    text = (
        f"Your case study “{case_study.title}” is approved and in the gallery."
        if approved
        else f"The national team asked for changes to “{case_study.title}”."
    )
    notify(
        who,
        f"case_study_review:{case_study.reviewed_at:%Y%m%d%H%M%S}",
        case_study,
        text,
        reverse("learning_sets:case_study_detail", kwargs={"org": case_study.organisation.slug, "pk": case_study.pk}),
        organisation=case_study.organisation_id,
        detail=case_study.review_note,
    )


# --- Case studies across the collaborative: the gallery and the review queue ----------------------


def _gallery(request):
    # Approved case studies are shared with the whole collaborative: read across organisations.
    with scopes_disabled():
        return CaseStudy.objects.filter(
            status=CaseStudy.Status.APPROVED, collaborative_id__in=list(audience.collaboratives(request.user))
        ).select_related("organisation")


@access.requires("view_learning_sets")
def gallery(request):
    from organisations.models import Organisation

    with scopes_disabled():
        case_studies = list(_gallery(request).order_by("-reviewed_at"))
    own = [org_id for org_id in access.principal(request.user).team_roles]
    mine = [o for o in Organisation.objects.filter(pk__in=own) if access.can(request.user, "submit_case_study", o)]
    return render(request, "learning_sets/gallery.html", {"case_studies": case_studies, "mine": mine})


@access.requires("view_learning_sets")
def gallery_detail(request, pk):
    with scopes_disabled():
        case_study = get_object_or_404(_gallery(request), pk=pk)
    raw = case_study.organisation_id in access.visible_organisation_ids(request.user)
    return render(
        request,
        "learning_sets/gallery_detail.html",
        {"case_study": case_study, "panels": charts.measure_panels(case_study, raw=raw), "raw": raw},
    )


def _national_case_studies(request):
    national = audience.national_collaboratives(request.user)
    with scopes_disabled():
        return CaseStudy.objects.filter(collaborative_id__in=national).select_related("organisation")


@access.requires("manage_shared_work")
def review_queue(request):
    with scopes_disabled():
        rows = list(_national_case_studies(request).exclude(status=CaseStudy.Status.DRAFT).order_by("-updated_at"))
    return render(
        request,
        "learning_sets/review_queue.html",
        {
            "waiting": [c for c in rows if c.status == CaseStudy.Status.SUBMITTED],
            "changes": [c for c in rows if c.status == CaseStudy.Status.CHANGES_REQUESTED],
            "communications": [c for c in rows if c.for_communications],
            "approved": [c for c in rows if c.status == CaseStudy.Status.APPROVED],
        },
    )


@access.requires("manage_shared_work")
def communications_export(request):
    """Approved case studies consented for wider publication, for the communications team."""
    buffer = io.StringIO()
    writer = exports.csv_writer(buffer)  # every cell neutralised against formulas
    writer.writerow(["title", "organisation", "summary", "what_changed", "approved_on", "link"])
    with scopes_disabled():
        rows = list(
            _national_case_studies(request)
            .filter(status=CaseStudy.Status.APPROVED, consent_to_publish=True)
            .order_by("-reviewed_at")
        )
    for c in rows:
        link = settings.SITE_URL + reverse("learning_sets:gallery_detail", args=[c.pk])
        cells = [c.title, c.organisation.name, c.summary, c.what_changed, f"{c.reviewed_at:%Y-%m-%d}", link]
        writer.writerow(cells)
    record(AuditEvent.Action.EXPORT, request=request, summary="Exported case studies for the communications team")
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="case-studies-for-communications.csv"'
    return response


# --- The resource library ---------------------------------------------------------------------


def _resources(request):
    collaboratives = set(audience.collaboratives(request.user))
    rows = Resource.objects.filter(collaborative_id__in=collaboratives)
    if not audience.national_collaboratives(request.user):
        rows = rows.filter(published=True)
    return rows


def search_resources(rows, query: str):
    """PostgreSQL full-text search, ranked (title above summary); a word-by-word match elsewhere."""
    query = query.strip()
    if not query:
        return rows
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

        vector = SearchVector("title", weight="A", config="english") + SearchVector(
            "summary", weight="B", config="english"
        )
        search = SearchQuery(query, search_type="websearch", config="english")
        return rows.annotate(rank=SearchRank(vector, search)).filter(rank__gt=0).order_by("-rank", "title")
    for word in query.split()[:10]:
        rows = rows.filter(Q(title__icontains=word) | Q(summary__icontains=word))
    return rows


@access.requires("view_learning_sets")
def resource_list(request):
    form = ResourceSearchForm(request.GET or None)
    rows = _resources(request).prefetch_related("pages")
    query = ""
    if form.is_valid():
        data = form.cleaned_data
        if data["step"]:
            rows = rows.filter(step=data["step"])
        if data["category"]:
            rows = rows.filter(category=data["category"])
        query = data["q"]
        rows = search_resources(rows, query)
    resources = list(rows)
    steps = [(value, label, [r for r in resources if r.step == value]) for value, label in Step.choices]
    return render(
        request,
        "learning_sets/resource_list.html",
        {
            "form": form,
            "query": query,
            "resources": resources,
            "steps": [s for s in steps if s[2]] if query else steps,
            "may_curate": access.can(request.user, "manage_shared_work"),
        },
    )


@access.requires("manage_shared_work")
def resource_create(request):
    collaborative = audience.home_collaborative(request.user)
    if collaborative is None:
        raise PermissionDenied
    return _resource_form(request, Resource(collaborative=collaborative, created_by=request.user))


@access.requires("manage_shared_work")
def resource_edit(request, pk):
    resource = get_object_or_404(Resource, pk=pk, collaborative_id__in=audience.national_collaboratives(request.user))
    return _resource_form(request, resource)


def _resource_form(request, resource: Resource):
    form = ResourceForm(request.POST or None, request.FILES or None, instance=resource)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            resource = form.save(commit=False)
            upload = form.cleaned_data.get("upload")
            if upload:
                resource.file.save(upload.name, upload, save=False)
                resource.file_name, resource.file_kind, resource.file_size = (
                    upload.name[-200:],
                    form.sniffed.kind,
                    upload.size,
                )
            resource.updated_at = timezone.now()
            resource.save()
            ResourcePage.objects.filter(resource=resource).delete()
            ResourcePage.objects.bulk_create(
                [ResourcePage(resource=resource, page=key) for key in form.cleaned_data["pages"]]
            )
        record(AuditEvent.Action.UPDATE, request=request, obj=resource, summary=f"Saved resource {resource}"[:300])
        messages.success(request, f"“{resource.title}” saved.")
        return redirect("learning_sets:resource_list")
    return render(
        request,
        "learning_sets/resource_form.html",
        {"form": form, "resource": resource, "errors": error_summary(form)},
        status=422 if form.is_bound else 200,
    )


@access.requires("view_learning_sets")
def resource_download(request, pk):
    resource = get_object_or_404(_resources(request), pk=pk)
    if not resource.file:
        raise Http404("This resource is a link, not a document.")
    return attachment_response(resource.file, resource.file_name or "resource")
