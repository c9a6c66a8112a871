"""Each reminder fires on its day, not the day before, once, and stops when the thing is done.

Times are UK local (`uk(...)`), turned into the UTC instant `send_due_reminders --now` takes.
The collaborative's default rule: monthly data due on the 15th of the following month, 23:59.
"""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_scopes import scopes_disabled

from collaborative.models import Enrolment, TeamMeeting
from collaborative.reminders import run
from collaborative.tests.factories import planned_enrolment
from measures.models import DataPoint
from measures.tests.factories import make_measure
from organisations.clock import LONDON
from organisations.models import Delivery, Notification

pytestmark = pytest.mark.django_db


def uk(year, month, day, hour=8, minute=5) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON).astimezone(UTC)


def at_day(day: date, hour=8, minute=5) -> datetime:
    return uk(day.year, day.month, day.day, hour, minute)


def sent(at, kind=None) -> list[tuple[str, str]]:
    """Run the reminders at `at`; (recipient, subject) of what went, of one kind."""
    report = run(at, inline=True)
    assert report.problems == []
    return sorted((r.recipient.email, r.subject) for r in report.sent if kind is None or r.kind == kind)


@pytest.fixture
def enrolled(cast):
    """Organisation A enrolled since 2025, so its measures' recent periods are chased."""
    with scopes_disabled():
        Enrolment.objects.filter(organisation=cast.org_a).update(start_date=date(2025, 1, 6))
    return cast


def point(measure, period):
    with scopes_disabled():
        DataPoint.objects.create(
            organisation=measure.organisation, measure=measure, period_start=period, numerator=5, denominator=10
        )


# --- Data due: 5 days before, on the day, weekly while late ---------------------------------


def test_data_reminders_go_5_days_before_on_the_day_and_weekly_while_late_until_entered(enrolled):
    cast = enrolled
    team = [cast.data_champion.email, cast.lead.email]  # not the member, sponsor or partner
    monthly = make_measure(cast.org_a, "EIP", created_at=datetime(2025, 1, 1, tzinfo=UTC))
    other = make_measure(cast.org_a, "DNA", created_at=datetime(2025, 1, 1, tzinfo=UTC))
    for measure in (monthly, other):
        for month in range(1, 11):
            point(measure, date(2026, month, 1))
    # November 2026's figures are due Tuesday 15 December 2026 by 23:59.
    assert sent(uk(2026, 12, 9), "data_due") == []
    assert sent(uk(2026, 12, 10, 7, 55), "data_due") == []
    assert sent(uk(2026, 12, 10), "data_due") == [(email, "Data due in 5 days: 2 measures") for email in team]
    assert sent(uk(2026, 12, 10, 9, 0), "data_due") == []  # once
    point(other, date(2026, 11, 1))
    assert sent(uk(2026, 12, 14), "data_due") == []
    assert sent(uk(2026, 12, 15), "data_due") == [(email, "Data due today: 1 measure") for email in team]
    assert sent(uk(2026, 12, 21), "data_due") == []
    assert sent(uk(2026, 12, 22), "data_due") == [(email, "Data late: 1 measure to submit") for email in team]
    row = Delivery.objects.filter(kind="data_due", recipient=cast.lead).order_by("-due_at").first()
    assert [item["title"] for item in row.items] == ["EIP Started treatment within 2 weeks: November 2026"]
    assert row.items[0]["lines"] == ["Late by 1 week: due Tuesday 15 December 2026 by 23:59 UK time."]
    assert row.url == "/orgs/alpha/data/" and row.items[0]["url"] == f"/orgs/alpha/data/measures/{monthly.pk}/enter/"
    assert sent(uk(2026, 12, 29), "data_due") == [(email, "Data late: 1 measure to submit") for email in team]
    point(monthly, date(2026, 11, 1))
    assert sent(uk(2027, 1, 5), "data_due") == []  # entered: no more
    assert sum(1 for m in mail.outbox if m.subject.startswith("Data")) == 8


def test_a_period_past_four_weeks_late_is_missing_and_no_longer_chased(enrolled):
    cast = enrolled
    make_measure(cast.org_a, "EIP", created_at=datetime(2025, 1, 1, tzinfo=UTC))
    # August 2026 was due 15 September: chased on 22 and 29 September, 6 and 13 October, then not.
    run(uk(2026, 10, 13), inline=True)
    row = Delivery.objects.get(kind="data_due", recipient=cast.lead)
    assert [(i["title"], i["lines"][0][:16]) for i in row.items] == [
        ("EIP Started treatment within 2 weeks: August 2026", "Late by 4 weeks:")
    ]
    assert sent(uk(2026, 10, 20), "data_due") == []  # August's is missing now; September's not late yet


