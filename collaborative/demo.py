"""The demo collaborative: organisations, people and their roles. Idempotent."""

from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from measures import demo as measures_demo
from organisations.models import Assignment, Membership, Organisation, ProgrammeRole, Role
from qi_projects import demo as qi_demo
from qi_projects.pdsa import demo as pdsa_demo

from . import demo_reminders
from .models import CoachingSession, Collaborative, Enrolment, GateTick, Invoice, MeetingAction, PhaseEvent, TeamMeeting
from .phases import GATES

DEMO_PASSWORD = "amhe-demo-2026"
# A published secret so that anyone trying the demo can produce codes for the
# programme-staff accounts, which must use MFA (`manage.py demo_totp EMAIL`).
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

ORGANISATIONS = [
    ("Northshire Mental Health NHS Foundation Trust", "northshire", Organisation.Kind.MENTAL_HEALTH_TRUST),
    ("Riverside and Vale Partnership NHS Trust", "riverside-vale", Organisation.Kind.MENTAL_HEALTH_TRUST),
    ("Eastmoor Integrated Care Board", "eastmoor-icb", Organisation.Kind.INTEGRATED_CARE_BOARD),
    ("Westbrook Community Mind", "westbrook-mind", Organisation.Kind.VOLUNTARY_SECTOR),
    ("Southfield Mental Health NHS Trust", "southfield", Organisation.Kind.MENTAL_HEALTH_TRUST),
    ("Harbourside Integrated Care Board", "harbourside-icb", Organisation.Kind.INTEGRATED_CARE_BOARD),
]

# Their NHS England regions (for the evaluator package's organisation characteristics).
REGIONS = ["north_east_and_yorkshire", "midlands", "east_of_england", "south_west", "south_east", "north_west"]

# Enrolment dates put the six organisations in different phases on 2026-11-25.
ENROLMENT_STARTS = [
    date(2024, 1, 8),
    date(2024, 3, 4),
    date(2024, 9, 2),
    date(2025, 6, 2),
    date(2026, 7, 6),
    date(2026, 9, 7),
]
SPONSORS = ["Sam Adeyemi", "Grace Whitfield", "Imran Hussain", "Claire O'Neill", "David Mensah", ""]
# Gates passed: (organisation index, phase number, date passed). Everything else follows from the plan.
GATES_PASSED = [
    (0, 1, date(2024, 7, 31)),
    (0, 2, date(2026, 7, 31)),
    (1, 1, date(2024, 9, 3)),
    (2, 1, date(2025, 3, 1)),
    (3, 1, date(2026, 2, 1)),
]


def demo_accounts() -> list[tuple[str, str]]:
    """(email, what they are) for every demo login, in the order the README lists them."""
    accounts = [
        ("national@demo.example", "national team (MFA)"),
        ("coach1@demo.example", "QI coach, organisations 1-3 (MFA)"),
        ("coach2@demo.example", "QI coach, organisations 4-6 (MFA)"),
        ("evaluator@demo.example", "evaluator (MFA)"),
    ]
    accounts += [(f"lead{n}@demo.example", f"project lead, {ORGANISATIONS[n - 1][0]}") for n in range(1, 7)]
    accounts += [
        ("sponsor1@demo.example", f"executive sponsor, {ORGANISATIONS[0][0]}"),
        ("member1@demo.example", f"team member, {ORGANISATIONS[0][0]}"),
        ("partner1@demo.example", f"lived-experience partner, {ORGANISATIONS[0][0]}"),
        ("expert1@demo.example", "equality expert, organisations 1-3 (MFA)"),
    ]
    return accounts


def _user(email: str, first: str, last: str, *, mfa: bool = False):
    User = get_user_model()
    user, created = User.objects.get_or_create(email=email, defaults={"first_name": first, "last_name": last})
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    if mfa:
        from allauth.mfa.models import Authenticator
        from allauth.mfa.totp.internal.auth import TOTP

        if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
            TOTP.activate(user, DEMO_TOTP_SECRET)
    return user


