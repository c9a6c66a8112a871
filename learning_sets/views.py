"""Learning sets: the members' list and pages, the national team's scheduling, registers and attendance,
calendar files and feeds, materials and feedback. Newsletters, case studies and resources: views_shared.py."""

from __future__ import annotations

import io
from datetime import timedelta

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.db.models import Avg, Count, Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from organisations import access, exports
from organisations.audit import record
from organisations.models import AuditEvent, Organisation
from organisations.notifications import mark_read

from . import audience, ical, scheduling
from .forms import (
    AgendaFormSet,
    CancelForm,
    FeedbackForm,
    LearningSetForm,
    MaterialForm,
    RegistrationForm,
    RescheduleForm,
    YearForm,
    YearSetForm,
    year_initial,
)
from .models import (
    SIGNIFICANT_FIELDS,
    AgendaItem,
    CalendarFeed,
    Feedback,
    LearningSet,
    Material,
    Refused,
    Registration,
)


def error_summary(*forms) -> list[tuple[str, str]]:
    """(link, message) for every error of the forms (and formsets), for the NHS.UK error summary."""
    rows = []
    for form in forms:
        if form is None or not form.is_bound:
            continue
        if hasattr(form, "forms"):
            rows += [("", e) for e in form.non_form_errors()]
            rows += error_summary(*form.forms)
            continue
        for name, errors in form.errors.items():
            href = ""
            if name in form.fields:
                field = form[name]
                several = isinstance(
                    field.field.widget,
                    django_forms.MultiWidget | django_forms.RadioSelect | django_forms.CheckboxSelectMultiple,
                )
                href = f"#{field.auto_id}_0" if several else f"#{field.auto_id}"
            rows += [(href, e) for e in errors]
    return rows


def _visible(request, pk: int, queryset=None) -> LearningSet:
    collaboratives = audience.collaboratives(request.user)
    national = audience.national_collaboratives(request.user)
    rows = (queryset if queryset is not None else LearningSet.objects).visible_to(collaboratives, national)
    return get_object_or_404(rows.select_related("collaborative"), pk=pk)


def _managed(request, pk: int) -> LearningSet:
    """A set of the national team's own collaborative (another collaborative's sets do not exist for them)."""
    national = audience.national_collaboratives(request.user)
    return get_object_or_404(LearningSet.objects.select_related("collaborative"), pk=pk, collaborative_id__in=national)


def _home_collaborative(request):
    collaborative = audience.home_collaborative(request.user)
    if collaborative is None:
        raise Http404("You are not in the national team of any collaborative.")
    return collaborative


def _notes(request, form) -> None:
    for note in getattr(form, "notes", []):
        messages.info(request, note)


# --- Members: the list, a set's page, registering ----------------------------------------


@access.requires("view_learning_sets")
def learning_set_list(request):
    user, now = request.user, timezone.now()
    national = audience.national_collaboratives(user)
    sets = list(
        LearningSet.objects.visible_to(audience.collaboratives(user), national)
        .with_places()
        .with_person(user)
        .order_by("starts_at", "pk")
    )
    feed = CalendarFeed.for_user(user)
    feed_url = (
        request.build_absolute_uri(reverse("learning_sets:calendar_feed", args=[feed.token])) if feed.token else ""
    )
    return render(
        request,
        "learning_sets/list.html",
        {
            "upcoming": [s for s in sets if s.ends_at > now],
            "past": [s for s in reversed(sets) if s.ends_at <= now],
            "feed": feed,
            "feed_url": feed_url,
            "may_schedule": bool(national) and access.can(user, "schedule_learning_sets"),
            "may_see_results": access.can(user, "view_feedback_results"),
            "now": now,
        },
    )