def test_periods_due_before_the_measure_existed_are_not_chased(enrolled):
    cast = enrolled
    make_measure(cast.org_a, "EIP", created_at=datetime(2026, 12, 16, tzinfo=UTC))
    assert sent(uk(2026, 12, 22)) == []  # November's was due the day before the measure was defined
    assert sent(uk(2027, 1, 10)) != []  # December's, due 15 January, is


def test_the_collaboratives_rule_moves_the_reminders(enrolled):
    cast = enrolled
    cast.collaborative.monthly_data_due_day = 31
    cast.collaborative.save()
    make_measure(cast.org_a, "EIP", created_at=datetime(2025, 1, 1, tzinfo=UTC))
    # January 2028's figures are due on the last day of February 2028: the 29th, a leap year.
    assert sent(uk(2028, 2, 24)) != []
    assert sent(uk(2028, 2, 29), "data_due") == [
        (cast.data_champion.email, "Data due today: 1 measure"),
        (cast.lead.email, "Data due today: 1 measure"),
    ]


def test_the_data_page_shows_each_measures_last_periods(client, enrolled, login):
    cast = enrolled
    measure = make_measure(cast.org_a, "EIP", created_at=datetime(2025, 1, 1, tzinfo=UTC))
    today = timezone.localdate()
    month = today.replace(day=1)
    last = (month - timedelta(days=1)).replace(day=1)
    point(measure, last)
    login(client, cast.lead)
    page = client.get(f"/orgs/{cast.org_a.slug}/data/")
    recent = page.context["rows"][0]["recent"]
    assert [r[2] for r in recent][-1] == "submitted"
    assert "Last periods" in page.content.decode() and "nhsuk-tag" in page.content.decode()


# --- PDSA ---------------------------------------------------------------------------------


def test_a_cycle_not_started_by_its_planned_end_is_reminded_the_day_after(enrolled):
    from qi_projects.pdsa.tests.factories import cycle

    cast = enrolled
    today = timezone.localdate()
    stalled = cycle(cast.org_a, by=cast.member, planned_start=today - timedelta(days=10), planned_end=today)
    started = cycle(cast.org_a, by=cast.member, planned_start=today - timedelta(days=10), planned_end=today)
    with scopes_disabled():
        started.record_do(actual_start=today - timedelta(days=9))
    tomorrow = today + timedelta(days=1)
    assert sent(at_day(today, 23, 0), "pdsa_not_started") == []
    got = sent(at_day(tomorrow), "pdsa_not_started")
    subject = f"PDSA cycle {stalled.number} has not started: {stalled.objective}"
    assert got == [(cast.lead.email, subject), (cast.member.email, subject)]  # its author and the lead
    assert sent(at_day(tomorrow + timedelta(days=1)), "pdsa_not_started") == []


def test_a_study_overdue_by_7_days_is_reminded_once_and_not_once_studied(enrolled):
    from qi_projects.pdsa.tests.factories import cycle

    cast = enrolled
    doing = cycle(cast.org_a, status="doing")  # its test ended 12 days ago
    studied = cycle(cast.org_a, status="studying")
    ended = doing.actual_end
    assert studied.actual_end == ended
    week_on = ended + timedelta(days=7)
    # Move the clock back to the week after the test ended (the factory's dates are fixed to today).
    assert sent(at_day(week_on - timedelta(days=1)), "pdsa_study_overdue") == []
    assert sent(at_day(week_on), "pdsa_study_overdue") == [
        (cast.lead.email, f"Study overdue for PDSA cycle {doing.number}: {doing.objective}")
    ]
    with scopes_disabled():
        doing.refresh_from_db()
        doing.record_study(results="As predicted.", learning="It works.")
    Delivery.objects.filter(kind="pdsa_study_overdue").delete()
    assert sent(at_day(week_on, 10), "pdsa_study_overdue") == []


# --- Team meetings, invitations, invoices ----------------------------------------------------


