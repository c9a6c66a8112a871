"""iCalendar for learning sets, built with the `icalendar` package.

- `invitation(...)`: the file an email carries: `METHOD:REQUEST` for a place or
  an update (the same `UID`, a higher `SEQUENCE`), `METHOD:CANCEL` when the set
  is cancelled or the person gives up their place.
- `download(...)`: the same event as a file to open (`METHOD:PUBLISH`).
- `feed(...)`: a person's subscription feed of the sets they have a place at.

Times are written in Europe/London with its VTIMEZONE, so a calendar shows the
local time whatever the clocks are doing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, timedelta
from email.utils import parseaddr

import icalendar
from django.conf import settings
from django.utils import timezone

from .scheduling import LONDON

PRODID = "-//AMHE collaborative//Learning sets//EN"


def _calendar(method: str | None) -> icalendar.Calendar:
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    return cal


def _description(learning_set) -> str:
    lines = []
    if learning_set.description:
        lines += [learning_set.description, ""]
    if learning_set.joining_link:
        lines.append(f"Join online: {learning_set.joining_link}")
    if learning_set.venue or learning_set.address:
        lines.append(f"Venue: {', '.join(p for p in [learning_set.venue, learning_set.address] if p)}")
    agenda = list(learning_set.agenda.all())
    if agenda:
        lines += ["", "Agenda:"]
        lines += [f"{item.starts_at.astimezone(LONDON):%H:%M} {item.title}" for item in agenda]
    lines += ["", f"Details, materials and feedback: {settings.SITE_URL}{learning_set.get_absolute_url()}"]
    return "\n".join(lines).strip()


def event(learning_set, *, sequence: int | None = None, attendee=None, cancelled: bool = False) -> icalendar.Event:
    ev = icalendar.Event()
    ev.add("uid", learning_set.uid)
    ev.add("sequence", learning_set.sequence if sequence is None else sequence)
    ev.add("dtstamp", timezone.now().astimezone(UTC))
    ev.add("created", learning_set.created_at.astimezone(UTC))
    ev.add("last-modified", learning_set.updated_at.astimezone(UTC))
    ev.add("dtstart", learning_set.starts_at.astimezone(LONDON))
    ev.add("dtend", learning_set.ends_at.astimezone(LONDON))
    ev.add("summary", learning_set.title)
    ev.add("description", _description(learning_set))
    if learning_set.location:
        ev.add("location", learning_set.location)
    ev.add("url", f"{settings.SITE_URL}{learning_set.get_absolute_url()}")
    ev.add("status", "CANCELLED" if cancelled or learning_set.is_cancelled else "CONFIRMED")
    ev.add("transp", "OPAQUE")
    if attendee is not None:
        name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
        organizer = icalendar.vCalAddress(f"mailto:{address}")
        organizer.params["CN"] = name or "AMHE collaborative"
        ev.add("organizer", organizer)
        person = icalendar.vCalAddress(f"mailto:{attendee.email}")
        person.params["CN"] = attendee.display_name
        person.params["ROLE"] = "REQ-PARTICIPANT"
        person.params["PARTSTAT"] = "DECLINED" if cancelled else "ACCEPTED"
        person.params["RSVP"] = "FALSE"
        ev.add("attendee", person)
    return ev


def _finish(cal: icalendar.Calendar, sets: list) -> bytes:
    if sets:
        first = min(s.starts_at for s in sets).date() - timedelta(days=366)
        last = max(s.ends_at for s in sets).date() + timedelta(days=366)
        cal.add_missing_timezones(first_date=first, last_date=last)
    return cal.to_ical()


def invitation(learning_set, user, *, method: str = "REQUEST", sequence: int | None = None) -> bytes:
    """The calendar part of a registration email: REQUEST (a place, an update) or CANCEL."""
    cal = _calendar(method)
    cal.add_component(event(learning_set, sequence=sequence, attendee=user, cancelled=method == "CANCEL"))
    return _finish(cal, [learning_set])


def download(learning_set) -> bytes:
    cal = _calendar("PUBLISH")
    cal.add_component(event(learning_set))
    return _finish(cal, [learning_set])


def feed(learning_sets: Iterable, *, name: str = "AMHE learning sets") -> bytes:
    """A subscription feed: the sets, cancelled ones marked so, refreshed twice a day."""
    sets = list(learning_sets)
    cal = _calendar("PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "Europe/London")
    cal.add("refresh-interval", timedelta(hours=12), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT12H")
    for learning_set in sets:
        cal.add_component(event(learning_set))
    return _finish(cal, sets)


def parse(data: bytes) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(data)