def _detail_context(request, learning_set: LearningSet, **extra) -> dict:
    user = request.user
    agenda = list(learning_set.agenda.select_related("presenting_organisation"))
    national = learning_set.collaborative_id in audience.national_collaboratives(user)
    presenter = learning_set.is_presenter(user, agenda)
    registration = Registration.objects.filter(learning_set=learning_set, user=user).first()
    organisations = audience.organisations_for(user, learning_set.collaborative_id)
    materials = list(learning_set.materials.select_related("uploaded_by"))
    if not (national or presenter or learning_set.has_started()):
        materials = [m for m in materials if m.share_before]
    counts = learning_set.registrations.aggregate(
        taken=Count("pk", filter=Q(status=Registration.Status.REGISTERED)),
        waiting=Count("pk", filter=Q(status=Registration.Status.WAITING)),
    )
    position = None
    if registration is not None and registration.status == Registration.Status.WAITING:
        position = (
            learning_set.registrations.filter(status=Registration.Status.WAITING)
            .filter(
                Q(queued_at__lt=registration.queued_at) | Q(queued_at=registration.queued_at, pk__lt=registration.pk)
            )
            .count()
            + 1
        )
    register_form = extra.pop("register_form", None) or RegistrationForm(organisations=organisations)
    return {
        "learning_set": learning_set,
        "agenda": agenda,
        "registration": registration if registration is not None and registration.is_active else None,
        "position": position,
        "counts": counts,
        "full": counts["taken"] >= learning_set.capacity,
        "materials": materials,
        "national": national,
        "may_upload": national or presenter,
        "may_register": access.can(user, "register_learning_sets"),
        "register_form": register_form,
        "material_form": extra.pop("material_form", None) or MaterialForm(),
        "feedback_refusal": learning_set.feedback_refusal(user) if learning_set.has_ended() else None,
        "errors": error_summary(register_form, extra.get("bound_material_form")),
        "now": timezone.now(),
        **extra,
    }


@access.requires("view_learning_sets")
def learning_set_detail(request, pk):
    learning_set = _visible(request, pk)
    return render(request, "learning_sets/detail.html", _detail_context(request, learning_set))


@require_POST
@access.requires("register_learning_sets")
def register(request, pk):
    learning_set = _visible(request, pk)
    organisations = audience.organisations_for(request.user, learning_set.collaborative_id)
    form = RegistrationForm(request.POST, organisations=organisations)
    if form.is_valid():
        try:
            registration = learning_set.register(
                request.user, organisation_id=form.organisation_id(organisations), needs=form.cleaned_data["needs"]
            )
        except Refused as e:
            form.add_error(None, str(e))
    if form.errors:
        context = _detail_context(request, learning_set, register_form=form)
        return render(request, "learning_sets/detail.html", context, status=422)
    if registration.status == Registration.Status.REGISTERED:
        messages.success(
            request, f"You have a place at {learning_set.title}. We have emailed you a calendar invitation."
        )
    else:
        messages.success(
            request,
            f"{learning_set.title} is full, so you are on the waiting list. "
            "If a place comes free it goes to the first on the list, and we will tell you.",
        )
    return redirect(learning_set)


@require_POST
@access.requires("register_learning_sets")
def withdraw(request, pk):
    learning_set = _visible(request, pk)
    try:
        learning_set.withdraw(request.user)
    except Refused as e:
        messages.error(request, str(e))
    else:
        messages.success(request, f"You are no longer registered for {learning_set.title}.")
    return redirect(learning_set)


def _ics_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@access.requires("view_learning_sets")
def learning_set_calendar(request, pk):
    learning_set = _visible(request, pk, LearningSet.objects.prefetch_related("agenda"))
    return _ics_response(ical.download(learning_set), f"learning-set-{learning_set.local_start:%Y-%m-%d}.ics")


# --- The calendar feed ---------------------------------------------------------------


