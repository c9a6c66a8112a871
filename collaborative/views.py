from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Prefetch
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_scopes import scopes_disabled

from learning_sets import board as learning_set_flags
from organisations import access
from organisations.audit import record
from organisations.models import Assignment, AuditEvent, Invitation, Role
from organisations.tasks import send_invitation
from organisations.views import role_home

from . import charts, health, phases
from .forms import (
    AdjustPhaseForm,
    AssignmentForm,
    CoachingSessionForm,
    CollaborativeForm,
    EnrolmentForm,
    GatePassForm,
    InvoiceForm,
    MeetingActionFormSet,
    NamedPeopleForm,
    StartPhaseForm,
    TeamMeetingForm,
)
from .models import CoachingSession, Collaborative, Enrolment, Invoice, Phase, PhaseEvent, TeamMeeting

NO_MEETING_DAYS = 21


@login_not_required
@never_cache
def healthz(request):
    healthy, parts = health.status()
    return JsonResponse({"status": "ok" if healthy else "error", **parts}, status=200 if healthy else 503)


def home(request):
    return redirect(role_home(request.user))


def no_role(request):
    return render(request, "collaborative/no_role.html")


def national_collaborative(user) -> Collaborative:
    p = access.principal(user)
    return Collaborative.objects.filter(pk__in=p.collaborative_ids).first() or Collaborative.objects.first()


def invite_named(enrolment: Enrolment, by, request) -> None:
    """Invite the enrolment's named lead and sponsor, unless already invited or in the team."""
    from datetime import timedelta

    for role, email in ((Role.LEAD, enrolment.lead_email), (Role.SPONSOR, enrolment.sponsor_email)):
        if not email:
            continue
        email = email.lower()
        if Invitation.objects.pending().filter(organisation=enrolment.organisation, email=email, role=role).exists():
            continue
        if enrolment.organisation.memberships.filter(user__email=email, role=role).exists():
            continue
        invitation = Invitation.objects.create(
            email=email,
            role=role,
            organisation=enrolment.organisation,
            collaborative=enrolment.collaborative,
            invited_by=by,
            expires_at=timezone.now() + timedelta(days=14),
        )
        record(
            AuditEvent.Action.INVITE,
            request=request,
            organisation=enrolment.organisation,
            obj=invitation,
            summary=f"Invited {email} as {invitation.get_role_display()}",
        )
        send_invitation.delay_on_commit(invitation.pk)


def set_assignments(organisation, coach, experts) -> None:
    Assignment.objects.filter(organisation=organisation).delete()
    if coach:
        Assignment.objects.create(organisation=organisation, user=coach, role=Role.COACH)
    for expert in experts:
        Assignment.objects.create(organisation=organisation, user=expert, role=Role.EXPERT)


# --- National team: the board, enrolment, settings ------------------------------


FLAG_LABELS = {
    "no_lead": "No named project lead",
    "no_sponsor": "No named executive sponsor",
    "overrun": "Phase overrunning",
    "no_meeting": f"No team meeting in {NO_MEETING_DAYS} days",
    "overdue_invoice": "Invoice overdue",
    "no_learning_set": "Nobody registered for a learning set two weeks away",
}


def enrolment_flags(enrolment, today) -> list[str]:
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
    if getattr(enrolment, "nobody_registered_soon", False):  # annotated by the board
        flags.append("no_learning_set")
    return flags


