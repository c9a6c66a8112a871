import logging

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope

from .models import Invitation

logger = logging.getLogger(__name__)


def delay_safely(task, *args) -> bool:
    """Queue a task; a broker that is down is logged, not raised, so the page that asked still works."""
    try:
        task.delay(*args)
    except Exception as exc:  # kombu's OperationalError and friends: the request must not fail for it
        logger.warning("Could not queue %s%r: %s", task.name, args, exc)
        return False
    return True


@shared_task(acks_late=True)
def send_invitation(invitation_id: int) -> bool:
    """Email an invitation link once, even if the task is retried."""
    # A programme-staff invitation may belong to no organisation: read it without a tenant.
    row = Invitation.objects.with_scopes_disabled().filter(pk=invitation_id).values("organisation_id").first()
    if row is None:
        return False
    with scope(organisation=[row["organisation_id"]] if row["organisation_id"] else []):
        # The conditional update claims the send: a retry or a second worker sends nothing.
        claimed = (
            Invitation.objects.with_scopes_disabled()
            .filter(pk=invitation_id, sent_at=None)
            .update(sent_at=timezone.now())
        )
        if not claimed:
            return False
        invitation = (
            Invitation.objects.with_scopes_disabled()
            .select_related("organisation", "invited_by", "collaborative")
            .get(pk=invitation_id)
        )
        link = settings.SITE_URL + reverse("organisations:invitation_accept", args=[invitation.token])
        context = {"invitation": invitation, "link": link}
        try:
            send_mail(
                subject="You are invited to the Advancing mental health equality collaborative",
                message=render_to_string("organisations/email/invitation.txt", context),
                from_email=None,
                recipient_list=[invitation.email],
            )
        except Exception:
            # Not sent: release the claim so that a retry (or a resend) can send it.
            Invitation.objects.with_scopes_disabled().filter(pk=invitation_id).update(sent_at=None)
            raise
    return True


@shared_task(acks_late=True)
def email_team(organisation_id: int, subject: str, body: str, message_id: str) -> int:
    """Email everyone in one organisation's project team once; returns how many were sent.

    `message_id` makes the send idempotent: the shared cache's atomic add claims
    it, so a retried or duplicated task sends nothing the second time.
    """
    from django.core.cache import cache

    from .models import Membership

    if not cache.add(f"email_team:{message_id}", organisation_id, timeout=7 * 24 * 3600):
        return 0
    # Tasks enter the tenant scope themselves: only this organisation's rows are visible.
    with scope(organisation=[organisation_id]):
        emails = sorted(set(Membership.objects.values_list("user__email", flat=True)))
        for email in emails:
            send_mail(subject=subject, message=body, from_email=None, recipient_list=[email])
    return len(emails)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def send_delivery(delivery_id: int) -> str:
    """Send one delivery (a reminder, a digest, a mention email) once; returns its status.

    The conditional update in `deliveries.deliver` claims the row: a redelivered
    message, a duplicate or a second worker finds it claimed or sent and sends
    nothing. A failed send is recorded on the row and tried again by a later
    tick after its backoff (the database keeps the schedule, not the queue).
    """
    from .deliveries import deliver
    from .models import Delivery

    row = Delivery.objects.filter(pk=delivery_id).values("organisation_id").first()
    if row is None:
        return "gone"
    # Tasks enter the tenant scope themselves: only this organisation's rows are visible.
    with scope(organisation=[row["organisation_id"]] if row["organisation_id"] else []):
        claimed = deliver([delivery_id])
    return claimed[0].status if claimed else "skipped"