@transaction.atomic
def seed() -> dict:
    """Create or complete the demo collaborative. Running it again changes nothing."""
    # Seeding writes every organisation's rows: a national-level path.
    with scopes_disabled():
        collaborative, _ = Collaborative.objects.get_or_create(
            slug="amhe-wave-1",
            defaults={"name": "Advancing mental health equality collaborative, wave 1", "start_date": date(2024, 1, 8)},
        )
        organisations = []
        for (name, slug, kind), start, region in zip(ORGANISATIONS, ENROLMENT_STARTS, REGIONS, strict=True):
            organisation, _ = Organisation.objects.get_or_create(slug=slug, defaults={"name": name, "kind": kind})
            if not organisation.region:
                Organisation.objects.filter(pk=organisation.pk).update(region=region)
            Enrolment.objects.get_or_create(
                collaborative=collaborative, organisation=organisation, active=True, defaults={"start_date": start}
            )
            organisations.append(organisation)

        national = _user("national@demo.example", "Nadia", "Okafor", mfa=True)
        ProgrammeRole.objects.get_or_create(collaborative=collaborative, user=national, role=Role.NATIONAL)
        evaluator = _user("evaluator@demo.example", "Evan", "Hughes", mfa=True)
        ProgrammeRole.objects.get_or_create(collaborative=collaborative, user=evaluator, role=Role.EVALUATOR)
        coaches = [
            _user("coach1@demo.example", "Priya", "Shah", mfa=True),
            _user("coach2@demo.example", "Tom", "Bennett", mfa=True),
        ]
        for coach in coaches:
            ProgrammeRole.objects.get_or_create(collaborative=collaborative, user=coach, role=Role.COACH)
        leads = []
        for index, organisation in enumerate(organisations):
            Assignment.objects.get_or_create(organisation=organisation, user=coaches[index // 3], role=Role.COACH)
            lead = _user(f"lead{index + 1}@demo.example", "Lead", f"{index + 1}")
            Membership.objects.get_or_create(organisation=organisation, user=lead, role=Role.LEAD)
            leads.append(lead)

        sponsor = _user("sponsor1@demo.example", "Sam", "Adeyemi")
        Membership.objects.get_or_create(organisation=organisations[0], user=sponsor, role=Role.SPONSOR)
        member = _user("member1@demo.example", "Morgan", "Lee")
        Membership.objects.get_or_create(organisation=organisations[0], user=member, role=Role.MEMBER)
        partner = _user("partner1@demo.example", "Ama", "Boateng")
        Membership.objects.get_or_create(organisation=organisations[0], user=partner, role=Role.LIVED_EXPERIENCE)
        expert = _user("expert1@demo.example", "Femi", "Oladipo", mfa=True)
        ProgrammeRole.objects.get_or_create(collaborative=collaborative, user=expert, role=Role.EXPERT)
        for organisation in organisations[:3]:
            Assignment.objects.get_or_create(organisation=organisation, user=expert, role=Role.EXPERT)
        seed_programme(collaborative, organisations, leads, national, coaches)
        qi_demo.seed(collaborative, organisations)
        measures_demo.seed_definitions(collaborative, organisations)
        pdsa_demo.seed(collaborative, organisations)
        measures_demo.seed(organisations)
        demo_reminders.seed(collaborative, organisations, leads, national, coaches)
        _demo_since_last_visit(organisations, leads, coaches[0])
    return {"collaborative": collaborative, "organisations": organisations}


def seed_programme(collaborative, organisations, leads, national, coaches) -> None:
    """Phases, gates, meetings, coaching and invoices, once per organisation."""
    today = timezone.localdate()
    for index, organisation in enumerate(organisations):
        enrolment = Enrolment.objects.get(collaborative=collaborative, organisation=organisation, active=True)
        if enrolment.phases.exists():
            continue  # already seeded: never duplicate history
        enrolment.lead_name, enrolment.lead_email = leads[index].display_name, leads[index].email
        if SPONSORS[index]:
            enrolment.sponsor_name = SPONSORS[index]
            enrolment.sponsor_email = "sponsor1@demo.example" if index == 0 else f"sponsor{index + 1}@demo.example"
        enrolment.save()
        phases = enrolment.plan_phases()
        enrolment.schedule_invoices()
        coach = coaches[index // 3]
        if index == 5:
            continue  # no named sponsor: local design cannot start yet
        _demo_phase_history(organisation, phases, index, national, coach)
        _demo_meetings(organisation, leads[index], index, today, phases[0].actual_start)
        _demo_coaching(organisation, coach, today, phases[0].actual_start)
        _demo_invoices(enrolment, index, today)


def _demo_phase_history(organisation, phases, index, national, coach) -> None:
    first = phases[0]
    first.actual_start = first.planned_start
    first.save()
    _phase_event(
        organisation=organisation, phase=first, kind=PhaseEvent.Kind.STARTED, on_date=first.actual_start, by=national
    )
    if index == 3:  # Westbrook took two months longer over local design
        old_end = first.planned_end
        first.planned_end = date(2026, 1, 31)
        first.save()
        _phase_event(
            organisation=organisation,
            phase=first,
            kind=PhaseEvent.Kind.EXTENDED,
            on_date=first.planned_end,
            by=coach,
            old_end=old_end,
            new_end=first.planned_end,
            reason="Community engagement with Black African and Caribbean groups took longer than planned.",
        )
    for org_index, number, passed_on in GATES_PASSED:
        if org_index != index:
            continue
        phase, following = phases[number - 1], phases[number] if number < 3 else None
        for item in GATES[number]:
            GateTick.objects.get_or_create(
                phase=phase,
                key=item.key,
                defaults={"organisation": organisation, "note": "Confirmed at the gate review.", "by": coach},
            )
        phase.actual_end = passed_on
        phase.save()
        _phase_event(
            organisation=organisation,
            phase=phase,
            kind=PhaseEvent.Kind.GATE_PASSED,
            on_date=passed_on,
            by=coach,
            reason="Gate review with the coach.",
        )
        if following is not None:
            shift = passed_on + timedelta(days=1) - following.planned_start
            for later in phases[number:]:
                later.planned_start += shift
                later.planned_end += shift
                later.save()
            following.actual_start = passed_on + timedelta(days=1)
            following.save()
            _phase_event(
                organisation=organisation,
                phase=following,
                kind=PhaseEvent.Kind.STARTED,
                on_date=following.actual_start,
                by=coach,
            )


def _phase_event(**fields) -> PhaseEvent:
    """Recorded on the day it took effect (not when the demo was seeded), so "since you last looked" and the
    phase history tell the demo's story rather than counting every past phase change as new."""
    moment = timezone.make_aware(datetime.combine(fields["on_date"], time(9)))
    return PhaseEvent.objects.create(at=min(moment, timezone.now()), **fields)


MEETING_NOTES = [
    "Reviewed this fortnight's data and the PDSA cycles under way.",
    "The lived-experience partners fed back on the new letter: plainer words, and a phone number on the first line.",
    "Data champion showed the breakdown by ethnicity: the gap for the focus group is narrowing on first contact.",
    "Short meeting: two cycles reviewed, one ready for Study; agreed who collects the tally sheets.",
    "Went through the coach's comments on the driver diagram and added a secondary driver on trust.",
    "Planned the next ramp with the community partner; agreed to test at the Saturday drop-in.",
]
COACHING_NOTES = [
    (
        "Went through the run chart together and planned the next PDSA cycle.",
        "Lead to share the driver diagram with the lived-experience group.",
    ),
    (
        "Looked at why the first test's take-up was low; the team had not asked the focus group first.",
        "Hold a conversation with two community groups before the next cycle.",
    ),
    (
        "Talked through the gap measure: the reference group is small, so the chart needs a few more months.",
        "Data champion to add the quarterly experience survey by ethnicity.",
    ),
    (
        "Reviewed the phase gate checklist; the measurement strategy still lacks a balancing measure.",
        "Add a balancing measure before the gate review.",
    ),
]


def _demo_meetings(organisation, lead, index, today, started) -> None:
    # Eastmoor (index 2) has not met for six weeks: the board flags it.
    last = today - timedelta(days=42 if index == 2 else 4 + index)
    day, meetings = last, []
    while day >= max(started, today - timedelta(days=180)):
        meetings.append(day)
        day -= timedelta(days=14)
    for n, day in enumerate(sorted(meetings)):
        meeting = TeamMeeting.objects.create(
            organisation=organisation,
            date=day,
            created_by=lead,
            attendees="Project lead\nData champion\nLived-experience partner\nService manager",
            notes=MEETING_NOTES[(n + index) % len(MEETING_NOTES)],
        )
        if n % 2 == 0:
            MeetingAction.objects.create(
                organisation=organisation,
                meeting=meeting,
                owner="Data champion",
                description="Refresh the monthly breakdown by ethnicity",
                due_on=day + timedelta(days=14),
                done=day < today - timedelta(days=14),
            )


def _demo_coaching(organisation, coach, today, started) -> None:
    for months_ago in (4, 3, 2, 1):
        day = today - timedelta(days=30 * months_ago + 3 + organisation.pk % 9)
        if day < started:
            continue
        notes, actions = COACHING_NOTES[(months_ago + organisation.pk) % len(COACHING_NOTES)]
        CoachingSession.objects.create(
            organisation=organisation,
            date=day,
            coach=coach,
            attendees="Project lead, data champion" + (", lived-experience partner" if months_ago % 2 else ""),
            notes=notes,
            agreed_actions=actions,
        )


def _demo_invoices(enrolment, index, today) -> None:
    for invoice in Invoice.objects.filter(enrolment=enrolment):
        if invoice.scheduled_on > today:
            continue
        invoice.issued_on = invoice.scheduled_on
        invoice.due_on = invoice.issued_on + timedelta(days=30)
        invoice.reference = f"AMHE-{enrolment.organisation.slug.upper()}-{invoice.year}"
        # Westbrook (index 3) has not paid its second year: the board flags it once it is due.
        if not (index == 3 and invoice.year == 2):
            invoice.paid_on = invoice.issued_on + timedelta(days=21)
        invoice.save()


def _demo_since_last_visit(organisations, leads, coach) -> None:
    """coach1 last opened the portfolio six days ago; since then figures came in and the Northshire lead
    asked the coach a question, so "since you last looked" has something to show. Once only."""
    from django.db.models import Max

    from measures.models import DataPoint
    from qi_projects.pdsa import feedback
    from qi_projects.pdsa.models import Comment, PdsaCycle

    from .models import PortfolioVisit

    now = timezone.now()
    visited = now - timedelta(days=6)
    for organisation in organisations[:3]:
        _, created = PortfolioVisit.objects.get_or_create(
            user=coach, organisation=organisation, defaults={"visited_at": visited, "baseline": visited}
        )
        if not created:
            return
    for organisation in (organisations[0], organisations[2]):  # Riverside's data has stopped
        latest = DataPoint.objects.filter(organisation=organisation).aggregate(m=Max("period_start"))["m"]
        DataPoint.objects.filter(organisation=organisation, period_start=latest).update(
            updated_at=now - timedelta(days=2)
        )
    cycle = PdsaCycle.objects.filter(organisation=organisations[0]).exclude(status="completed").first()
    if cycle is not None:
        # Asked three days ago: in-app for the coach, older than the reminder tick's catch-up (no email now).
        comment = Comment.objects.create(
            organisation=organisations[0],
            author=leads[0],
            body=f"@{coach.email} the evening clinic ramp stalled when two staff left: should we pause it or "
            "test it with the crisis team instead?",
            cycle=cycle,
            created_at=now - timedelta(days=3),
        )
        feedback.notify(comment)
