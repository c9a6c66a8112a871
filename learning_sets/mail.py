"""The email each delivery sends: its words, its calendar part, its unsubscribe link."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from . import ical
from .models import Delivery, Preference

UNSUBSCRIBE_SALT = "learning_sets.unsubscribe"
CALENDAR_METHOD = {
    Delivery.Kind.INVITATION: "REQUEST",
    Delivery.Kind.UPDATE: "REQUEST",
    Delivery.Kind.CANCELLATION: "CANCEL",
    Delivery.Kind.WITHDRAWAL: "CANCEL",
}


def unsubscribe_token(user_id: int) -> str:
    return signing.dumps({"u": user_id}, salt=UNSUBSCRIBE_SALT, compress=True)


def user_from_unsubscribe_token(token: str) -> int:
    """The user id a token names; raises signing.BadSignature when tampered."""
    return int(signing.loads(token, salt=UNSUBSCRIBE_SALT)["u"])


def unsubscribe_url(user_id: int) -> str:
    return settings.SITE_URL + reverse("learning_sets:unsubscribe", args=[unsubscribe_token(user_id)])


def _when(learning_set) -> str:
    start, end = learning_set.local_start, learning_set.local_end
    return f"{start:%A} {start.day} {start:%B %Y}, {start:%H:%M} to {end:%H:%M} (UK time)"


SUBJECTS = {
    Delivery.Kind.INVITATION: "Your place: {title}, {date}",
    Delivery.Kind.UPDATE: "Updated: {title}, now {date}",
    Delivery.Kind.CANCELLATION: "Cancelled: {title}, {date}",
    Delivery.Kind.WITHDRAWAL: "Place cancelled: {title}, {date}",
    Delivery.Kind.WAITING: "Waiting list: {title}, {date}",
    Delivery.Kind.FEEDBACK: "How was {title}? Two minutes of feedback",
}


def compose(delivery: Delivery) -> EmailMultiAlternatives | None:
    """The message for a delivery, or None when there is nothing to send any more (opted out, inactive)."""
    user = delivery.user
    if not user.is_active or not user.email:
        return None
    if delivery.kind == Delivery.Kind.NEWSLETTER:
        return _newsletter(delivery)
    learning_set = delivery.learning_set
    start = learning_set.local_start
    subject = SUBJECTS[delivery.kind].format(title=learning_set.title, date=f"{start.day} {start:%B %Y}")
    context = {
        "delivery": delivery,
        "learning_set": learning_set,
        "user": user,
        "when": _when(learning_set),
        "link": settings.SITE_URL + learning_set.get_absolute_url(),
        "feedback_link": settings.SITE_URL + reverse("learning_sets:feedback", args=[learning_set.pk]),
    }
    body = render_to_string(f"learning_sets/email/{delivery.kind}.txt", context)
    message = EmailMultiAlternatives(subject=subject[:200], body=body, to=[user.email])
    method = CALENDAR_METHOD.get(delivery.kind)
    if method:
        data = ical.invitation(learning_set, user, method=method, sequence=delivery.sequence).decode()
        # The alternative part is what calendars act on; the attachment is for people who open it by hand.
        message.attach_alternative(data, f"text/calendar; method={method}")
        message.attach("learning-set.ics", data, f"text/calendar; method={method}")
    return message


def _newsletter(delivery: Delivery) -> EmailMultiAlternatives | None:
    if not Preference.wants_newsletters(delivery.user_id):
        return None
    newsletter = delivery.newsletter
    unsubscribe = unsubscribe_url(delivery.user_id)
    context = {
        "newsletter": newsletter,
        "unsubscribe": unsubscribe,
        "archive": settings.SITE_URL + reverse("learning_sets:newsletter_detail", args=[newsletter.pk]),
    }
    message = EmailMultiAlternatives(
        subject=newsletter.subject,
        body=render_to_string("learning_sets/email/newsletter.txt", context),
        to=[delivery.user.email],
        headers={"List-Unsubscribe": f"<{unsubscribe}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )
    message.attach_alternative(render_to_string("learning_sets/email/newsletter.html", context), "text/html")
    return message
