from celery import shared_task


@shared_task(acks_late=True)
def send_due_reminders() -> int:
    """The beat tick (every few minutes, settings.CELERY_BEAT_SCHEDULE): the same code as
    `manage.py send_due_reminders`, fanning out one `organisations.tasks.send_delivery` per delivery.
    Returns how many deliveries it queued (or sent, with no broker)."""
    from django.utils import timezone

    from .reminders import run

    report = run(timezone.now())
    return report.queued + len(report.sent)
