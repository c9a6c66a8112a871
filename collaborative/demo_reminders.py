"""Demo data for the reminders: a simulated week produces the nudges a person would expect.

Called at the end of `collaborative.demo.seed()`, once (the weekly measure marks it done).
Relative to the day it is seeded, so that running `send_due_reminders --now <day>T08:05:00Z`
for the seeding day and the six after (the README's loop) sends, each once:

- Northshire (lead1): a weekly measure whose last complete week is missing (due on Sunday,
  reminded 5 days before and on the day) and whose current week is reminded before it is due;
- Riverside and Vale (lead2): a monthly measure with a late period (reminded weekly) and a
  missing one (shown on the data page, no longer chased), a new PDSA cycle whose planned end
  passed yesterday without Do, with a coach's comment mentioning them (emailed), and a cycle
  whose Study becomes 7 days overdue;
- Eastmoor (lead3) has not met for six weeks and Southfield (lead5) is about to pass 14 days:
  a fortnightly nudge each;
- lead1's and the national team's invitations not accepted after 7 days;
- the national team: Harbourside's invoice due in 14 days and Westbrook's overdue one (weekly);
- each coach's weekly digest on the Monday, and the programme summary if the week has a 1st.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.db.models import Count
from django.utils import timezone

from measures import deadlines
from measures import demo as measures_demo
from measures import periods as P
from measures.models import DataPoint, Measure
from measures.reminders import rule_of
from organisations.clock import LONDON
from organisations.models import Invitation, Role
from qi_projects.models import ChangeTheoryElement, ImprovementProject, Stage
from qi_projects.pdsa import feedback
from qi_projects.pdsa.models import Comment, PdsaCycle

from .models import Invoice

WEEKLY = {
    "code": "WK1",
    "name": "Focus group offered a first appointment within 7 days",
    "kind": "process",
    "value_type": "proportion",
    "operational_definition": "People from the focus group referred in the week who were offered a first "
    "appointment within 7 days of referral.",
    "numerator_definition": "Offered a first appointment within 7 days",
    "denominator_definition": "Referrals from the focus group in the week",
    "data_source": "Local referral log",
    "frequency": "weekly",
    "improvement": "increase",
    "dimension": "ethnicity",
    "reference_category": "A",
}


def _at(day, hour: int, minute: int = 0):
    return datetime.combine(day, time(hour, minute), tzinfo=LONDON)


def seed(collaborative, organisations, leads, national, coaches) -> None:
    if Measure.objects.filter(organisation=organisations[0], code=WEEKLY["code"]).exists():
        return  # seeded already: never move the demo's reminders again
    today = timezone.localdate()
    _weekly_measure(organisations[0], today)
    _late_and_missing(collaborative, organisations[1], today)
    _cycles(organisations[1], leads[1], coaches[0], today)
    _invitations(collaborative, organisations[0], leads[0], national, today)
    _invoice_due_soon(organisations[5], today)
    # The demo's figures were all typed in "now": date them back, so that a digest's "this week" is this week's.
    # (measures/demo.py dates its own figures to when each period's data came in: those stay as they are.)
    DataPoint.objects.filter(organisation__in=organisations, updated_at__gt=timezone.now() - timedelta(hours=1)).update(
        updated_at=_at(today - timedelta(days=40), 12)
    )


def _weekly_measure(organisation, today) -> None:
    """A weekly measure whose last complete week is not in yet (current week: not due yet)."""
    project = ImprovementProject.objects.filter(organisation=organisation).first()
    if project is None:
        return
    measure = Measure.objects.create(organisation=organisation, project=project, **WEEKLY)
    points = measures_demo._measure_points(0, organisation, measure, today)
    last_week = P.step("weekly", P.current_start("weekly", today), -1)
    DataPoint.objects.bulk_create([p for p in points if p.period_start != last_week], batch_size=2000)


def _late_and_missing(collaborative, organisation, today) -> None:
    """Take out one monthly measure's figures for a late period and a missing one."""
    measure = Measure.objects.filter(organisation=organisation, frequency="monthly").order_by("code").first()
    if measure is None:
        return
    rule, now = rule_of(collaborative), _at(today, 12)
    start = P.step("monthly", P.current_start("monthly", today), -1)
    chosen = {}
    for _ in range(6):
        state = deadlines.status("monthly", start, submitted=False, now=now, rule=rule)
        chosen.setdefault(state, start)
        start = P.step("monthly", start, -1)
    late_or_missing = [chosen[s] for s in (deadlines.LATE, deadlines.MISSING) if s in chosen]
    DataPoint.objects.filter(measure=measure, period_start__in=late_or_missing).delete()


def _cycles(organisation, lead, coach, today) -> None:
    """A new cycle whose planned end passed yesterday without Do, with a coach's comment mentioning
    the lead; and a test that ended 5 days ago, not studied yet."""
    idea = (
        ChangeTheoryElement.objects.filter(organisation=organisation, stage=Stage.TESTING, removed_at=None)
        .annotate(cycles=Count("pdsa_cycles"))
        .filter(cycles__lt=6)
        .order_by("cycles", "pk")
        .first()
    )
    if idea is not None:
        stalled = PdsaCycle.log(
            change_idea=idea,
            by=lead,
            objective="Text a reminder the day before every first appointment",
            prediction="Fewer people from the focus group will miss their first appointment.",
            planned_start=today - timedelta(days=14),
            planned_end=today - timedelta(days=1),
        )
        comment = Comment.objects.create(
            organisation=organisation,
            cycle=stalled,
            author=coach,
            body=f"@{lead.email} the planned end has passed: did this test go ahead? Record the Do stage when "
            "you can, or move the dates.",
            created_at=timezone.now() - timedelta(minutes=30),
        )
        feedback.notify(comment)
    doing = PdsaCycle.objects.filter(organisation=organisation, status=PdsaCycle.Status.DOING).order_by("pk").first()
    if doing is not None:
        PdsaCycle.objects.filter(pk=doing.pk).update(
            planned_start=today - timedelta(days=12),
            planned_end=today - timedelta(days=5),
            actual_start=today - timedelta(days=12),
            actual_end=today - timedelta(days=5),
            what_happened="Ran as planned for a week; the tally shows more take-up in the evenings.",
        )


def _invitations(collaborative, organisation, lead, national, today) -> None:
    """Two invitations nobody has accepted: one reminder each on the 7th day."""
    for email, role, where, by, days in (
        ("data.champion@northshire.example", Role.DATA_CHAMPION, organisation, lead, 5),
        ("new.expert@amhe-programme.example", Role.EXPERT, None, national, 6),
    ):
        made = _at(today - timedelta(days=days), 10)
        Invitation.objects.get_or_create(
            email=email,
            role=role,
            organisation=where,
            collaborative=collaborative,
            defaults={"invited_by": by, "created_at": made, "expires_at": made + timedelta(days=14)},
        )


def _invoice_due_soon(organisation, today) -> None:
    """Harbourside's first invoice, issued and due in 16 days: the national team hears in 2."""
    invoice = Invoice.objects.filter(organisation=organisation, issued_on__isnull=True).order_by("year").first()
    if invoice is not None:
        Invoice.objects.filter(pk=invoice.pk).update(
            issued_on=today - timedelta(days=14),
            due_on=today + timedelta(days=16),
            reference=f"AMHE-{organisation.slug.upper()}-{invoice.year}",
        )