def test_no_meeting_14_days_after_the_last_then_every_fortnight_until_one_is_recorded(enrolled):
    cast = enrolled
    last = date(2026, 11, 2)
    with scopes_disabled():
        TeamMeeting.objects.create(organisation=cast.org_a, date=last, attendees="Team", created_by=cast.lead)
    assert sent(uk(2026, 11, 16, 7, 55), "meeting") == []
    assert sent(uk(2026, 11, 16), "meeting") == [(cast.lead.email, "No team meeting recorded for 14 days")]
    assert sent(uk(2026, 11, 23), "meeting") == []
    assert sent(uk(2026, 11, 30), "meeting") == [(cast.lead.email, "No team meeting recorded for 28 days")]
    with scopes_disabled():
        TeamMeeting.objects.create(
            organisation=cast.org_a, date=date(2026, 12, 3), attendees="Team", created_by=cast.lead
        )
    assert sent(uk(2026, 12, 14), "meeting") == []  # 14 days after 30 November: a meeting since
    assert sent(uk(2026, 12, 17), "meeting") == [(cast.lead.email, "No team meeting recorded for 14 days")]


def test_an_invitation_not_accepted_after_7_days_reminds_the_inviter(enrolled, invitation_factory):
    cast = enrolled
    made = uk(2026, 11, 20, 15, 0)
    waiting = invitation_factory(email="slow@a.example", created_at=made, expires_at=made + timedelta(days=14))
    accepted = invitation_factory(email="quick@a.example", created_at=made, expires_at=made + timedelta(days=14))
    with scopes_disabled():
        type(accepted).objects.filter(pk=accepted.pk).update(accepted_at=made + timedelta(days=1))
    assert sent(uk(2026, 11, 26), "invitation") == []
    assert sent(uk(2026, 11, 27), "invitation") == [
        (cast.lead.email, f"{waiting.email} has not accepted your invitation yet")
    ]
    assert sent(uk(2026, 11, 28), "invitation") == []


def test_invoices_due_in_14_days_and_overdue_weekly_go_to_the_national_team_until_paid(enrolled):
    cast = enrolled
    with scopes_disabled():
        invoice = planned_enrolment(cast.org_a).invoices.order_by("year").first()
        type(invoice).objects.filter(pk=invoice.pk).update(issued_on=date(2026, 11, 1), due_on=date(2026, 12, 1))
    due_in_14 = [(cast.national.email, "Invoice due in 14 days: Alpha Trust, year 1")]
    overdue = [(cast.national.email, "Invoice overdue: Alpha Trust, year 1")]
    assert sent(uk(2026, 11, 16), "invoice") == []
    assert sent(uk(2026, 11, 17), "invoice") == due_in_14
    assert sent(uk(2026, 12, 1), "invoice") == []  # due today: not overdue yet
    assert sent(uk(2026, 12, 2), "invoice") == overdue
    assert sent(uk(2026, 12, 8), "invoice") == []
    assert sent(uk(2026, 12, 9), "invoice") == overdue
    with scopes_disabled():
        type(invoice).objects.filter(pk=invoice.pk).update(paid_on=date(2026, 12, 10))
    assert sent(uk(2026, 12, 16), "invoice") == []


# --- Mentions ----------------------------------------------------------------------------------


def test_a_mention_is_emailed_as_well_as_in_app_once_and_not_once_read(enrolled):
    from qi_projects.pdsa import feedback
    from qi_projects.pdsa.tests.factories import cycle

    cast = enrolled
    c = cycle(cast.org_a)
    with scopes_disabled():
        feedback.post_comment(organisation=cast.org_a, author=cast.coach, body="@lead@a.example see this", cycle=c)
    now = timezone.now()
    assert sent(now - timedelta(minutes=1), "mention") == []
    got = sent(now + timedelta(minutes=1), "mention")
    assert got == [(cast.lead.email, f"{cast.coach.display_name} mentioned you on cycle {c.number}: {c.objective}")]
    assert Notification.objects.filter(recipient=cast.lead, kind="mention").count() == 1  # no second in-app one
    assert "@lead@a.example see this" in mail.outbox[-1].body
    assert sent(now + timedelta(minutes=6), "mention") == []
    with scopes_disabled():
        feedback.post_comment(organisation=cast.org_a, author=cast.coach, body="@lead@a.example and this", cycle=c)
    Notification.objects.filter(recipient=cast.lead).update(read_at=timezone.now())  # seen in the app first
    assert sent(timezone.now() + timedelta(minutes=1), "mention") == []


