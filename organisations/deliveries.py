"""Reminders, digests and email-worthy notifications: record what is due, then tell each person once.

The database is the source of truth (`Delivery`). A tick (`send_due_reminders`,
from the command or Celery beat, collaborative.reminders) asks every reminder
source for what is due and records it here; each item is one row per recipient,
kind, subject and occasion, so finding it again on the next tick changes
nothing. Sending claims rows with a conditional update first:

    UPDATE delivery SET status='sending', claim=<token> WHERE id IN (...) AND status='pending'

so only one of two workers, a duplicated message or a retried task gets a row.
A failed send releases the claim with the error, and the row waits for its next
try (`BACKOFF`); after `MAX_ATTEMPTS` it is marked failed and shown to the
national team, who may retry it. A claim older than the lease (a worker killed
mid-send) may be taken again; an email the SMTP server had already accepted in
that instant would then go twice, the one case the claim cannot cover.

Whether an email goes is read when it is sent, so a preference change applies
to the next delivery; the in-app notification is recorded either way.
"""

from __future__ import annotations

import email.policy
import logging
import secrets
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core import signing
from django.core.mail import EmailMultiAlternatives, mailers
from django.db.models import Case, F, Q, When
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from . import notifications
from .models import Delivery, EmailPreference, Role

logger = logging.getLogger(__name__)

TEAM = {Role.LEAD, Role.MEMBER, Role.DATA_CHAMPION, Role.SPONSOR, Role.LIVED_EXPERIENCE}
ANYONE = TEAM | {Role.NATIONAL, Role.COACH, Role.EXPERT, Role.EVALUATOR}


@dataclass(frozen=True)
class Kind:
    label: str
    hint: str
    audience: frozenset = frozenset(ANYONE)


# What a person may be told, and who is told it; each has its own email choice.
# Every app's reminders use these names (learning_sets: "learning_set").
KINDS: dict[str, Kind] = {
    "data_due": Kind(
        "Data due and late",
        "5 days before your measures' data is due, on the day, and weekly while it is late.",
        frozenset({Role.LEAD, Role.DATA_CHAMPION}),
    ),
    "pdsa_not_started": Kind(
        "PDSA cycle not started",
        "When a cycle's planned end has passed and its Do stage has not begun.",
        frozenset({Role.LEAD, Role.MEMBER, Role.DATA_CHAMPION}),
    ),
    "pdsa_study_overdue": Kind(
        "PDSA Study overdue",
        "When a cycle's test ended 7 days ago and its Study is not written.",
        frozenset({Role.LEAD, Role.MEMBER, Role.DATA_CHAMPION}),
    ),
    "meeting": Kind(
        "No team meeting",
        "14 days after the last team meeting recorded, and every fortnight after while none is.",
        frozenset({Role.LEAD}),
    ),
    "invitation": Kind(
        "Invitation not accepted",
        "7 days after you invited someone who has not accepted yet.",
        frozenset({Role.LEAD, Role.NATIONAL}),
    ),
    "invoice": Kind(
        "Invoices due and overdue",
        "14 days before an invoice is due, and weekly once it is overdue.",
        frozenset({Role.NATIONAL}),
    ),
    "mention": Kind("Mentions", "When someone mentions you in a comment."),
    "learning_set": Kind("Learning sets", "14 days and 2 days before a learning set you are registered for."),
    "approach_feedback": Kind(
        "Approach feedback survey",
        "Every six months when the survey opens, and a fortnight before it closes while you have not answered.",
        frozenset({Role.LEAD, Role.MEMBER, Role.DATA_CHAMPION, Role.SPONSOR, Role.LIVED_EXPERIENCE}),
    ),
    "weekly_digest": Kind(
        "Weekly digest",
        "Monday morning: your organisations' flags and what changed that week.",
        frozenset({Role.COACH}),
    ),
    "programme_summary": Kind(
        "Monthly programme summary",
        "On the 1st: where every organisation is, what is flagged and last month's activity.",
        frozenset({Role.NATIONAL}),
    ),
}
DIGESTS = {"weekly_digest", "programme_summary"}

