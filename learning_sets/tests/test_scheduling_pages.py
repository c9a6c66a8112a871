"""The national team's pages: create, schedule a year, edit, reschedule, cancel, agenda; bad input changes nothing."""

from datetime import date, time, timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from conftest import sign_in
from learning_sets.models import AgendaItem, LearningSet, Registration
from learning_sets.scheduling import london_to_utc, propose_year, to_london
from organisations.models import Notification

from . import factories


def day_fields(day: date, prefix: str = "") -> dict:
    return {f"{prefix}date_0": day.day, f"{prefix}date_1": day.month, f"{prefix}date_2": day.year}


def set_data(day: date, prefix: str = "", **extra) -> dict:
    data = {
        f"{prefix}title": "Spring learning set",
        f"{prefix}start_time": "10:00",
        f"{prefix}end_time": "15:30",
        f"{prefix}format": "online",
        f"{prefix}joining_link": "https://meet.example/amhe",
        f"{prefix}capacity": "120",
        **day_fields(day, prefix),
    }
    data.update({f"{prefix}{k}": v for k, v in extra.items()})
    return data


@pytest.fixture
def national(client, cast):
    return sign_in(client, cast.national)


def next_weekday(days=30) -> date:
    day = timezone.localdate() + timedelta(days=days)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def test_the_national_team_creates_a_draft_in_london_time(national, cast):
    day = next_weekday()
    response = national.post(reverse("learning_sets:create"), set_data(day, description="Bring your charts."))
    assert response.status_code == 302
    ls = LearningSet.objects.get()
    assert ls.status == "draft"
    assert ls.starts_at == london_to_utc(day, time(10, 0))
    assert to_london(ls.starts_at).hour == 10
    assert ls.collaborative == cast.collaborative


def last_sunday(year: int, month: int) -> date:
    day = date(year, month + 1, 1) - timedelta(days=1)
    return day - timedelta(days=(day.weekday() + 1) % 7)


