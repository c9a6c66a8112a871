"""The reminder tick, and the programme's own reminders (team meetings, invoices).

`run(now)` is what `python manage.py send_due_reminders [--now ...]` and the
Celery beat tick (collaborative.tasks) both call: it asks every source in
`registry.reminder_sources` for what is due at `now`, records it (one row per
recipient, kind, subject and occasion: organisations.deliveries), then sends
what is ready, here when there is no broker, else one Celery task per delivery.
Running it again, or twice at once, sends nothing twice. A source that fails is
reported and the others still run.

This module sits with the programme's models (docs/architecture.md): it reads
the registry and the apps below, never the apps above, which register their
sources themselves.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Max
from django.urls import reverse
from django_scopes import scopes_disabled

from organisations import deliveries
from organisations.clock import london, london_date
from organisations.deliveries import Due, in_window
from organisations.models import Delivery, Membership, Organisation, ProgrammeRole, Role

from .models import Enrolment, Invoice, TeamMeeting
from .registry import reminder_sources

logger = logging.getLogger(__name__)

MEETING_DAYS = 14  # the fortnightly cadence
INVOICE_NOTICE_DAYS = 14


@dataclass
class Report:
    found: int = 0
    sent: list[Delivery] = field(default_factory=list)
    queued: int = 0
    ready: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def run(now: datetime, *, inline: bool | None = None) -> Report:
    """Find, record and send everything due at `now`. `inline` forces sending in this process."""
    report = Report()
    # The tick reads every organisation's reminders: a national-level path, like seeding.
    with scopes_disabled():
        dues: list[Due] = []
        for name, source in reminder_sources.items():
            try:
                dues.extend(source(now))
            except Exception as exc:  # one broken source must not stop the others' reminders
                logger.exception("Reminder source %s failed", name)
                report.problems.append(f"{name}: {exc.__class__.__name__}: {exc}")
        report.found = len(dues)
        deliveries.record(dues)
        report.ready = deliveries.ready(now)
        if inline or (inline is None and deliveries.inline()):
            report.sent = deliveries.deliver(report.ready)
        else:
            report.queued = deliveries.enqueue(report.ready)
    return report


def _day(d) -> str:
    return f"{d:%A} {d.day} {d:%B %Y}"


def _people(organisation_ids, roles) -> dict[int, list[int]]:
    people: dict[int, list[int]] = {}
    rows = Membership.objects.filter(organisation_id__in=organisation_ids, role__in=roles, user__is_active=True)
    for organisation_id, user_id in rows.values_list("organisation_id", "user_id").distinct():
        people.setdefault(organisation_id, []).append(user_id)
    return people


def no_recent_meeting(now: datetime) -> list[Due]:
    """14 days after an organisation's last team meeting, and every 14 days after, while none is recorded."""
    today = london_date(now)
    enrolled = Enrolment.objects.filter(active=True).values("organisation_id")
    last_meetings = dict(
        TeamMeeting.objects.filter(organisation_id__in=enrolled, date__lte=today)
        .values("organisation_id")
        .annotate(last=Max("date"))
        .values_list("organisation_id", "last")
    )
    due = {}
    for organisation_id, last in last_meetings.items():
        fortnights = (today - last).days // MEETING_DAYS
        for n in (fortnights, fortnights - 1):
            at = london(last + timedelta(days=MEETING_DAYS * n))
            if n >= 1 and in_window(at, now):
                due[organisation_id] = (last, n, at)
    leads = _people(due, [Role.LEAD])
    names = dict(Organisation.objects.filter(pk__in=due).values_list("pk", "slug"))
    found = []
    for organisation_id, (last, n, at) in due.items():
        days = (london_date(at) - last).days
        for user_id in leads.get(organisation_id, []):
            found.append(
                Due(
                    recipient_id=user_id,
                    kind="meeting",
                    about=(Organisation, organisation_id),
                    occasion=f"meeting_after:{last}:{n}",
                    due_at=at,
                    organisation_id=organisation_id,
                    subject=f"No team meeting recorded for {days} days",
                    text=f"The last team meeting recorded was on {_day(last)}, {days} days ago. The programme "
                    "asks project teams to meet every fortnight: record the next one on the meetings page "
                    "(or the one you held, if it is not recorded yet).",
                    url=reverse("collaborative:meetings", kwargs={"org": names[organisation_id]}),
                )
            )
    return found


def _invoice_occasions(invoice, now: datetime) -> list[tuple[str, datetime]]:
    """14 days before an issued invoice is due, then the day after it is due and weekly while unpaid."""
    occasions = [("due_in_14", london(invoice.due_on - timedelta(days=INVOICE_NOTICE_DAYS)))]
    weeks = max((london_date(now) - invoice.due_on - timedelta(days=1)).days // 7, 0)
    for n in {weeks, max(weeks - 1, 0)}:
        occasions.append((f"overdue:{n}", london(invoice.due_on + timedelta(days=1 + 7 * n))))
    return [(occasion, at) for occasion, at in occasions if in_window(at, now)]


def invoices(now: datetime) -> list[Due]:
    """To the national team: invoices due in 14 days, and overdue ones weekly until paid."""
    today = london_date(now)
    candidates = Invoice.objects.filter(
        issued_on__isnull=False,
        paid_on__isnull=True,
        enrolment__active=True,
        due_on__lte=today + timedelta(days=INVOICE_NOTICE_DAYS + 1),
    ).select_related("organisation", "enrolment")
    due = [(invoice, occasion, at) for invoice in candidates for occasion, at in _invoice_occasions(invoice, now)]
    national: dict[int, list[int]] = {}
    staff = ProgrammeRole.objects.filter(
        role=Role.NATIONAL, collaborative_id__in={i.enrolment.collaborative_id for i, _, _ in due}, user__is_active=True
    )
    for collaborative_id, user_id in staff.values_list("collaborative_id", "user_id"):
        national.setdefault(collaborative_id, []).append(user_id)
    found = []
    for invoice, occasion, at in due:
        amount = f"£{invoice.gross_pence / 100:,.2f}"
        if occasion == "due_in_14":
            subject = f"Invoice due in {INVOICE_NOTICE_DAYS} days: {invoice.organisation.name}, year {invoice.year}"
        else:
            subject = f"Invoice overdue: {invoice.organisation.name}, year {invoice.year}"
        for user_id in national.get(invoice.enrolment.collaborative_id, []):
            found.append(
                Due(
                    recipient_id=user_id,
                    kind="invoice",
                    about=(Invoice, invoice.pk),
                    occasion=occasion,
                    due_at=at,
                    organisation_id=invoice.organisation_id,
                    subject=subject,
                    text=f"{invoice.organisation.name}'s year {invoice.year} invoice"
                    f"{f' ({invoice.reference})' if invoice.reference else ''} for {amount} was issued on "
                    f"{_day(invoice.issued_on)} and is due on {_day(invoice.due_on)}. It is not recorded as paid.",
                    url=reverse("collaborative:fees", kwargs={"org": invoice.organisation.slug}),
                )
            )
    return found