# --- Digests -------------------------------------------------------------------------------


def test_the_weekly_digest_reaches_each_coach_on_monday_at_0800_uk_time(enrolled):
    cast = enrolled
    with scopes_disabled():
        TeamMeeting.objects.create(
            organisation=cast.org_a, date=date(2026, 11, 25), attendees="Team", created_by=cast.lead
        )
    assert sent(uk(2026, 11, 29), "weekly_digest") == []  # Sunday
    assert sent(uk(2026, 11, 30, 7, 55), "weekly_digest") == []
    got = sent(uk(2026, 11, 30), "weekly_digest")
    assert got == [(cast.coach.email, "Weekly digest: 1 organisation, 1 flagged, week of 23 November 2026")]
    row = Delivery.objects.get(kind="weekly_digest")
    assert row.url == "/coaching/"
    [item] = row.items
    assert item["title"] == "Alpha Trust" and item["url"] == "/orgs/alpha/"
    assert "No named project lead" in item["lines"][0]
    assert item["lines"][1] == "This week: 1 team meeting held"
    assert sent(uk(2026, 12, 1), "weekly_digest") == []
    # Summer time: Monday 8 June 2026, 08:00 BST is 07:00 UTC.
    assert sent(datetime(2026, 6, 8, 6, 59, tzinfo=UTC), "weekly_digest") == []
    assert len(sent(datetime(2026, 6, 8, 7, 0, tzinfo=UTC), "weekly_digest")) == 1


def test_the_monthly_programme_summary_reaches_the_national_team_on_the_1st(enrolled):
    cast = enrolled
    assert sent(uk(2026, 11, 30, 9, 0), "programme_summary") == []
    got = sent(uk(2026, 12, 1), "programme_summary")
    assert got == [(cast.national.email, "Monthly programme summary: November 2026")]
    row = Delivery.objects.get(kind="programme_summary")
    assert "2 organisations enrolled" in row.text and row.url == "/programme/"
    assert {item["title"] for item in row.items} == {"Alpha Trust", "Beta Trust"}  # both lack a named lead
    assert sent(uk(2026, 12, 2), "programme_summary") == []


# --- The command ------------------------------------------------------------------------------


def test_the_command_prints_what_it_sent_and_refuses_bad_times(enrolled, capsys):
    cast = enrolled
    with scopes_disabled():
        TeamMeeting.objects.create(organisation=cast.org_a, date=date(2026, 11, 3), attendees="T", created_by=cast.lead)
    call_command("send_due_reminders", "--now", "2026-11-17T08:05:00Z")
    out = capsys.readouterr().out
    assert "Reminders due at 2026-11-17 08:05 UTC (Tue 17 Nov 08:05 UK time)" in out
    assert f"sent     No team meeting: No team meeting recorded for 14 days → {cast.lead.email}" in out
    assert "Sent 1, failed 0, to retry 0." in out
    call_command("send_due_reminders", "--now", "2026-11-17T08:05:00Z")
    assert "Sent 0" in capsys.readouterr().out
    before = Delivery.objects.count()
    for bad, message in (
        ("16/11/2026", "not a date and time"),
        ("2026-11-16T08:05:00", "no time zone"),
        ("2999-01-01T00:00:00Z", "more than 5 years"),
    ):
        with pytest.raises(CommandError, match=message):
            call_command("send_due_reminders", "--now", bad)
    assert Delivery.objects.count() == before


def test_a_source_that_fails_is_reported_and_the_others_still_send(enrolled):
    from collaborative.registry import reminder_sources

    cast = enrolled
    with scopes_disabled():
        TeamMeeting.objects.create(organisation=cast.org_a, date=date(2026, 11, 3), attendees="T", created_by=cast.lead)

    def broken(now):
        raise RuntimeError("the learning sets table is missing")

    reminder_sources.register("zz_broken", broken)
    try:
        report = run(uk(2026, 11, 17), inline=True)
        assert [r.kind for r in report.sent] == ["meeting"]
        assert report.problems == ["zz_broken: RuntimeError: the learning sets table is missing"]
        with pytest.raises(CommandError, match="zz_broken"):
            call_command("send_due_reminders", "--now", "2026-12-01T08:05:00Z")
        assert Delivery.objects.filter(kind="meeting").count() == 2  # sent before it said so
    finally:
        reminder_sources._entries.pop("zz_broken")


