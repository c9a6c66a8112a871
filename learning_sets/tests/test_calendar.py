"""iCalendar invitations, updates and cancellations parsed back; the private feed and its token."""

from datetime import time, timedelta

import icalendar
import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from conftest import sign_in
from learning_sets import ical
from learning_sets.models import CalendarFeed, Delivery
from learning_sets.scheduling import london_to_utc

from . import factories


def calendar_parts(message) -> list[icalendar.Calendar]:
    """Every text/calendar part of an email, parsed."""
    parts = []
    for part in message.message().walk():
        if part.get_content_type() == "text/calendar":
            parts.append(icalendar.Calendar.from_ical(part.get_payload(decode=True)))
    return parts


def only_event(calendar) -> icalendar.Event:
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    return events[0]


@pytest.fixture
def summer_set(cast):
    """Wednesday 14 July 2027, 10:00 to 15:30 in London: 09:00 to 14:30 UTC (British Summer Time)."""
    day = timezone.localdate().replace(year=timezone.localdate().year + 1, month=7, day=14)
    return factories.learning_set(
        cast.collaborative,
        title="Summer learning set",
        starts_at=london_to_utc(day, time(10, 0)),
        ends_at=london_to_utc(day, time(15, 30)),
    )


def test_registration_email_carries_a_request_in_london_time(cast, summer_set, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        summer_set.register(cast.lead, organisation_id=cast.org_a.pk)
    message = mail.outbox[-1]
    assert message.to == ["lead@a.example"]
    assert "Your place: Summer learning set" in message.subject
    # The calendar part is both the alternative calendars act on and an attachment.
    content_types = [p.get("Content-Type") for p in message.message().walk()]
    assert any("text/calendar" in c and 'method="REQUEST"' in c for c in content_types)
    parts = calendar_parts(message)
    assert len(parts) == 2
    cal = parts[0]
    assert cal["METHOD"] == "REQUEST"
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["Europe/London"]
    event = only_event(cal)
    assert event["UID"] == summer_set.uid
    assert event["SEQUENCE"] == 0
    start = event.decoded("DTSTART")
    assert str(start.tzinfo) == "Europe/London"
    assert (start.hour, start.minute) == (10, 0)
    assert start.utcoffset() == timedelta(hours=1)
    assert event["ORGANIZER"].startswith("mailto:")
    assert event["ATTENDEE"] == "mailto:lead@a.example"
    assert event["STATUS"] == "CONFIRMED"


def test_an_update_keeps_the_uid_and_raises_the_sequence_and_a_cancel_is_method_cancel(
    cast, summer_set, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        summer_set.register(cast.lead, organisation_id=cast.org_a.pk)
    first = only_event(calendar_parts(mail.outbox[-1])[0])

    later = summer_set.starts_at + timedelta(days=7, hours=3)
    with django_capture_on_commit_callbacks(execute=True):
        summer_set.change({"starts_at": later, "ends_at": later + timedelta(hours=2)}, message="The room moved.")
    update_mail = mail.outbox[-1]
    assert update_mail.subject.startswith("Updated: Summer learning set")
    assert "The room moved." in update_mail.body
    update_cal = calendar_parts(update_mail)[0]
    update = only_event(update_cal)
    assert update_cal["METHOD"] == "REQUEST"
    assert update["UID"] == first["UID"]
    assert update["SEQUENCE"] > first["SEQUENCE"]
    assert update.decoded("DTSTART").hour == 13  # 13:00 London, a week later

    with django_capture_on_commit_callbacks(execute=True):
        summer_set.cancel("The venue is closed.")
    cancel_cal = calendar_parts(mail.outbox[-1])[0]
    cancel = only_event(cancel_cal)
    assert cancel_cal["METHOD"] == "CANCEL"
    assert cancel["STATUS"] == "CANCELLED"
    assert cancel["UID"] == first["UID"]
    assert cancel["SEQUENCE"] > update["SEQUENCE"]
    assert mail.outbox[-1].subject.startswith("Cancelled: Summer learning set")


def test_giving_up_a_place_sends_a_cancel_for_that_person(cast, summer_set, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        summer_set.register(cast.lead, organisation_id=cast.org_a.pk)
        summer_set.withdraw(cast.lead)
    cal = calendar_parts(mail.outbox[-1])[0]
    assert cal["METHOD"] == "CANCEL"
    assert only_event(cal)["SEQUENCE"] == 1
    assert only_event(cal)["ATTENDEE"].params["PARTSTAT"] == "DECLINED"


def test_a_change_that_is_not_to_time_or_place_sends_nothing(cast, summer_set, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        summer_set.register(cast.lead, organisation_id=cast.org_a.pk)
    sent = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        summer_set.change({"description": "Bring a colleague."})
    assert len(mail.outbox) == sent == 1
    summer_set.refresh_from_db()
    assert summer_set.sequence == 0


def test_a_retried_delivery_sends_nothing_twice(cast, summer_set, django_capture_on_commit_callbacks):
    from learning_sets.tasks import send_delivery

    with django_capture_on_commit_callbacks(execute=True):
        summer_set.register(cast.lead, organisation_id=cast.org_a.pk)
    delivery = Delivery.objects.get(kind=Delivery.Kind.INVITATION)
    assert delivery.sent_at is not None
    assert send_delivery(delivery.pk) is False
    assert len(mail.outbox) == 1


def test_a_failed_send_releases_its_claim(cast, summer_set, monkeypatch, django_capture_on_commit_callbacks):
    from django.core.mail import EmailMultiAlternatives

    from learning_sets.tasks import send_delivery

    def broken(self, fail_silently=False):
        raise OSError("SMTP is down")

    monkeypatch.setattr(EmailMultiAlternatives, "send", broken)
    with pytest.raises(OSError), django_capture_on_commit_callbacks(execute=True):
        summer_set.register(cast.lead, organisation_id=cast.org_a.pk)
    delivery = Delivery.objects.get(kind=Delivery.Kind.INVITATION)
    assert delivery.sent_at is None
    monkeypatch.undo()
    assert send_delivery(delivery.pk) is True
    assert len(mail.outbox) == 1


def test_the_downloaded_file_is_the_same_event(client, cast, summer_set):
    sign_in(client, cast.lead)
    response = client.get(reverse("learning_sets:calendar", args=[summer_set.pk]))
    assert response["Content-Type"].startswith("text/calendar")
    assert "attachment" in response["Content-Disposition"]
    cal = ical.parse(response.content)
    assert cal["METHOD"] == "PUBLISH"
    assert only_event(cal)["UID"] == summer_set.uid


# --- The feed ---------------------------------------------------------------------------


def feed_url(user) -> str:
    return reverse("learning_sets:calendar_feed", args=[CalendarFeed.for_user(user).token])


def test_the_feed_lists_the_sets_the_person_has_a_place_at(client, cast, summer_set):
    other = factories.learning_set(cast.collaborative, title="Not mine", days=40)
    waiting = factories.learning_set(cast.collaborative, title="Waiting for a place", days=50)
    factories.registration(summer_set, cast.lead, organisation=cast.org_a)
    factories.registration(waiting, cast.lead, organisation=cast.org_a, status="waiting")
    factories.registration(other, cast.member, organisation=cast.org_a)
    response = client.get(feed_url(cast.lead))  # no sign-in: calendars cannot sign in
    assert response.status_code == 200
    cal = ical.parse(response.content)
    assert [e["SUMMARY"] for e in cal.walk("VEVENT")] == ["Summer learning set"]
    assert cal.walk("VTIMEZONE")[0]["TZID"] == "Europe/London"
    assert "ATTENDEE" not in only_event(cal)  # a feed names nobody


def test_the_learning_sets_page_links_the_feed(client, cast):
    sign_in(client, cast.lead)
    response = client.get(reverse("learning_sets:list"))
    assert feed_url(cast.lead) in response.content.decode()


def test_a_revoked_token_is_404_and_a_renewed_one_works(client, cast, summer_set):
    factories.registration(summer_set, cast.lead, organisation=cast.org_a)
    old = feed_url(cast.lead)
    assert client.get(old).status_code == 200
    sign_in(client, cast.lead)
    client.post(reverse("learning_sets:feed_revoke"))
    client.logout()
    assert client.get(old).status_code == 404
    assert CalendarFeed.objects.get(user=cast.lead).token is None
    sign_in(client, cast.lead)
    client.post(reverse("learning_sets:feed_renew"))
    client.logout()
    new = feed_url(cast.lead)
    assert new != old
    assert client.get(new).status_code == 200
    assert client.get(old).status_code == 404


@pytest.mark.parametrize("token", ["not-a-token", "x" * 43, ""])
def test_an_unknown_token_is_404(client, db, token):
    assert client.get(f"/calendar/{token}.ics").status_code == 404


def test_the_feed_stops_when_the_person_loses_their_place_in_the_programme(client, cast, summer_set):
    from organisations import access

    factories.registration(summer_set, cast.lead, organisation=cast.org_a)
    url = feed_url(cast.lead)
    with scopes_disabled():
        cast.lead.memberships.all().delete()
    access.forget(cast.lead)
    assert client.get(url).status_code == 404


def _queries(callable_) -> int:
    with CaptureQueriesContext(connection) as captured:
        callable_()
    return len(captured)


def test_feed_and_list_query_counts_do_not_grow_with_data(client, cast):
    def grow(n):
        for i in range(n):
            ls = factories.learning_set(cast.collaborative, title=f"Set {i}", days=10 + i)
            factories.presenting(ls, cast.org_a)
            factories.registration(ls, cast.lead, organisation=cast.org_a)
            factories.registration(ls, cast.member, organisation=cast.org_a, status="waiting")
            factories.past_set(cast.collaborative, title=f"Past {i}")

    url = feed_url(cast.lead)
    sign_in(client, cast.lead)
    grow(2)
    feed_small = _queries(lambda: client.get(url))
    list_small = _queries(lambda: client.get(reverse("learning_sets:list")))
    grow(10)
    feed_large = _queries(lambda: client.get(url))
    list_large = _queries(lambda: client.get(reverse("learning_sets:list")))
    assert feed_large == feed_small
    assert list_large == list_small
    assert list_small <= 20
