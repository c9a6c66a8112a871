from celery import shared_task
from django.db import transaction
from django.utils import timezone

from .models import Delivery, Newsletter


@shared_task(acks_late=True)
def send_delivery(delivery_id: int) -> bool:
    """Send one email once, even if the task is retried or runs twice at once."""
    from . import mail

    # The conditional update claims the send: a retry or a second worker sends nothing.
    claimed = Delivery.objects.filter(pk=delivery_id, sent_at=None).update(sent_at=timezone.now())
    if not claimed:
        return False
    delivery = Delivery.objects.select_related("user", "learning_set", "newsletter").get(pk=delivery_id)
    try:
        message = mail.compose(delivery)
        if message is not None:
            message.send()
    except Exception:
        # Not sent: release the claim so that a retry can send it.
        Delivery.objects.filter(pk=delivery_id).update(sent_at=None)
        raise
    return message is not None


@shared_task(acks_late=True)
def send_newsletter(newsletter_id: int) -> int:
    """Fan out a claimed newsletter: one delivery row and one task per recipient. Safe to run again."""
    from . import audience

    newsletter = Newsletter.objects.filter(pk=newsletter_id, status=Newsletter.Status.SENDING).first()
    if newsletter is None:
        return 0
    recipients = audience.newsletter_recipients(newsletter.collaborative_id)
    with transaction.atomic():
        for user_id in recipients:
            Delivery.objects.get_or_create(
                key=f"newsletter:newsletter{newsletter.pk}:{user_id}:0",
                defaults={"kind": Delivery.Kind.NEWSLETTER, "user_id": user_id, "newsletter": newsletter},
            )
        Newsletter.objects.filter(pk=newsletter.pk).update(
            status=Newsletter.Status.SENT, recipient_count=len(recipients)
        )
    # Every delivery not yet sent, including any a previous attempt created and never enqueued.
    pending = Delivery.objects.filter(newsletter=newsletter, sent_at=None).values_list("pk", flat=True)
    for delivery_id in pending:
        send_delivery.delay(delivery_id)
    return len(recipients)
