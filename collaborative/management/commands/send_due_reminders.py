"""`python manage.py send_due_reminders [--now 2027-03-15T08:05:00Z] [--inline]` (docs/architecture.md)."""

from datetime import datetime, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from collaborative.reminders import run
from organisations.clock import LONDON
from organisations.dates import YEARS
from organisations.deliveries import KINDS
from organisations.models import Delivery


def parse_now(text: str | None) -> datetime:
    """The instant to run at: ISO 8601 with a time zone, within five years of today."""
    if not text:
        return timezone.now()
    try:
        now = datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(
            f"--now {text!r} is not a date and time: use ISO 8601, for example 2027-03-15T08:05:00Z."
        ) from None
    if now.tzinfo is None:
        raise CommandError(f"--now {text!r} has no time zone: add Z for UTC or an offset such as +01:00.")
    if abs(now - timezone.now()) > timedelta(days=366 * YEARS):
        raise CommandError(f"--now {text!r} is more than {YEARS} years from today.")
    return now


class Command(BaseCommand):
    help = (
        "Find every reminder, digest and mention email due at --now (default: now) and deliver it, "
        "exactly once however often or however many run; prints what it sent."
    )

    def add_arguments(self, parser):
        parser.add_argument("--now", help="The instant to run at, e.g. 2027-03-15T08:05:00Z (default: now).")
        parser.add_argument(
            "--inline", action="store_true", help="Send in this process even when a Celery broker is configured."
        )

    def handle(self, *args, now=None, inline=False, **options):
        at = parse_now(now)
        report = run(at, inline=True if inline else None)
        local = at.astimezone(LONDON)
        self.stdout.write(f"Reminders due at {at:%Y-%m-%d %H:%M} UTC ({local:%a %d %b %H:%M} UK time):")
        for row in report.sent:
            self.stdout.write("  " + _line(row))
        failed = sum(1 for row in report.sent if row.status == "failed")
        waiting = sum(1 for row in report.sent if row.status == "pending")
        done = len(report.sent) - failed - waiting
        if report.queued:
            queued = Delivery.objects.filter(pk__in=report.ready[: report.queued]).select_related("recipient")
            for row in queued.order_by("due_at", "pk"):
                self.stdout.write(f"  queued   {_label(row)}: {row.subject} → {row.recipient.email}")
        summary = f"Sent {done}, failed {failed}, to retry {waiting}"
        if report.queued:
            summary += f"; queued {report.queued} for the Celery worker"
        self.stdout.write(summary + ".")
        if len(report.ready) > len(report.sent) + report.queued:
            unqueued = len(report.ready) - len(report.sent) - report.queued
            self.stderr.write(
                f"The Celery broker could not be reached: {unqueued} deliveries wait for the next run "
                "(or run with --inline to send them from here)."
            )
        if report.problems:
            raise CommandError("Some reminder sources failed (the others were sent): " + "; ".join(report.problems))


def _label(row) -> str:
    return KINDS[row.kind].label if row.kind in KINDS else row.kind


def _line(row) -> str:
    label = _label(row)
    if row.status == "sent":
        how = ("email" + (" and in-app" if row.in_app else "")) if row.emailed else "not emailed, by their choice"
        if not row.emailed and row.in_app:
            how = "in-app only, by their choice"
        return f"sent     {label}: {row.subject} → {row.recipient.email} ({how})"
    if row.status == "failed":
        return f"FAILED   {label}: {row.subject} → {row.recipient.email}: {row.last_error}"
    return f"retrying {label}: {row.subject} → {row.recipient.email}: {row.last_error}"