# A reminder missed while nothing ran (an outage) still goes within a day; later than that it would
# mislead ("due in 5 days" three days on), and the next reminder of the series covers it.
CATCH_UP = timedelta(days=1)
MAX_ATTEMPTS = 5
BACKOFF = (300, 900, 3600, 14400)  # seconds before the 2nd, 3rd, 4th and 5th try
BATCH = 200
UNSUBSCRIBE_SALT = "organisations.unsubscribe"


@dataclass(frozen=True)
class Due:
    """One thing a reminder source found due: who, what kind, about what, which occasion, when."""

    recipient_id: int
    kind: str
    about: tuple  # (model class or content type id, primary key)
    occasion: str
    due_at: datetime
    subject: str
    text: str = ""
    url: str = ""
    organisation_id: int | None = None
    items: tuple = field(default=())
    in_app: bool = True


def in_window(instant: datetime, now: datetime) -> bool:
    """Is a reminder at `instant` due at `now` (and not too long ago to be worth sending)?"""
    return now - CATCH_UP < instant <= now


def lease() -> timedelta:
    """How long a claim holds before another worker may take the row again."""
    return timedelta(seconds=settings.REMINDER_CLAIM_SECONDS)


# --- Recording and finding what is due ---------------------------------------------------


def _content_type_id(about) -> int:
    model = about[0]
    return model if isinstance(model, int) else ContentType.objects.get_for_model(model).pk


def record(dues: Iterable[Due]) -> None:
    """Record due items; those already recorded (same recipient, kind, subject, occasion) are left alone."""
    rows = [
        Delivery(
            recipient_id=due.recipient_id,
            organisation_id=due.organisation_id,
            kind=due.kind,
            about_type_id=_content_type_id(due.about),
            about_id=due.about[1],
            occasion=due.occasion[:60],
            due_at=due.due_at,
            subject=" ".join(due.subject.split())[:200],
            text=due.text[:4000],
            url=due.url[:500],
            items=list(due.items),
            in_app=due.in_app,
        )
        for due in dues
    ]
    Delivery.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)


def ready(now: datetime) -> list[int]:
    """Deliveries to send at `now`: pending and due (not waiting out a backoff, not queued a moment
    ago), and any whose claim has outlived its lease (the worker died)."""
    real_now = timezone.now()
    pending = Q(status=Delivery.Status.PENDING, due_at__lte=now) & (
        Q(not_before__isnull=True) | Q(not_before__lte=real_now)
    )
    pending &= Q(queued_at__isnull=True) | Q(queued_at__lt=real_now - lease())
    abandoned = Q(status=Delivery.Status.SENDING, claimed_at__lt=real_now - lease())
    return list(Delivery.objects.filter(pending | abandoned).order_by("due_at", "pk").values_list("pk", flat=True))


def enqueue(ids: list[int]) -> int:
    """One Celery task per delivery. A broker that is down is logged, never raised: the rows stay
    pending and the next tick sends them."""
    from .tasks import send_delivery

    queued = []
    try:
        for pk in ids:
            send_delivery.delay(pk)
            queued.append(pk)
    except Exception as exc:  # kombu raises OperationalError and friends: the database keeps the work
        left = len(ids) - len(queued)
        logger.warning("Could not queue %s of %s deliveries (%s); the next tick retries them.", left, len(ids), exc)
    if queued:
        Delivery.objects.filter(pk__in=queued, status=Delivery.Status.PENDING).update(queued_at=timezone.now())
    return len(queued)


def inline() -> bool:
    """No broker (the embedded mode, or tests): send in this process rather than through Celery."""
    from celery import current_app

    return bool(current_app.conf.task_always_eager)


def send_or_queue(ids: list[int]) -> tuple[list[Delivery], int]:
    """Send these deliveries here when there is no broker, else queue one task each: (sent here, queued)."""
    if inline():
        return deliver(ids), 0
    return [], enqueue(ids)


# --- Sending ---------------------------------------------------------------------------