# --- The demo's simulated week --------------------------------------------------------------


def test_a_simulated_week_of_the_demo_sends_what_a_person_expects_each_once():
    from collaborative import demo

    demo.seed()
    today = timezone.localdate()
    days = [datetime.combine(today + timedelta(days=d), datetime.min.time(), tzinfo=UTC) for d in range(7)]
    for day in days:
        run(day.replace(hour=8, minute=5), inline=True)
    emails = len(mail.outbox)
    rows = list(Delivery.objects.select_related("recipient"))
    assert emails == sum(1 for r in rows if r.emailed) == len(rows)
    assert {r.status for r in rows} == {"sent"}
    for day in days:  # the same week again, and more often: nothing new
        run(day.replace(hour=8, minute=5), inline=True)
        run(day.replace(hour=18), inline=True)
    assert len(mail.outbox) == emails

    def of(kind):
        return sorted(r.recipient.email for r in rows if r.kind == kind)

    assert of("pdsa_not_started") == ["lead2@demo.example"]
    assert of("pdsa_study_overdue") == ["lead2@demo.example"]
    assert of("mention") == ["lead2@demo.example"]
    assert "lead3@demo.example" in of("meeting")  # Eastmoor has not met for six weeks
    assert of("invitation") == ["lead1@demo.example", "national@demo.example"]
    assert "national@demo.example" in of("invoice")
    assert of("weekly_digest") == ["coach1@demo.example", "coach2@demo.example"]
    assert "lead1@demo.example" in of("data_due") and "lead2@demo.example" in of("data_due")
    assert all(r.subject.startswith("Weekly digest") for r in rows if r.kind == "weekly_digest")
    # Each digest's links open the coach's organisations.
    digest = next(r for r in rows if r.kind == "weekly_digest" and r.recipient.email == "coach1@demo.example")
    urls = ["/orgs/eastmoor-icb/", "/orgs/northshire/", "/orgs/riverside-vale/"]
    assert [item["url"] for item in digest.items] == urls


def test_the_national_team_sets_the_data_rule_on_the_settings_page(client, cast, login):
    from django.urls import reverse

    login(client, cast.national)
    page = client.get(reverse("collaborative:settings"))
    assert 'type="time"' in page.content.decode() and 'value="23:59"' in page.content.decode()
    form = page.context["form"]
    data = {name: form[name].value() for name in form.fields}
    data.update(start_date=cast.collaborative.start_date.isoformat(), vat_rate="20", annual_fee="15000")
    bad = client.post(
        reverse("collaborative:settings"), {**data, "monthly_data_due_day": "0", "data_due_time": "25:00"}
    )
    assert bad.status_code == 422
    text = bad.content.decode()
    assert "Ensure this value is greater than or equal to 1." in text and "Enter a valid time." in text
    cast.collaborative.refresh_from_db()
    assert cast.collaborative.monthly_data_due_day == 15  # nothing changed
    good = client.post(
        reverse("collaborative:settings"), {**data, "monthly_data_due_day": "20", "data_due_time": "17:00"}
    )
    assert good.status_code == 302
    cast.collaborative.refresh_from_db()
    assert (cast.collaborative.monthly_data_due_day, f"{cast.collaborative.data_due_time:%H:%M}") == (20, "17:00")


def test_with_the_broker_down_the_command_says_so_and_the_reminders_wait(enrolled, capsys):
    from tests.brokers import queued_through

    cast = enrolled
    with scopes_disabled():
        TeamMeeting.objects.create(organisation=cast.org_a, date=date(2026, 11, 3), attendees="T", created_by=cast.lead)
    with queued_through("redis://127.0.0.1:1/0"):
        call_command("send_due_reminders", "--now", "2026-11-17T08:05:00Z")
    captured = capsys.readouterr()
    assert "Sent 0, failed 0, to retry 0." in captured.out
    assert "The Celery broker could not be reached: 1 deliveries wait for the next run" in captured.err
    assert Delivery.objects.get().status == "pending"
    call_command("send_due_reminders", "--now", "2026-11-17T08:10:00Z")  # inline again: the next run sends it
    assert Delivery.objects.get().status == "sent"
    assert len(mail.outbox) == 1