@access.requires("view_programme")
def board(request):
    today = timezone.localdate()
    coaches = Assignment.objects.filter(role=Role.COACH).select_related("user")
    enrolments = (
        Enrolment.objects.filter(active=True, organisation_id__in=access.visible_organisation_ids(request.user))
        .with_flags(today)
        .annotate(nobody_registered_soon=learning_set_flags.nobody_registered_soon(timezone.now()))
        .select_related("organisation", "collaborative")
        .prefetch_related(
            Prefetch("phases", queryset=Phase.objects.order_by("number")),
            Prefetch("organisation__assignments", queryset=coaches, to_attr="coach_assignments"),
        )
    )
    phase_filter = request.GET.get("phase", "")
    coach_filter = request.GET.get("coach", "")
    flag_filter = request.GET.get("flag", "")
    rows = []
    for enrolment in enrolments:
        flags = enrolment_flags(enrolment, today)
        coach_list = [a.user for a in enrolment.organisation.coach_assignments]
        phase_list = list(enrolment.phases.all())
        finished = bool(phase_list) and all(p.actual_end for p in phase_list)
        phase_key = str(enrolment.current_phase or ("done" if finished else "not_started"))
        if phase_filter and phase_key != phase_filter:
            continue
        if coach_filter and coach_filter not in {str(c.pk) for c in coach_list}:
            continue
        if flag_filter and flag_filter not in flags:
            continue
        current = next((p for p in enrolment.phases.all() if p.is_current), None)
        rows.append(
            {
                "enrolment": enrolment,
                "organisation": enrolment.organisation,
                "phases": list(enrolment.phases.all()),
                "current": current,
                "progress": current.progress(today) if current else None,
                "coaches": coach_list,
                "flags": [(f, FLAG_LABELS[f]) for f in flags],
                "phase_key": phase_key,
            }
        )
    all_coaches = {a.user.pk: a.user for a in coaches}
    context = {
        "rows": rows,
        "today": today,
        "figure": charts.timeline_figure(rows, today),
        "phase_choices": [
            ("1", "Local design"),
            ("2", "Testing and scaling up"),
            ("3", "Sustaining"),
            ("not_started", "Not started"),
            ("done", "Completed"),
        ],
        "coach_choices": sorted(all_coaches.values(), key=lambda u: u.display_name),
        "flag_choices": FLAG_LABELS.items(),
        "filters": {"phase": phase_filter, "coach": coach_filter, "flag": flag_filter},
        "counts": {key: sum(1 for r in rows if key in dict(r["flags"])) for key in FLAG_LABELS},
    }
    return render(request, "collaborative/board.html", context)


@access.requires("manage_programme")
def enrol(request):
    collaborative = national_collaborative(request.user)
    form = EnrolmentForm(request.POST or None, collaborative=collaborative)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            organisation = form.organisation_to_enrol()
            data = form.cleaned_data
            enrolment = Enrolment.objects.with_scopes_disabled().create(
                collaborative=collaborative,
                organisation=organisation,
                start_date=data["start_date"],
                lead_name=data["lead_name"],
                lead_email=data["lead_email"],
                sponsor_name=data["sponsor_name"],
                sponsor_email=data["sponsor_email"],
            )
            # The organisation is new to this request's scope: enter it to plan its phases and fees.
            from django_scopes import scope

            with scope(organisation=[organisation.pk]):
                enrolment.plan_phases()
                enrolment.schedule_invoices()
                if data["coach"] or data["experts"]:  # an existing organisation keeps its support otherwise
                    set_assignments(organisation, data["coach"], data["experts"])
                invite_named(enrolment, request.user, request)
            access.forget(request.user)
        messages.success(request, f"{organisation.name} is enrolled.")
        return redirect("collaborative:phases", org=organisation.slug)
    return render(
        request,
        "collaborative/enrol.html",
        {"form": form, "collaborative": collaborative},
        status=422 if form.is_bound else 200,
    )


@access.requires("manage_programme")
def collaborative_settings(request):
    collaborative = national_collaborative(request.user)
    form = CollaborativeForm(request.POST or None, instance=collaborative)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Programme settings saved. New enrolments use them; existing plans keep theirs.")
        return redirect("collaborative:settings")
    return render(
        request,
        "collaborative/settings.html",
        {"form": form, "collaborative": collaborative},
        status=422 if form.is_bound else 200,
    )


