"""The coach's and the board's flags: each fires the day after its limit and clears when the fact changes.

Every test reads real rows through `dashboards.summaries`, the code the portfolio and
the board use, at chosen days either side of the boundary.
"""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from collaborative import dashboards, flags, phases
from collaborative.models import Enrolment, PortfolioVisit, TeamMeeting
from collaborative.tests.factories import planned_enrolment
from measures.models import DataPoint
from measures.tests.factories import make_measure
from organisations.models import Assignment, Organisation, Role
from qi_projects.pdsa import feedback
from qi_projects.pdsa.models import PdsaCycle
from qi_projects.pdsa.tests.factories import cycle

DAY = date(2026, 3, 2)  # a Monday


def noon(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(12)))


def flags_on(organisation, today, now=None):
    """organisation's flags, key -> reason, as the pages would show them on `today`."""
    now = now or noon(today)
    with scope(organisation=[organisation.pk]):
        rows = dashboards.summaries(dashboards._enrolments([organisation.pk], today, now), today, now)
    return {f.key: f.reason for f in rows[0]["flags"]}


def started(cast, organisation=None, on_date=DAY - timedelta(days=60)):
    """The organisation in local design since `on_date` (six months planned)."""
    enrolment = planned_enrolment(organisation or cast.org_a, start=on_date)
    with scope(organisation=[enrolment.organisation_id]):
        return phases.start_first_phase(enrolment, by=cast.national, on_date=on_date)


def point(measure, period, numerator, denominator=100, at=None):
    with scopes_disabled():
        return DataPoint.objects.create(
            organisation_id=measure.organisation_id,
            measure=measure,
            period_start=period,
            stratum="all",
            numerator=numerator,
            denominator=denominator,
            updated_at=at or timezone.now(),
        )


def test_data_stale_fires_on_day_43_and_clears_when_a_figure_comes(cast):
    measure = make_measure(cast.org_a)
    point(measure, date(2026, 1, 1), 40, at=noon(DAY))
    assert "data_stale" not in flags_on(cast.org_a, DAY + timedelta(days=42))
    later = flags_on(cast.org_a, DAY + timedelta(days=43))
    assert later["data_stale"] == "No data for 6 weeks (since 2 Mar)"
    point(measure, date(2026, 2, 1), 41, at=noon(DAY + timedelta(days=43)))
    assert "data_stale" not in flags_on(cast.org_a, DAY + timedelta(days=43))


def test_a_period_is_late_the_moment_its_deadline_passes(cast):
    measure = make_measure(cast.org_a)  # monthly: due on the 15th of the next month at 23:59 UK time
    point(measure, date(2026, 1, 1), 40)
    before = datetime(2026, 3, 15, 23, 58, tzinfo=UTC)  # GMT in March before the clocks change
    after = datetime(2026, 3, 16, 0, 0, tzinfo=UTC)
    assert "data_late" not in flags_on(cast.org_a, date(2026, 3, 15), before)
    late = flags_on(cast.org_a, date(2026, 3, 16), after)["data_late"]
    assert late == "Started treatment within 2 weeks: data for Feb 2026 late (due 15 Mar)"
    point(measure, date(2026, 2, 1), 44)
    assert "data_late" not in flags_on(cast.org_a, date(2026, 3, 16), after)


def test_no_pdsa_activity_fires_on_day_29(cast):
    c = cycle(cast.org_a)
    with scopes_disabled():
        PdsaCycle.objects.filter(pk=c.pk).update(updated_at=noon(DAY), created_at=noon(DAY))
    assert "no_pdsa" not in flags_on(cast.org_a, DAY + timedelta(days=28))
    assert flags_on(cast.org_a, DAY + timedelta(days=29))["no_pdsa"] == "No PDSA activity for 4 weeks (since 2 Mar)"


def test_a_cycle_is_stuck_on_day_29_past_its_planned_end_and_clears_when_it_moves_on(cast):
    today = timezone.localdate()
    c = cycle(
        cast.org_a,
        status="studying",
        objective="Text reminders",
        planned_start=today - timedelta(days=60),
        planned_end=today - timedelta(days=29),
    )
    assert flags_on(cast.org_a, today)["cycle_stuck"] == "Cycle 'Text reminders' in Study 4 weeks past its planned end"
    assert "cycle_stuck" not in flags_on(cast.org_a, today - timedelta(days=1))  # 28 days past: not yet
    with scopes_disabled():
        c.complete(decision="adopt")
    assert "cycle_stuck" not in flags_on(cast.org_a, today)


