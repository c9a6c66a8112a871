from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from organisations import access, notifications
from organisations.audit import reads_across_organisations, record
from organisations.models import Assignment, AuditEvent, Invitation, Role

from . import charts, dashboards, health, phases
from . import sponsor as sponsor_page
from .dashboards import NO_MEETING_DAYS
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
    TeamAskAnswerForm,
    TeamAskForm,
    TeamMeetingForm,
)
from .models import CoachingSession, Collaborative, Enrolment, Invoice, Phase, PhaseEvent, TeamAsk, TeamMeeting


@login_not_required
@never_cache
def healthz(request):
    healthy, parts = health.status()
    return JsonResponse({"status": "ok" if healthy else "error", **parts}, status=200 if healthy else 503)


def home(request):
    return redirect(dashboards.role_home(request.user))


def no_role(request):
    return render(request, "collaborative/no_role.html")


def national_collaborative(user) -> Collaborative:
    return access.collaborative_for(user)


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
        invitation.send(request=request)


def set_assignments(organisation, coach, experts) -> None:
    Assignment.objects.filter(organisation=organisation).delete()
    if coach:
        Assignment.objects.create(organisation=organisation, user=coach, role=Role.COACH)
    for expert in experts:
        Assignment.objects.create(organisation=organisation, user=expert, role=Role.EXPERT)


# --- National team: the board, enrolment, settings ------------------------------


@reads_across_organisations("Viewed the programme board")
@access.requires("view_programme")
def board(request):
    filters = {key: request.GET.get(key, "") for key in ("phase", "coach", "flag")}
    context = dashboards.board(request.user, timezone.localdate(), filters)
    context["figure"] = charts.timeline_figure(context["rows"], context["today"])
    return render(request, "collaborative/board.html", context)


@access.requires("view_workspace")
def workspace(request, org):
    return render(request, "collaborative/workspace.html", dashboards.workspace(request.user, request.organisation))


@reads_across_organisations("Viewed the coach portfolio")
@access.requires("view_portfolio")
def portfolio(request):
    """A coach's organisations: where each is, what is flagged, and what changed since they last looked."""
    rows = dashboards.portfolio(request.user, timezone.localdate())
    return render(request, "collaborative/portfolio.html", {"rows": rows})


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
    names_were_allowed = collaborative.evaluation_names_allowed
    if request.method == "POST" and form.is_valid():
        form.save()
        if collaborative.evaluation_names_allowed != names_were_allowed:
            shown = "shown" if collaborative.evaluation_names_allowed else "hidden behind pseudonyms"
            record(
                AuditEvent.Action.UPDATE,
                request=request,
                obj=collaborative,
                summary=f"Organisations' names in the evaluation: now {shown}",
            )
        messages.success(
            request,
            "Programme settings saved. New enrolments use the phase plan and fees; existing plans keep theirs. "
            "Data deadlines apply to every organisation from now on.",
        )
        return redirect("collaborative:settings")
    return render(
        request,
        "collaborative/settings.html",
        {"form": form, "collaborative": collaborative},
        status=422 if form.is_bound else 200,
    )


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


@access.requires("view_workspace", post="log_work")
def meetings(request, org):
    organisation = request.organisation
    may_log = access.can(request.user, "log_work", organisation)
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


@access.requires("view_workspace", post="log_coaching")
def coaching(request, org):
    organisation = request.organisation
    may_log = access.can(request.user, "log_coaching", organisation)
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


# --- The sponsor's page, risks and asks ---------------------------------------------


@access.requires("view_workspace")
def sponsor(request, org):
    """Is it on track, and what do you need from me? One printable page."""
    return render(request, "collaborative/sponsor.html", sponsor_page.sponsor_view(request.user, request.organisation))


@access.requires("view_workspace", post="raise_ask")
def asks(request, org):
    """The team's risks and asks: the team raises and resolves them, the sponsor answers."""
    organisation = request.organisation
    form = TeamAskForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ask = form.save(commit=False)
        ask.organisation = organisation
        ask.raised_by = request.user
        ask.save()
        kind = ask.get_kind_display().lower()
        record(AuditEvent.Action.CREATE, request=request, organisation=organisation, obj=ask, summary=f"Raised {kind}")
        sponsors = organisation.memberships.filter(role=Role.SPONSOR).exclude(user=request.user)
        notifications.notify_many(
            sponsors.values_list("user_id", flat=True),
            "team_ask",
            ask,
            f"{organisation.name} raised {'a risk' if ask.kind == TeamAsk.Kind.RISK else 'an ask'}: {ask.text}",
            reverse("collaborative:ask_answer", kwargs={"org": org, "pk": ask.pk}),
            organisation=organisation,
        )
        messages.success(request, f"{ask.get_kind_display()} raised. Your sponsor sees it on their page.")
        return redirect("collaborative:asks", org=org)
    rows = list(TeamAsk.objects.filter(organisation=organisation).select_related("raised_by", "answered_by"))
    return render(
        request,
        "collaborative/asks.html",
        {
            "organisation": organisation,
            "form": form,
            "open": [a for a in rows if a.resolved_at is None],
            "resolved": [a for a in rows if a.resolved_at is not None][:30],
            "may_raise": access.can(request.user, "raise_ask", organisation),
            "may_answer": access.can(request.user, "answer_ask", organisation),
        },
        status=422 if request.method == "POST" else 200,
    )


@access.requires("answer_ask")
def ask_answer(request, org, pk):
    organisation = request.organisation
    ask = get_object_or_404(TeamAsk.objects.select_related("raised_by"), pk=pk, organisation=organisation)
    form = TeamAskAnswerForm(request.POST or None, instance=ask)
    if request.method == "POST" and form.is_valid():
        if form.has_changed() or ask.answered_at is None:  # the same answer sent again changes nothing
            _save_answer(request, form, org)
        messages.success(request, "Answer saved. The team sees it on the risks and asks page.")
        return redirect("collaborative:sponsor", org=org)
    return render(
        request,
        "collaborative/ask_answer.html",
        {"organisation": organisation, "ask": ask, "form": form},
        status=422 if form.is_bound else 200,
    )


def _save_answer(request, form, org) -> None:
    organisation = request.organisation
    ask = form.save(commit=False)
    ask.answered_by = request.user
    ask.answered_at = timezone.now()
    ask.save(update_fields=["answer", "answered_by", "answered_at"])
    record(AuditEvent.Action.UPDATE, request=request, organisation=organisation, obj=ask, summary="Answered")
    if ask.raised_by_id and ask.raised_by_id != request.user.pk:
        notifications.notify(
            ask.raised_by,
            "team_ask_answer",
            ask,
            f"Your sponsor answered: {ask.text}",
            reverse("collaborative:asks", kwargs={"org": org}),
            organisation=organisation,
        )


@require_POST
@access.requires("raise_ask")
def ask_resolve(request, org, pk):
    organisation = request.organisation
    ask = get_object_or_404(TeamAsk, pk=pk, organisation=organisation)
    if ask.resolved_at is None:
        ask.resolved_at, ask.resolved_by = timezone.now(), request.user
        ask.save(update_fields=["resolved_at", "resolved_by"])
        record(AuditEvent.Action.UPDATE, request=request, organisation=organisation, obj=ask, summary="Resolved")
    messages.success(request, f"{ask.get_kind_display()} marked resolved.")
    return redirect("collaborative:asks", org=org)


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
