"""The approach feedback survey: rounds, answering and changing an answer, bad input, the notice and reminders."""

from datetime import date, timedelta

from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from collaborative import registry
from evaluation import survey
from evaluation.models.feedback import PARTS, ApproachFeedback, open_round, round_at, rounds_until
from organisations.clock import london

ALL_HELPFUL = {name: "4" for name, _ in PARTS}


def open_now(cast, days_in: int = 3):
    """Start the collaborative so that round 1 opened `days_in` days ago."""
    today = timezone.localdate()
    opened = today - timedelta(days=days_in)
    start = date(opened.year - (1 if opened.month <= 6 else 0), (opened.month - 7) % 12 + 1, min(opened.day, 28))
    with scopes_disabled():
        type(cast.collaborative).objects.filter(pk=cast.collaborative.pk).update(start_date=start)
    cast.collaborative.refresh_from_db()
    return open_round(start, today)


def test_rounds_open_every_six_months_for_six_weeks():
    start = date(2025, 1, 31)
    assert round_at(start, 1).opens_on == date(2025, 7, 31)
    assert round_at(start, 2).opens_on == date(2026, 1, 31)
    assert round_at(start, 1).closes_on == date(2025, 9, 10)
    assert open_round(start, date(2025, 7, 30)) is None
    assert open_round(start, date(2025, 9, 10)).number == 1
    assert open_round(start, date(2025, 9, 11)) is None
    assert [r.number for r in rounds_until(start, date(2026, 2, 1))] == [1, 2]


def test_a_member_answers_then_changes_their_answer_until_the_round_closes(client, cast, login):
    current = open_now(cast)
    login(client, cast.member)
    page = client.get(reverse("evaluation:feedback")).content.decode()
    assert "How helpful has this been: learning sets?" in page and "Not used" in page
    response = client.post(reverse("evaluation:feedback"), ALL_HELPFUL | {"platform": "0", "helped": "The coach"})
    assert response.status_code == 302
    response = client.post(reverse("evaluation:feedback"), ALL_HELPFUL | {"coaching": "5"})
    assert response.status_code == 302
    with scopes_disabled():
        answer = ApproachFeedback.objects.get()
    assert (answer.round_number, answer.coaching, answer.platform, answer.helped) == (current.number, 5, 4, "")
    assert answer.organisation_id == cast.org_a.pk and answer.user_id == cast.member.pk
    assert "You can change your answers until" in client.get(reverse("evaluation:feedback")).content.decode()


def test_a_missing_or_bad_answer_is_refused_next_to_the_field_and_keeps_what_was_typed(client, cast, login):
    open_now(cast)
    login(client, cast.lead)
    data = ALL_HELPFUL | {"pdsa": "", "measurement": "9", "helped": "Keep this text", "did_not_help": "x" * 2001}
    response = client.post(reverse("evaluation:feedback"), data)
    assert response.status_code == 422
    page = response.content.decode()
    assert "There is a problem" in page
    assert "Choose how helpful PDSA cycles has been, or “Not used”." in page
    assert "Select a valid choice" in page and "at most 2000 characters" in page
    assert "Keep this text" in page
    with scopes_disabled():
        assert not ApproachFeedback.objects.exists()


def test_outside_a_round_the_page_says_when_the_next_opens(client, cast, login):
    login(client, cast.member)  # the cast's collaborative started today: round 1 is six months away
    page = client.get(reverse("evaluation:feedback")).content.decode()
    assert "The survey is not open now" in page
    assert f"{round_at(timezone.localdate(), 1).opens_on:%-d %B %Y}" in page
    response = client.post(reverse("evaluation:feedback"), ALL_HELPFUL)
    assert response.status_code == 422 and "The survey is not open now" in response.content.decode()
    with scopes_disabled():
        assert not ApproachFeedback.objects.exists()


def test_the_workspace_shows_the_notice_until_the_member_answers(client, cast, login):
    open_now(cast)
    login(client, cast.member)
    workspace = reverse("collaborative:workspace", kwargs={"org": "alpha"})
    assert "The approach feedback survey is open until" in client.get(workspace).content.decode()
    client.post(reverse("evaluation:feedback"), ALL_HELPFUL)
    assert "The approach feedback survey is open until" not in client.get(workspace).content.decode()
    login(client, cast.coach)  # not a team member: no notice
    assert "The approach feedback survey is open until" not in client.get(workspace).content.decode()


def test_reminders_go_to_members_who_have_not_answered_when_a_round_opens(client, cast, login):
    current = open_now(cast, days_in=0)
    source = registry.reminder_sources.get("approach_feedback")
    at = london(current.opens_on, survey.REMINDER_AT)
    assert source(at - timedelta(minutes=1)) == []
    due = source(at + timedelta(minutes=5))
    recipients = {d.recipient_id for d in due}
    assert cast.member.pk in recipients and cast.other_lead.pk in recipients and cast.sponsor.pk in recipients
    assert cast.coach.pk not in recipients and cast.evaluator.pk not in recipients
    assert {d.kind for d in due} == {"approach_feedback"} and len(due) == len(recipients)
    login(client, cast.member)
    client.post(reverse("evaluation:feedback"), ALL_HELPFUL)
    assert cast.member.pk not in {d.recipient_id for d in source(at + timedelta(minutes=5))}
    last_call = london(current.closes_on - timedelta(days=survey.LAST_CALL_DAYS - 1), survey.REMINDER_AT)
    assert {d.occasion for d in source(last_call)} == {f"approach-feedback:{current.number}:last_call"}