def spring_forward() -> date:
    today = timezone.localdate()
    day = last_sunday(today.year, 3)
    return day if day > today else last_sunday(today.year + 1, 3)


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"date_0": "1", "date_1": "1", "date_2": "2020"}, "date", "This date and time have passed"),
        ({"date_2": str(timezone.localdate().year + 6)}, "date", "at most 5 years ahead"),
        ({"date_0": "31", "date_1": "2"}, "date", "Enter a real date"),
        ({"end_time": "09:00"}, "end_time", "The end time must be after the start time."),
        ({"start_time": "25:00"}, "start_time", "Enter a time on the 24-hour clock"),
        ({"capacity": "0"}, "capacity", "greater than or equal to 1"),
        ({"capacity": "5000"}, "capacity", "less than or equal to 1000"),
        ({"title": "x" * 201}, "title", "at most 200 characters"),
        ({"joining_link": ""}, "joining_link", "Give the joining link"),
        ({"format": "in_person", "joining_link": ""}, "venue", "Give the venue"),
        ({"joining_link": "javascript:alert(1)"}, "joining_link", "Enter a valid URL"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_is_created(national, change, field, message):
    data = set_data(next_weekday()) | change
    response = national.post(reverse("learning_sets:create"), data)
    assert response.status_code == 422
    assert message in " ".join(response.context["form"].errors.get(field, []))
    assert 'class="nhsuk-error-summary"' in response.content.decode()
    assert not LearningSet.objects.exists()


def test_a_time_that_does_not_exist_in_london_is_refused(national):
    day = spring_forward()
    data = set_data(day, start_time="01:30", end_time="04:00")
    response = national.post(reverse("learning_sets:create"), data)
    assert response.status_code == 422
    assert "does not exist in London" in response.content.decode()
    assert not LearningSet.objects.exists()


def test_an_ambiguous_time_is_taken_in_summer_time_and_said_so(national):
    today = timezone.localdate()
    day = last_sunday(today.year, 10) if last_sunday(today.year, 10) > today else last_sunday(today.year + 1, 10)
    response = national.post(
        reverse("learning_sets:create"), set_data(day, start_time="01:30", end_time="03:00"), follow=True
    )
    assert "happens twice in London" in response.content.decode()
    ls = LearningSet.objects.get()
    assert ls.starts_at == london_to_utc(day, time(1, 30))
    assert to_london(ls.starts_at).utcoffset() == timedelta(hours=1)


def test_schedule_a_year_proposes_four_dates_and_publishes_them_in_one_step(national, cast):
    year = timezone.localdate().year + 1
    page = national.get(reverse("learning_sets:schedule_year"), {"year": year, "weekday": 3})
    assert page.status_code == 200
    proposed = propose_year(year, 3)
    assert [f.initial["date"] for f in page.context["set_forms"]] == proposed
    data = {"year": year, "weekday": 3, "publish": "1"}
    for n, day in enumerate(proposed, start=1):
        data |= set_data(day, prefix=f"set{n}-", title=f"Learning set {n}")
    data["set4-format"] = "hybrid"
    data["set4-venue"], data["set4-address"] = "The Light", "The Headrow, Leeds"
    response = national.post(reverse("learning_sets:schedule_year"), data)
    assert response.status_code == 302
    sets = list(LearningSet.objects.order_by("starts_at"))
    assert [s.local_start.date() for s in sets] == proposed
    assert {s.status for s in sets} == {"published"}
    assert sets[3].format == "hybrid"


def test_one_bad_set_in_the_year_publishes_none(national):
    year = timezone.localdate().year + 1
    data = {"year": year, "weekday": 2}
    for n, day in enumerate(propose_year(year, 2), start=1):
        data |= set_data(day, prefix=f"set{n}-")
    data["set2-end_time"] = "08:00"
    response = national.post(reverse("learning_sets:schedule_year"), data)
    assert response.status_code == 422
    assert "The end time must be after the start time." in response.content.decode()
    assert 'href="#id_set2-end_time"' in response.content.decode()
    assert not LearningSet.objects.exists()


def test_publishing_a_draft_in_the_past_is_refused(national, cast):
    ls = factories.learning_set(cast.collaborative, days=-2, status="draft")
    response = national.post(reverse("learning_sets:publish", args=[ls.pk]), follow=True)
    assert "in the past" in response.content.decode()
    ls.refresh_from_db()
    assert ls.status == "draft"


def test_rescheduling_tells_everyone_registered_and_moves_the_agenda(
    national, cast, django_capture_on_commit_callbacks
):
    ls = factories.learning_set(cast.collaborative, days=20)
    item = factories.presenting(ls, cast.org_a)  # 11:00 London
    factories.registration(ls, cast.lead, organisation=cast.org_a)
    factories.registration(ls, cast.member, organisation=cast.org_a, status="waiting")
    new_day = next_weekday(45)
    data = day_fields(new_day) | {"start_time": "13:00", "end_time": "16:00", "message": "Moved for the strike."}
    with django_capture_on_commit_callbacks(execute=True):
        response = national.post(reverse("learning_sets:reschedule", args=[ls.pk]), data)
    assert response.status_code == 302
    ls.refresh_from_db()
    assert ls.starts_at == london_to_utc(new_day, time(13, 0)) and ls.sequence == 1
    item.refresh_from_db()
    assert to_london(item.starts_at).date() == new_day and to_london(item.starts_at).hour == 14
    assert [m.to for m in mail.outbox] == [["lead@a.example"]]  # the calendar update goes to place holders
    assert Notification.objects.filter(recipient=cast.member, kind__startswith="learning_set_update").exists()
    assert Notification.objects.filter(recipient=cast.lead, kind__startswith="learning_set_update").exists()


def test_editing_a_past_set_keeps_its_time_but_cannot_move_it_into_the_past(national, cast):
    ls = factories.past_set(cast.collaborative)
    form = national.get(reverse("learning_sets:edit", args=[ls.pk])).context["form"]
    data = {k: v for k, v in form.initial.items() if k != "date"} | day_fields(form.initial["date"])
    data["title"] = "Renamed afterwards"
    assert national.post(reverse("learning_sets:edit", args=[ls.pk]), data).status_code == 302
    ls.refresh_from_db()
    assert ls.title == "Renamed afterwards"
    data["start_time"] = "09:00"
    assert national.post(reverse("learning_sets:edit", args=[ls.pk]), data).status_code == 422


def test_cancelling_tells_everyone_and_cannot_be_done_twice(national, cast, django_capture_on_commit_callbacks):
    ls = factories.learning_set(cast.collaborative)
    factories.registration(ls, cast.lead, organisation=cast.org_a)
    factories.registration(ls, cast.member, organisation=cast.org_a, status="waiting")
    with django_capture_on_commit_callbacks(execute=True):
        response = national.post(reverse("learning_sets:cancel", args=[ls.pk]), {"reason": "Snow."})
    assert response.status_code == 302
    ls.refresh_from_db()
    assert ls.status == "cancelled" and ls.cancel_reason == "Snow."
    assert [m.to for m in mail.outbox] == [["lead@a.example"]]
    assert Notification.objects.filter(recipient=cast.member, text__contains="is cancelled").exists()
    again = national.post(reverse("learning_sets:cancel", args=[ls.pk]), {"reason": "Again"})
    assert again.status_code == 422 and "already cancelled" in again.content.decode()
    assert Registration.objects.get(user=cast.lead).status == "registered"  # kept for the record


def test_the_agenda_is_saved_within_the_sets_times(national, cast):
    ls = factories.learning_set(cast.collaborative)
    url = reverse("learning_sets:agenda", args=[ls.pk])
    base = {"agenda-TOTAL_FORMS": "3", "agenda-INITIAL_FORMS": "0", "agenda-MIN_NUM_FORMS": "0"}
    bad = base | {"agenda-0-start_time": "08:00", "agenda-0-end_time": "09:00", "agenda-0-title": "Too early"}
    response = national.post(url, bad)
    assert response.status_code == 422 and "Sessions fall within the learning set" in response.content.decode()
    good = base | {
        "agenda-0-start_time": "10:00",
        "agenda-0-end_time": "10:30",
        "agenda-0-title": "Welcome",
        "agenda-1-start_time": "10:30",
        "agenda-1-end_time": "11:30",
        "agenda-1-title": "Alpha's crisis line",
        "agenda-1-presenting_organisation": cast.org_a.pk,
    }
    assert national.post(url, good).status_code == 302
    assert list(AgendaItem.objects.values_list("title", flat=True)) == ["Welcome", "Alpha's crisis line"]
    assert ls.is_presenter(cast.member) and not ls.is_presenter(cast.other_lead)