@access.requires("view_evaluation")
def evaluation(request):
    """Across organisations, disclosure-controlled: where organisations are, and each measure's latest figures."""
    from django.db.models import OuterRef, Subquery

    from measures.disclosure import display, suppress_count, suppress_rate
    from measures.models import DataPoint

    today = timezone.localdate()
    # The evaluation reads every enrolled organisation, but only in aggregate and suppressed form:
    # a national-level path with no workspace access.
    collaboratives = access.principal(request.user).staff_collaborative_ids
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
        rate = suppress_rate(p.numerator, p.denominator) if p.denominator else None
        measure_rows.append(
            {
                "organisation": p.organisation.name,
                "code": p.measure.code,
                "name": p.measure.name,
                "period": p.period_start,
                "numerator": display(suppress_count(p.numerator)),
                "denominator": display(suppress_count(p.denominator)),
                "figure": (display(None) if rate is None else f"{rate * 100:.1f}%")
                if p.denominator
                else f"{p.value.normalize():f}"
                if p.value is not None
                else "",
            }
        )
    return render(request, "collaborative/evaluation.html", {"phase_rows": phase_rows, "measure_rows": measure_rows})


@access.requires("view_evaluation")
def evaluation_export(request):
    """Every data point of every enrolled organisation, suppressed, as CSV (streamed)."""
    import csv

    from django.http import StreamingHttpResponse

    from measures.disclosure import display, suppress_count, suppress_rate
    from measures.models import DataPoint

    class Echo:
        def write(self, value):
            return value

    collaboratives = access.principal(request.user).staff_collaborative_ids

    def rows():
        writer = csv.writer(Echo())
        yield writer.writerow(
            [
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
        )
        # Suppressed figures of the collaborative's organisations: the evaluation's national-level export.
        with scopes_disabled():
            enrolled = Enrolment.objects.filter(active=True, collaborative_id__in=collaboratives).values(
                "organisation_id"
            )
            points = (
                DataPoint.objects.filter(organisation_id__in=enrolled)
                .values_list(
                    "organisation__name",
                    "measure__code",
                    "measure__name",
                    "period_start",
                    "stratum",
                    "numerator",
                    "denominator",
                    "value",
                )
                .order_by("organisation__name", "measure__code", "stratum", "period_start")
                .iterator(chunk_size=5000)
            )
            for org, code, name, period, stratum, numerator, denominator, value in points:
                rate = suppress_rate(numerator, denominator) if denominator else None
                yield writer.writerow(
                    [
                        org,
                        code,
                        name,
                        period.isoformat(),
                        stratum,
                        "" if numerator is None else display(suppress_count(numerator)),
                        "" if denominator is None else display(suppress_count(denominator)),
                        # A rate to one decimal place of a percentage: exact rates beside rounded counts give them away.
                        "" if denominator is None else display(None if rate is None else f"{rate * 100:.1f}%"),
                        "" if value is None else f"{value.normalize():f}",
                    ]
                )

    record(AuditEvent.Action.EXPORT, request=request, summary="Exported the evaluation data set (suppressed)")
    response = StreamingHttpResponse(rows(), content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="amhe-evaluation-suppressed.csv"'
    return response


# --- One organisation's programme: phases, gates, people ------------------------


def _enrolment(request):
    enrolment = (
        Enrolment.objects.filter(organisation=request.organisation, active=True).select_related("collaborative").first()
    )
    if enrolment is None:
        from django.http import Http404

        raise Http404("This organisation is not enrolled.")
    return enrolment


@access.requires("view_workspace")
def phase_overview(request, org):
    return _phase_page(request)


def _phase_page(request, *, status=200, start_form=None, pass_form=None, tick=None):
    """The phases page; after a refused action, with the typed input and its message, answering 422."""
    enrolment = _enrolment(request)
    today = timezone.localdate()
    phase_list = list(enrolment.phases.all())
    current = next((p for p in phase_list if p.is_current), None)
    for phase in phase_list:
        phase.organisation = request.organisation
    gate = phases.gate_status(current) if current else []
    events = PhaseEvent.objects.filter(organisation=request.organisation).select_related("phase", "by")
    user, organisation = request.user, request.organisation
    context = {
        "organisation": organisation,
        "enrolment": enrolment,
        "phases": phase_list,
        "current": current,
        "gate": gate,
        "gate_complete": bool(gate) and all(s.done for s in gate),
        "events": events,
        "today": today,
        "assignments": Assignment.objects.filter(organisation=organisation).select_related("user"),
        "may_manage": access.can(user, "manage_enrolment", organisation),
        "may_sign_off": access.can(user, "sign_off_gate", organisation),
        "may_adjust": access.can(user, "adjust_phase", organisation),
        "start_form": start_form or StartPhaseForm(),
        "pass_form": pass_form or GatePassForm(),
        "tick": tick or {},
        "figure": charts.timeline_figure([{"organisation": organisation, "phases": phase_list}], today, height=220),
    }
    return render(request, "collaborative/phases.html", context, status=status)


@require_POST
@access.requires("manage_enrolment")
def phase_start(request, org):
    enrolment = _enrolment(request)
    form = StartPhaseForm(request.POST)
    if form.is_valid():
        try:
            phases.start_first_phase(enrolment, by=request.user, on_date=form.cleaned_data["on_date"])
        except ValidationError as error:
            _errors_to_form(form, error)
    if form.errors:
        return _phase_page(request, status=422, start_form=form)
    messages.success(request, "Local design has started.")
    return redirect("collaborative:phases", org=org)


@access.requires("adjust_phase")
def phase_adjust(request, org, number):
    enrolment = _enrolment(request)
    phase = get_object_or_404(Phase, enrolment=enrolment, number=number)
    form = AdjustPhaseForm(request.POST or None, initial={"new_end": phase.planned_end})
    if request.method == "POST" and form.is_valid():
        try:
            phases.adjust_phase(
                phase, new_end=form.cleaned_data["new_end"], reason=form.cleaned_data["reason"], by=request.user
            )
            messages.success(request, f"{phase} now ends on {phase.planned_end:%d %B %Y}.")
            return redirect("collaborative:phases", org=org)
        except ValidationError as error:
            _errors_to_form(form, error)
    return render(
        request,
        "collaborative/phase_adjust.html",
        {"organisation": request.organisation, "phase": phase, "form": form},
        status=422 if form.is_bound else 200,
    )


@require_POST
@access.requires("sign_off_gate")
def gate_tick(request, org, key):
    enrolment = _enrolment(request)
    current = phases.current_phase(enrolment)
    note = request.POST.get("note", "")
    try:
        if current is None:
            raise ValidationError("No phase is under way, so there is no gate to tick.")
        phases.tick_item(current, key=key, note=note, by=request.user)
    except ValidationError as error:
        return _phase_page(request, status=422, tick={"key": key, "note": note, "errors": error.messages})
    messages.success(request, "Gate item ticked.")
    return redirect("collaborative:phases", org=org)


@require_POST
@access.requires("sign_off_gate")
def gate_pass(request, org):
    enrolment = _enrolment(request)
    current = phases.current_phase(enrolment)
    form = GatePassForm(request.POST)
    following = None
    if current is None:
        form.add_error(None, "No phase is under way.")
    elif form.is_valid():
        try:
            following = phases.pass_gate(
                current, by=request.user, on_date=form.cleaned_data["on_date"], note=form.cleaned_data["note"]
            )
        except ValidationError as error:
            _errors_to_form(form, error)
    if form.errors:
        return _phase_page(request, status=422, pass_form=form)
    messages.success(
        request, f"Gate passed: {following} has started." if following else "Gate passed: the programme is complete."
    )
    return redirect("collaborative:phases", org=org)


@access.requires("manage_enrolment")
def people(request, org):
    enrolment = _enrolment(request)
    organisation = request.organisation
    current: dict[str, list[int]] = {}
    for assignment in Assignment.objects.filter(organisation=organisation):
        current.setdefault(assignment.role, []).append(assignment.user_id)
    named = NamedPeopleForm(request.POST or None, instance=enrolment, prefix="named")
    assign = AssignmentForm(
        request.POST or None,
        collaborative=enrolment.collaborative,
        prefix="assign",
        initial={"coach": (current.get(Role.COACH) or [None])[0], "experts": current.get(Role.EXPERT, [])},
    )
    if request.method == "POST" and named.is_valid() and assign.is_valid():
        with transaction.atomic():
            named.save()
            set_assignments(organisation, assign.cleaned_data["coach"], assign.cleaned_data["experts"])
            invite_named(enrolment, request.user, request)
        record(
            AuditEvent.Action.ROLE_CHANGE,
            request=request,
            organisation=organisation,
            summary="Changed the named lead, sponsor, coach or experts",
        )
        messages.success(request, "People saved.")
        return redirect("collaborative:phases", org=org)
    return render(
        request,
        "collaborative/people.html",
        {"organisation": organisation, "named": named, "assign": assign},
        status=422 if request.method == "POST" else 200,
    )


def _errors_to_form(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            for e in errors:
                form.add_error(field if field in form.fields else None, e)
    else:
        for message in error.messages:
            form.add_error(None, message)


# --- Team meetings and coaching -------------------------------------------------


@access.requires("view_workspace")
def meetings(request, org):
    organisation = request.organisation
    may_log = access.can(request.user, "log_work", organisation)
    if request.method == "POST" and not may_log:
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied
    form = TeamMeetingForm(request.POST or None, prefix="meeting")
    actions = MeetingActionFormSet(request.POST or None, prefix="actions", instance=TeamMeeting())
    if request.method == "POST" and form.is_valid() and actions.is_valid():
        with transaction.atomic():
            meeting = form.save(commit=False)
            meeting.organisation = organisation
            meeting.created_by = request.user
            meeting.save()
            for action_form in actions.forms:
                if action_form.has_changed():
                    action = action_form.save(commit=False)
                    action.meeting = meeting
                    action.organisation = organisation
                    action.save()
        messages.success(request, f"Meeting of {meeting.date:%d %B %Y} recorded.")
        return redirect("collaborative:meetings", org=org)
    listing = TeamMeeting.objects.filter(organisation=organisation).prefetch_related("actions")[:30]
    last = listing[0].date if listing else None
    overdue = last is None or (timezone.localdate() - last).days > NO_MEETING_DAYS
    return render(
        request,
        "collaborative/meetings.html",
        {
            "organisation": organisation,
            "meetings": listing,
            "form": form,
            "actions": actions,
            "may_log": may_log,
            "last": last,
            "overdue": overdue,
            "no_meeting_days": NO_MEETING_DAYS,
        },
        status=422 if request.method == "POST" else 200,
    )


@access.requires("view_workspace")
def coaching(request, org):
    organisation = request.organisation
    may_log = access.can(request.user, "log_coaching", organisation)
    if request.method == "POST" and not may_log:
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied
    form = CoachingSessionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        session = form.save(commit=False)
        session.organisation = organisation
        session.coach = request.user
        session.save()
        messages.success(request, f"Coaching session of {session.date:%d %B %Y} recorded.")
        return redirect("collaborative:coaching", org=org)
    sessions = CoachingSession.objects.filter(organisation=organisation).select_related("coach")[:50]
    return render(
        request,
        "collaborative/coaching.html",
        {"organisation": organisation, "sessions": sessions, "form": form, "may_log": may_log},
        status=422 if request.method == "POST" else 200,
    )


# --- Fees -------------------------------------------------------------------------


@access.requires("view_fees")
def fees(request, org):
    enrolment = _enrolment(request)
    today = timezone.localdate()
    invoices = list(Invoice.objects.filter(enrolment=enrolment))
    for invoice in invoices:
        invoice.current_status = invoice.status(today)
    totals = {k: sum(getattr(i, k) for i in invoices) for k in ("net_pence", "vat_pence", "gross_pence")}
    paid = sum(i.gross_pence for i in invoices if i.paid_on)
    return render(
        request,
        "collaborative/fees.html",
        {
            "organisation": request.organisation,
            "enrolment": enrolment,
            "invoices": invoices,
            "totals": totals,
            "paid": paid,
            "may_edit": access.can(request.user, "edit_fees", request.organisation),
        },
    )


@access.requires("edit_fees")
def invoice_edit(request, org, pk):
    enrolment = _enrolment(request)
    invoice = get_object_or_404(Invoice, pk=pk, enrolment=enrolment)
    form = InvoiceForm(request.POST or None, instance=invoice)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"Year {invoice.year} invoice saved.")
        return redirect("collaborative:fees", org=org)
    return render(
        request,
        "collaborative/invoice_edit.html",
        {"organisation": request.organisation, "invoice": invoice, "form": form},
        status=422 if form.is_bound else 200,
    )