def deliver(ids: list[int]) -> list[Delivery]:
    """Claim these deliveries, tell each person (in-app, and by email if they want it) and record
    the outcome. Returns the rows this call claimed; rows already claimed or sent are skipped."""
    sent: list[Delivery] = []
    for start in range(0, len(ids), BATCH):
        sent += _deliver_batch(ids[start : start + BATCH])
    return sent


def _deliver_batch(ids: list[int]) -> list[Delivery]:
    real_now, token = timezone.now(), secrets.token_hex(16)
    claimable = Q(status=Delivery.Status.PENDING) | Q(status=Delivery.Status.SENDING, claimed_at__lt=real_now - lease())
    claimed = Delivery.objects.filter(claimable, pk__in=ids).update(
        status=Delivery.Status.SENDING, claim=token, claimed_at=real_now, attempts=F("attempts") + 1
    )
    if not claimed:
        return []
    rows = list(Delivery.objects.filter(claim=token, status=Delivery.Status.SENDING).select_related("recipient"))
    notifications.notify_each(
        {
            "user_id": row.recipient_id,
            "kind": row.kind,
            "about": row,
            "text": row.subject,
            "url": row.url,
            "organisation_id": row.organisation_id,
            "detail": _detail(row),
        }
        for row in rows
        if row.in_app and row.recipient.is_active
    )
    off = emails_off({row.recipient_id for row in rows})
    wanted = [r for r in rows if r.recipient.is_active and r.recipient.email and (r.recipient_id, r.kind) not in off]
    errors = _send_emails(wanted, stop_at=real_now + lease() / 2)
    done = [row for row in rows if row.pk not in errors]
    emailed = {row.pk for row in wanted if row.pk not in errors}
    Delivery.objects.filter(pk__in=[r.pk for r in done], claim=token).update(
        status=Delivery.Status.SENT,
        sent_at=timezone.now(),
        emailed=Case(When(pk__in=emailed, then=True), default=False),
        claim="",
        last_error="",
    )
    for row in done:
        row.status, row.emailed, row.last_error = Delivery.Status.SENT, row.pk in emailed, ""
    for row in rows:
        if row.pk in errors:
            _release(row, token, errors[row.pk])
    return rows


def _detail(row: Delivery) -> str:
    """The in-app notification's text: the delivery's, then one line per item of a list or digest."""
    lines = [row.text] if row.text else []
    for item in row.items:
        lines.append(" – ".join([item.get("title", ""), *item.get("lines", [])]))
    return "\n".join(lines)


def _release(row: Delivery, token: str, error: tuple[str, bool]) -> None:
    """Give a claim back after a failed send: wait for the next try, or fail for good."""
    message, permanent = error
    if permanent or row.attempts >= MAX_ATTEMPTS:
        row.status, row.not_before = Delivery.Status.FAILED, None
    else:
        row.status = Delivery.Status.PENDING
        row.not_before = timezone.now() + timedelta(seconds=BACKOFF[min(row.attempts, len(BACKOFF)) - 1])
    row.last_error = message[:500]
    Delivery.objects.filter(pk=row.pk, claim=token).update(
        status=row.status, not_before=row.not_before, last_error=row.last_error, claim="", queued_at=None
    )
    logger.warning("Delivery %s (%s) not sent, attempt %s: %s", row.pk, row.kind, row.attempts, message)


def _send_emails(rows: list[Delivery], *, stop_at: datetime) -> dict[int, tuple[str, bool]]:
    """Send one email per row over one connection; the rows that failed, with (error, permanent).

    A slow server must not keep a batch going past its claim's lease (another worker could then
    take the rest and send it too): rows not reached by `stop_at` are given back untried.
    """
    if not rows:
        return {}
    errors: dict[int, tuple[str, bool]] = {}
    mailer = mailers.default
    try:
        mailer.open()
    except Exception as exc:  # the server is down or refuses us: every row waits for its next try
        return {row.pk: (_describe(exc), False) for row in rows}
    try:
        for row in rows:
            if timezone.now() >= stop_at:
                errors[row.pk] = ("Not tried: the mail server was too slow for the rest of the batch", False)
                continue
            try:
                mailer.send_messages([email_for(row)])
            except Exception as exc:  # one bad message must not stop the others
                errors[row.pk] = (_describe(exc), _permanent(exc))
    finally:
        try:
            mailer.close()
        except Exception:  # closing a broken connection: nothing left to do
            pass
    return errors