def test_no_team_meeting_fires_on_day_22_and_clears_with_a_meeting(cast):
    started(cast)
    with scopes_disabled():
        TeamMeeting.objects.create(organisation=cast.org_a, date=DAY, attendees="Team", created_by=cast.lead)
    assert "no_meeting" not in flags_on(cast.org_a, DAY + timedelta(days=21))
    assert flags_on(cast.org_a, DAY + timedelta(days=22))["no_meeting"] == "No team meeting for 22 days (last 2 Mar)"
    with scopes_disabled():
        TeamMeeting.objects.create(
            organisation=cast.org_a, date=DAY + timedelta(days=22), attendees="Team", created_by=cast.lead
        )
    assert "no_meeting" not in flags_on(cast.org_a, DAY + timedelta(days=22))


def test_phase_overrun_says_by_how_much(cast):
    phase = started(cast)
    end = phase.planned_end
    assert "overrun" not in flags_on(cast.org_a, end)
    assert flags_on(cast.org_a, end + timedelta(days=1))["overrun"].startswith("Phase 1 overrun by 1 day")
    assert flags_on(cast.org_a, end + timedelta(days=92))["overrun"].startswith("Phase 1 overrun by 3 months")


def test_a_special_cause_concern_on_the_latest_point_is_flagged_until_a_usual_point_follows(cast):
    measure = make_measure(cast.org_a, improvement="increase")
    month = date(2024, 1, 1)
    for n in range(20):
        point(measure, date(month.year + (month.month + n - 1) // 12, (month.month + n - 1) % 12 + 1, 1), 50 + n % 3)
    point(measure, date(2025, 9, 1), 10)  # far below the lower limit: a concern, as higher is better
    today = timezone.localdate()
    assert flags_on(cast.org_a, today)["concern"] == (
        "Special-cause concern on the latest point of Started treatment within 2 weeks"
    )
    point(measure, date(2025, 10, 1), 51)
    assert "concern" not in flags_on(cast.org_a, today)


def test_a_question_to_the_coach_is_unanswered_until_the_coach_replies_on_it(cast):
    c = cycle(cast.org_a)
    today = timezone.localdate()
    with scopes_disabled():
        feedback.post_comment(
            organisation=cast.org_a, author=cast.lead, body="@coach@programme.example can we stop now?", cycle=c
        )
        feedback.post_comment(organisation=cast.org_a, author=cast.lead, body="No mention here", cycle=c)
    assert flags_on(cast.org_a, today)["unanswered"].startswith("1 question to the coach unanswered")
    other = cycle(cast.org_a, objective="Another test")
    with scopes_disabled():
        feedback.post_comment(organisation=cast.org_a, author=cast.coach, body="Elsewhere", cycle=other)
    assert "unanswered" in flags_on(cast.org_a, today)  # a reply on another cycle does not answer it
    with scopes_disabled():
        feedback.post_comment(organisation=cast.org_a, author=cast.coach, body="Yes: study it first", cycle=c)
    assert "unanswered" not in flags_on(cast.org_a, today)


def test_flags_come_worst_first():
    today = DAY
    facts = flags.Facts(
        today=today,
        now=noon(today),
        phase=2,
        phase_planned_end=today - timedelta(days=10),
        has_sponsor=False,
        last_meeting=today - timedelta(days=30),
        last_data=today - timedelta(days=50),
        last_pdsa=today,
    )
    keys = [f.key for f in flags.flags_for(facts)]
    assert keys == ["data_stale", "no_meeting", "overrun", "no_sponsor"]


# --- The portfolio --------------------------------------------------------------------


def _coach_organisations(cast, n):
    """n more organisations assigned to the coach, each with a measure, a point and a cycle."""
    with scopes_disabled():
        for i in range(n):
            org = Organisation.objects.create(name=f"Gamma {i}", slug=f"gamma-{i}")
            Enrolment.objects.create(collaborative=cast.collaborative, organisation=org, start_date=DAY)
            Assignment.objects.create(organisation=org, user=cast.coach, role=Role.COACH)
            point(make_measure(org), _last_month(), 30 + i)
            cycle(org)


def _last_month() -> date:
    """The month that ended last: its data is in, so no period is late."""
    return (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)


def _portfolio_queries(client, cast):
    from organisations import access

    access.forget(cast.coach)
    client.get(reverse("collaborative:portfolio"))  # warm the chart cache
    access.forget(cast.coach)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("collaborative:portfolio"))
    assert response.status_code == 200
    return len(queries), response.content.decode()


def test_portfolio_query_count_is_the_same_for_2_and_6_organisations(client, cast, login):
    login(client, cast.coach)
    _coach_organisations(cast, 1)
    small, page = _portfolio_queries(client, cast)
    assert page.count("data-organisation=") == 2
    with scopes_disabled():
        for i in range(1, 5):
            org = Organisation.objects.create(name=f"Gamma {i}", slug=f"gamma-{i}")
            Enrolment.objects.create(collaborative=cast.collaborative, organisation=org, start_date=DAY)
            Assignment.objects.create(organisation=org, user=cast.coach, role=Role.COACH)
            point(make_measure(org), _last_month(), 30 + i)
            cycle(org)
    large, page = _portfolio_queries(client, cast)
    assert page.count("data-organisation=") == 6
    assert large == small


def test_portfolio_puts_the_organisation_that_needs_attention_first_and_says_why(client, cast, login):
    _coach_organisations(cast, 1)  # Gamma 0: data this month, a recent cycle
    today = timezone.localdate()
    cycle(
        cast.org_a,
        status="studying",
        objective="Text reminders",
        planned_start=today - timedelta(days=90),
        planned_end=today - timedelta(days=40),
    )
    login(client, cast.coach)
    page = client.get(reverse("collaborative:portfolio")).content.decode()
    assert page.index("Alpha Trust") < page.index("Gamma 0")
    assert "Needs you first" in page
    assert "Cycle &#x27;Text reminders&#x27; in Study 5 weeks past its planned end" in page


def test_since_you_last_looked_counts_what_changed_after_the_previous_visit(client, cast, login):
    measure = make_measure(cast.org_a)
    c = cycle(cast.org_a)
    earlier = timezone.now() - timedelta(days=3)
    with scopes_disabled():
        PdsaCycle.objects.filter(pk=c.pk).update(
            created_at=earlier - timedelta(days=1), updated_at=earlier + timedelta(hours=1)
        )
        PortfolioVisit.objects.create(user=cast.coach, organisation=cast.org_a, visited_at=earlier)
    point(measure, date(2026, 1, 1), 40, at=earlier + timedelta(hours=1))
    point(measure, date(2026, 2, 1), 41, at=earlier + timedelta(hours=1))
    login(client, cast.coach)
    page = client.get(reverse("collaborative:portfolio")).content.decode()
    assert "2 new or changed figures" in page
    assert "1 PDSA cycle moved on" in page
    with scopes_disabled():
        visit = PortfolioVisit.objects.get(user=cast.coach, organisation=cast.org_a)
    assert visit.baseline == earlier  # this visit compares with the previous one
    assert visit.visited_at > earlier
    # Coming back within the hour is the same visit: the highlights stay.
    assert "2 new or changed figures" in client.get(reverse("collaborative:portfolio")).content.decode()
    with scopes_disabled():
        PortfolioVisit.objects.filter(pk=visit.pk).update(visited_at=timezone.now() - timedelta(hours=2))
    # A later visit compares with the last one: nothing new since.
    assert "nothing new" in client.get(reverse("collaborative:portfolio")).content.decode()


@pytest.mark.parametrize("flag", ["cycle_stuck", "no_meeting"])
def test_board_filters_by_the_new_flags(client, cast, login, flag):
    today = timezone.localdate()
    started(cast, on_date=today - timedelta(days=30))
    cycle(cast.org_a, status="doing", planned_start=today - timedelta(days=60), planned_end=today - timedelta(days=40))
    login(client, cast.national)
    page = client.get(reverse("collaborative:board"), {"flag": flag}).content.decode()
    assert "Alpha Trust" in page.split("Enrolled organisations")[1]
    assert "Beta Trust" not in page.split("Enrolled organisations")[1].split("Measures across the programme")[0]