@login_not_required
def calendar_feed(request, token):
    """A person's private feed: no sign-in (calendars cannot sign in), only the unguessable token."""
    feed = CalendarFeed.objects.filter(token=token, revoked_at=None).select_related("user").first()
    if feed is None or not feed.user.is_active or not access.can(feed.user, "view_learning_sets"):
        raise Http404("No such calendar feed.")
    sets = (
        LearningSet.objects.filter(
            registrations__user=feed.user,
            registrations__status=Registration.Status.REGISTERED,
            status__in=[LearningSet.Status.PUBLISHED, LearningSet.Status.CANCELLED],
            ends_at__gte=timezone.now() - timedelta(days=365),
        )
        .prefetch_related("agenda")
        .order_by("starts_at")
    )
    response = HttpResponse(ical.feed(sets), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="amhe-learning-sets.ics"'
    response["Cache-Control"] = "private, max-age=900"
    return response


@require_POST
@access.requires("view_learning_sets")
def feed_revoke(request):
    CalendarFeed.for_user(request.user).revoke()
    messages.success(request, "Your calendar link no longer works. Calendars subscribed to it stop updating.")
    return redirect(reverse("learning_sets:list") + "#calendar")


@require_POST
@access.requires("view_learning_sets")
def feed_renew(request):
    CalendarFeed.for_user(request.user).renew()
    messages.success(request, "You have a new calendar link; the old one no longer works.")
    return redirect(reverse("learning_sets:list") + "#calendar")


# --- The national team: create, schedule a year, edit, publish, reschedule, cancel -------------


@access.requires("schedule_learning_sets")
def learning_set_create(request):
    collaborative = _home_collaborative(request)
    initial = {"capacity": 150, "start_time": "10:00", "end_time": "15:30"}
    form = LearningSetForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        learning_set = LearningSet.objects.create(collaborative=collaborative, created_by=request.user, **form.values())
        record(AuditEvent.Action.CREATE, request=request, obj=learning_set, summary=f"Created {learning_set}")
        _notes(request, form)
        messages.success(request, f"{learning_set.title} is saved as a draft. Publish it when it is ready.")
        return redirect(learning_set)
    return render(
        request,
        "learning_sets/form.html",
        {"form": form, "errors": error_summary(form), "heading": "Create a learning set", "button": "Save as draft"},
        status=422 if form.is_bound else 200,
    )


@access.requires("schedule_learning_sets")
def schedule_year(request):
    """Pick a year and a weekday, adjust the four proposed sets, publish them in one step."""
    collaborative = _home_collaborative(request)
    source = request.POST if request.method == "POST" else (request.GET or None)
    year_form = YearForm(source)
    set_forms, status = [], 200
    if request.method == "POST":
        set_forms = [YearSetForm(request.POST, number=n) for n in range(1, 5)]
        if year_form.is_valid() and all(f.is_valid() for f in set_forms):
            created = _create_year(request, collaborative, set_forms, publish="draft" not in request.POST)
            state = "saved as drafts" if "draft" in request.POST else "published: members can register now"
            messages.success(
                request, f"The {len(created)} learning sets of {year_form.cleaned_data['year']} are {state}."
            )
            return redirect("learning_sets:list")
        status = 422
    elif year_form.is_valid():
        year = year_form.cleaned_data["year"]
        dates = scheduling.propose_year(year, year_form.cleaned_data["weekday"])
        set_forms = [YearSetForm(number=n, initial=year_initial(year, d, n)) for n, d in enumerate(dates, start=1)]
    context = {
        "year_form": year_form,
        "set_forms": set_forms,
        "errors": error_summary(*set_forms),
        "collaborative": collaborative,
        "weekday": scheduling.WEEKDAYS[year_form.cleaned_data["weekday"]] if year_form.is_valid() else "",
    }
    return render(request, "learning_sets/schedule_year.html", context, status=status)


def _create_year(request, collaborative, set_forms, *, publish: bool) -> list[LearningSet]:
    now = timezone.now()
    with transaction.atomic():
        created = [
            LearningSet.objects.create(
                collaborative=collaborative,
                created_by=request.user,
                status=LearningSet.Status.PUBLISHED if publish else LearningSet.Status.DRAFT,
                published_at=now if publish else None,
                **form.values(),
            )
            for form in set_forms
        ]
    for form in set_forms:
        _notes(request, form)
    for learning_set in created:
        record(AuditEvent.Action.CREATE, request=request, obj=learning_set, summary=f"Scheduled {learning_set}")
    return created


@access.requires("schedule_learning_sets")
def learning_set_edit(request, pk):
    learning_set = _managed(request, pk)
    if learning_set.is_cancelled:
        messages.error(request, "This learning set is cancelled: it cannot be changed.")
        return redirect(learning_set)
    form = LearningSetForm(
        request.POST or None, initial=LearningSetForm.initial_for(learning_set), keep_start=learning_set.starts_at
    )
    if request.method == "POST" and form.is_valid():
        try:
            changed = learning_set.change(form.values())
        except Refused as e:
            form.add_error("capacity", str(e))
        else:
            _notes(request, form)
            _audit_change(request, learning_set, changed)
            told = learning_set.is_published and changed & SIGNIFICANT_FIELDS
            messages.success(
                request,
                "Saved. Everyone registered has been sent an updated calendar invitation."
                if told
                else "Saved."
                if changed
                else "Nothing changed.",
            )
            return redirect(learning_set)
    return render(
        request,
        "learning_sets/form.html",
        {
            "form": form,
            "errors": error_summary(form),
            "learning_set": learning_set,
            "heading": f"Edit {learning_set.title}",
            "button": "Save changes",
        },
        status=422 if form.is_bound else 200,
    )


@access.requires("schedule_learning_sets")
def learning_set_reschedule(request, pk):
    learning_set = _managed(request, pk)
    initial = LearningSetForm.initial_for(learning_set)
    form = RescheduleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            learning_set.change({"starts_at": data["starts_at"], "ends_at": data["ends_at"]}, message=data["message"])
        except Refused as e:
            form.add_error(None, str(e))
        else:
            _notes(request, form)
            _audit_change(request, learning_set, {"starts_at", "ends_at"})
            messages.success(
                request, f"{learning_set.title} is moved. Everyone registered has been sent the updated invitation."
            )
            return redirect(learning_set)
    return render(
        request,
        "learning_sets/reschedule.html",
        {"form": form, "errors": error_summary(form), "learning_set": learning_set},
        status=422 if form.is_bound else 200,
    )


@access.requires("schedule_learning_sets")
def learning_set_cancel(request, pk):
    learning_set = _managed(request, pk)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            told = learning_set.cancel(form.cleaned_data["reason"])
        except Refused as e:
            form.add_error(None, str(e))
        else:
            record(AuditEvent.Action.UPDATE, request=request, obj=learning_set, summary=f"Cancelled {learning_set}")
            messages.success(request, f"{learning_set.title} is cancelled; {told} registered people have been told.")
            return redirect(learning_set)
    return render(
        request,
        "learning_sets/cancel.html",
        {"form": form, "errors": error_summary(form), "learning_set": learning_set},
        status=422 if form.is_bound else 200,
    )


@require_POST
@access.requires("schedule_learning_sets")
def learning_set_publish(request, pk):
    learning_set = _managed(request, pk)
    try:
        learning_set.publish()
    except Refused as e:
        messages.error(request, str(e))
    else:
        record(AuditEvent.Action.UPDATE, request=request, obj=learning_set, summary=f"Published {learning_set}")
        messages.success(request, f"{learning_set.title} is published: members can register now.")
    return redirect(learning_set)


def _audit_change(request, learning_set, changed) -> None:
    if changed:
        summary = f"Changed {', '.join(sorted(changed))} of {learning_set}"
        record(AuditEvent.Action.UPDATE, request=request, obj=learning_set, summary=summary[:300])


def _enrolled_organisations(learning_set):
    return Organisation.objects.filter(
        enrolments__collaborative_id=learning_set.collaborative_id, enrolments__active=True
    ).order_by("name")


@access.requires("schedule_learning_sets")
def agenda_edit(request, pk):
    learning_set = _managed(request, pk)
    items = list(learning_set.agenda.all())
    initial = [
        {
            "start_time": scheduling.to_london(i.starts_at).strftime("%H:%M"),
            "end_time": scheduling.to_london(i.ends_at).strftime("%H:%M"),
            "title": i.title,
            "presenting_organisation": i.presenting_organisation_id,
            "speakers": i.speakers,
        }
        for i in items
    ]
    formset = AgendaFormSet(
        request.POST or None,
        initial=initial,
        prefix="agenda",
        organisations=_enrolled_organisations(learning_set),
        learning_set=learning_set,
    )
    if request.method == "POST" and formset.is_valid():
        with transaction.atomic():
            learning_set.agenda.all().delete()
            for form in formset.forms:
                data = form.cleaned_data
                if not data or data.get("DELETE") or not form.has_changed() and not form.initial:
                    continue
                AgendaItem.objects.create(
                    learning_set=learning_set,
                    starts_at=data["starts_at"],
                    ends_at=data["ends_at"],
                    title=data["title"],
                    presenting_organisation=data["presenting_organisation"],
                    speakers=data["speakers"],
                )
        messages.success(request, "Agenda saved.")
        return redirect(learning_set)
    return render(
        request,
        "learning_sets/agenda.html",
        {"formset": formset, "errors": error_summary(formset), "learning_set": learning_set},
        status=422 if formset.is_bound else 200,
    )


# --- Registers and attendance --------------------------------------------------------------


@access.requires("schedule_learning_sets")
def registrations(request, pk):
    learning_set = _managed(request, pk)
    rows = list(
        learning_set.registrations.exclude(status=Registration.Status.CANCELLED)
        .select_related("user", "organisation")
        .order_by("status", "queued_at", "pk")
    )
    groups = {o.pk: {"organisation": o, "registered": [], "waiting": []} for o in _enrolled_organisations(learning_set)}
    staff = {"organisation": None, "registered": [], "waiting": []}
    for row in rows:
        group = (
            groups.setdefault(row.organisation_id, {"organisation": row.organisation, "registered": [], "waiting": []})
            if row.organisation_id
            else staff
        )
        group["registered" if row.status == Registration.Status.REGISTERED else "waiting"].append(row)
    ordered = sorted(groups.values(), key=lambda g: g["organisation"].name)
    if staff["registered"] or staff["waiting"]:
        ordered.append(staff)
    return render(
        request,
        "learning_sets/registrations.html",
        {
            "learning_set": learning_set,
            "groups": ordered,
            "nobody": [
                g["organisation"] for g in ordered if g["organisation"] and not (g["registered"] or g["waiting"])
            ],
            "taken": sum(len(g["registered"]) for g in ordered),
            "waiting": sum(len(g["waiting"]) for g in ordered),
        },
    )


@access.requires("schedule_learning_sets")
def registrations_export(request, pk):
    learning_set = _managed(request, pk)
    buffer = io.StringIO()
    writer = exports.csv_writer(buffer)  # every cell neutralised against formulas
    writer.writerow(["name", "email", "organisation", "status", "access_or_dietary_needs", "registered_at", "attended"])
    rows = (
        learning_set.registrations.exclude(status=Registration.Status.CANCELLED)
        .select_related("user", "organisation")
        .order_by("organisation__name", "status", "queued_at")
    )
    for row in rows:
        attended = {True: "yes", False: "no", None: ""}[row.attended]
        cells = [
            row.user.get_full_name(),
            row.user.email,
            row.organisation.name if row.organisation else "Programme team",
            row.get_status_display(),
            row.needs,
            f"{scheduling.to_london(row.created_at):%Y-%m-%d %H:%M}",
            attended,
        ]
        writer.writerow(cells)
    record(AuditEvent.Action.EXPORT, request=request, summary=f"Exported the register of {learning_set.title}"[:300])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="register-{learning_set.local_start:%Y-%m-%d}.csv"'
    return response


@access.requires("schedule_learning_sets")
def attendance(request, pk):
    learning_set = _managed(request, pk)
    rows = list(
        learning_set.registrations.filter(status=Registration.Status.REGISTERED)
        .select_related("user", "organisation")
        .order_by("organisation__name", "user__last_name", "user__email")
    )
    error = ""
    if request.method == "POST":
        present = {int(v) for v in request.POST.getlist("present") if v.isdigit()}
        try:
            came = learning_set.record_attendance(present)
        except Refused as e:
            error = str(e)
        else:
            messages.success(
                request, f"Attendance saved: {came} of {len(rows)} came. Each of them has been asked for feedback."
            )
            return redirect(learning_set)
    return render(
        request,
        "learning_sets/attendance.html",
        {"learning_set": learning_set, "rows": rows, "error": error},
        status=422 if error else 200,
    )


# --- Materials ------------------------------------------------------------------------------


@require_POST
@access.requires("download_materials")
def material_upload(request, pk):
    learning_set = _visible(request, pk)
    national = learning_set.collaborative_id in audience.national_collaboratives(request.user)
    if not (national or learning_set.is_presenter(request.user)):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied("Only presenters and the national team add materials.")
    form = MaterialForm(request.POST, request.FILES)
    if not form.is_valid():
        context = _detail_context(request, learning_set, material_form=form, bound_material_form=form)
        return render(request, "learning_sets/detail.html", context, status=422)
    upload = form.cleaned_data["file"]
    material = Material(
        learning_set=learning_set,
        title=form.cleaned_data["title"],
        name=upload.name[-200:],
        kind=form.sniffed.kind,
        size=upload.size,
        share_before=form.cleaned_data["share_before"],
        uploaded_by=request.user,
    )
    material.file.save(upload.name, upload, save=False)
    material.save()
    messages.success(request, f"“{material.title}” added.")
    return redirect(reverse("learning_sets:detail", args=[learning_set.pk]) + "#materials")


@access.requires("download_materials")
def material_download(request, pk):
    material = get_object_or_404(Material.objects.select_related("learning_set"), pk=pk)
    learning_set = _visible(request, material.learning_set_id)
    national = learning_set.collaborative_id in audience.national_collaboratives(request.user)
    shared = material.share_before or learning_set.has_started()
    if not (shared or national or learning_set.is_presenter(request.user)):
        raise Http404("Materials are shared once the learning set starts.")
    return attachment_response(material.file, material.name)


def attachment_response(file, name: str) -> FileResponse:
    """Always a download, never shown inline: the same as PDSA attachments. Files are 10 MB at most."""
    try:
        with file.open("rb") as handle:
            data = handle.read()
    except FileNotFoundError as e:
        raise Http404("The file is missing from storage.") from e
    response = FileResponse(
        io.BytesIO(data), as_attachment=True, filename=name, content_type="application/octet-stream"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# --- Feedback -------------------------------------------------------------------------------


@access.requires("give_feedback")
def feedback(request, pk):
    learning_set = _visible(request, pk)
    refusal = learning_set.feedback_refusal(request.user)
    form = FeedbackForm(request.POST or None)
    if request.method == "POST" and not refusal and form.is_valid():
        try:
            learning_set.give_feedback(request.user, **form.cleaned_data)
        except Refused as e:
            refusal = str(e)
        else:
            mark_read(request.user, [learning_set])
            messages.success(request, "Thank you: your feedback helps shape the next learning set.")
            return redirect("learning_sets:list")
    return render(
        request,
        "learning_sets/feedback.html",
        {"learning_set": learning_set, "form": form, "refusal": refusal, "errors": error_summary(form)},
        status=422 if request.method == "POST" else 200,
    )


@access.requires("view_feedback_results")
def feedback_results(request):
    """Per set and over time, without names: which aspects of the approach were helpful or unhelpful?"""
    collaboratives = access.principal(request.user).staff_collaborative_ids | audience.national_collaboratives(
        request.user
    )
    sets = list(
        LearningSet.objects.filter(collaborative_id__in=collaboratives, starts_at__lte=timezone.now())
        .exclude(status=LearningSet.Status.CANCELLED)
        .annotate(
            responses=Count("feedback", distinct=True),
            mean=Avg("feedback__usefulness"),
            attended=Count("registrations", filter=Q(registrations__attended=True), distinct=True),
            **{f"score_{n}": Count("feedback", filter=Q(feedback__usefulness=n), distinct=True) for n in range(1, 6)},
        )
        .order_by("starts_at")
    )
    comments: dict[int, list[Feedback]] = {}
    for row in Feedback.objects.filter(learning_set__in=[s.pk for s in sets]).order_by("learning_set", "submitted_at"):
        if row.helped or row.did_not_help or row.change:
            comments.setdefault(row.learning_set_id, []).append(row)
    for learning_set in sets:
        learning_set.scores = [getattr(learning_set, f"score_{n}") for n in range(5, 0, -1)]
        learning_set.comments = comments.get(learning_set.pk, [])
    figure = {
        "data": [
            {
                "type": "scatter",
                "mode": "lines+markers",
                "x": [f"{s.local_start:%Y-%m-%d}" for s in sets if s.mean is not None],
                "y": [round(s.mean, 2) for s in sets if s.mean is not None],
                "name": "Mean usefulness",
                "line": {"color": "#005eb8"},
            }
        ],
        "layout": {"yaxis": {"range": [0.5, 5.5], "title": {"text": "Usefulness (1 to 5)"}}, "showlegend": False},
        "config": {"displayModeBar": False},
    }
    return render(request, "learning_sets/feedback_results.html", {"sets": list(reversed(sets)), "figure": figure})