def _describe(exc: Exception) -> str:
    return f"{exc.__class__.__name__}: {exc}"


def _permanent(exc: Exception) -> bool:
    """A refusal no retry will change: an address the server rejects (5xx) or cannot be written."""
    if isinstance(exc, ValueError):
        return True
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    return isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 500


def absolute(path: str) -> str:
    return path if not path or "://" in path else settings.SITE_URL + path


class ReminderEmail(EmailMultiAlternatives):
    """Headers kept on one line up to RFC 5322's 998 characters: the standard library would otherwise fold a
    long List-Unsubscribe URL into RFC 2047 encoded words, which mail programs do not read as a link."""

    def message(self, *, policy=email.policy.default):
        return super().message(policy=policy.clone(max_line_length=998))


def email_for(row: Delivery) -> EmailMultiAlternatives:
    """The HTML and plain-text email for one delivery, with its links and List-Unsubscribe."""
    user = row.recipient
    unsubscribe = absolute(reverse("organisations:unsubscribe", args=[unsubscribe_token(user.pk, row.kind)]))
    context = {
        "delivery": row,
        "name": user.first_name or user.display_name,
        "link": absolute(row.url),
        "items": [{**item, "url": absolute(item.get("url", ""))} for item in row.items],
        "preferences_url": absolute(reverse("organisations:preferences")),
        "unsubscribe_url": unsubscribe,
        "kind": KINDS.get(row.kind),
        "site_name": settings.SITE_NAME,
    }
    host = urlsplit(settings.SITE_URL).hostname or "amhe.example"
    message = ReminderEmail(
        subject=row.subject,
        body=render_to_string("organisations/email/reminder.txt", context),
        to=[user.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
            # The same id on every try: a mailbox that got it twice shows it once.
            "Message-ID": f"<delivery-{row.pk}@{host}>",
        },
    )
    message.attach_alternative(render_to_string("organisations/email/reminder.html", context), "text/html")
    return message


def retry(delivery: Delivery) -> None:
    """The national team's retry: the delivery goes again on the next tick (or at once with a worker)."""
    Delivery.objects.filter(pk=delivery.pk, status__in=[Delivery.Status.FAILED, Delivery.Status.PENDING]).update(
        status=Delivery.Status.PENDING, attempts=0, not_before=None, queued_at=None, claim=""
    )


# --- Preferences -------------------------------------------------------------------------


def emails_off(user_ids) -> set[tuple[int, str]]:
    """(user, kind) pairs that should not come by email."""
    return set(
        EmailPreference.objects.filter(user_id__in=list(user_ids), by_email=False).values_list("user_id", "kind")
    )


def kinds_for(user) -> list[str]:
    """The kinds this person may be sent, by their roles, and any they have been sent."""
    from . import access

    p = access.principal(user)
    roles = set(p.programme_roles)
    for team_roles in p.team_roles.values():
        roles |= team_roles
    received = set(Delivery.objects.filter(recipient=user).values_list("kind", flat=True).distinct())
    return [kind for kind, info in KINDS.items() if roles & info.audience or kind in received]


def set_email_kinds(user, chosen: Iterable[str], shown: Iterable[str]) -> None:
    """Save which of the `shown` kinds come by email: those `chosen`."""
    chosen = set(chosen)
    for kind in shown:
        EmailPreference.objects.update_or_create(
            user=user, kind=kind, defaults={"by_email": kind in chosen, "changed_at": timezone.now()}
        )


def unsubscribe_token(user_id: int, kind: str) -> str:
    return signing.dumps({"u": user_id, "k": kind}, salt=UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(token: str) -> tuple[int, str]:
    """(user id, kind) from an unsubscribe link; raises signing.BadSignature when tampered."""
    data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    if not isinstance(data, dict) or data.get("k") not in KINDS:
        raise signing.BadSignature("Unknown kind")
    return int(data["u"]), data["k"]
