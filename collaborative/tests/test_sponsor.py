from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from collaborative import dashboards
from collaborative.models import Phase, PhaseEvent, TeamAsk
from measures.models import DataPoint
from measures.tests.factories import make_measure
from organisations import access
from organisations.models import AuditEvent, Membership, Notification, Role
from qi_projects.models import Stage
from qi_projects.pdsa.models import ChangeIdeaMove, PdsaCycle
from qi_projects.pdsa.tests import factories as pdsa_factories

from .test_workspace_dashboard import _in_phase_two, _seed


def _url(name, **kwargs):
    return reverse(f"collaborative:{name}", kwargs={"org": "alpha", **kwargs})


def _ask(cast, text="Protected time for the team", kind="ask", **fields):
    with scopes_disabled():
        return TeamAsk.objects.create(organisation=cast.org_a, kind=kind, text=text, raised_by=cast.lead, **fields)


def _count(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("size", [2, 6])
def test_the_sponsor_page_query_count_does_not_grow_with_the_data(client, cast, login, size):
    _in_phase_two(cast)
    _seed(cast, 1)
    _ask(cast)
    login(client, cast.sponsor)
    url = _url("sponsor")
    client.get(url)  # fill the chart cache
    small = _count(client, url)
    _seed(cast, size, batch="b")
    for i in range(size):
        _ask(cast, text=f"Risk {i}", kind="risk")
        _ask(cast, text=f"Ask {i}", answer="Yes", answered_at=timezone.now())
    client.get(url)
    assert _count(client, url) == small <= 20


def test_a_sponsor_lands_on_their_summary_and_a_lead_on_the_workspace(cast):
    assert dashboards.role_home(cast.sponsor) == _url("sponsor")
    assert dashboards.role_home(cast.lead) == _url("workspace")
    with scopes_disabled():
        Membership.objects.create(organisation=cast.org_a, user=cast.sponsor, role=Role.MEMBER)
    access.forget(cast.sponsor)
    assert dashboards.role_home(cast.sponsor) == _url("workspace")  # a sponsor who also works on it


def test_the_summary_shows_the_aim_score_outcome_measures_gaps_and_asks(client, cast, login):
    _in_phase_two(cast)
    _seed(cast, 1)
    with scopes_disabled():
        process = make_measure(cast.org_a, code="P9", kind="process", name="A process measure")
        DataPoint.objects.create(
            organisation=cast.org_a, measure=process, period_start=date(2025, 1, 1), numerator=1, denominator=2
        )
    _ask(cast, text="Sign off the evening clinic budget")
    _ask(cast, text="Locum cover ends in May", kind="risk", answer="I will raise it at the board")
    _ask(cast, text="An old worry", kind="risk", resolved_at=timezone.now() - timedelta(days=60))
    login(client, cast.sponsor)
    page = client.get(_url("sponsor")).content.decode()
    with scopes_disabled():
        project = cast.org_a.projects.order_by("created_at", "pk").first()
    assert project.aim in page
    assert "out of 5" in page and "Progress score" in page
    assert "Phase 2: Testing and scaling up" in page
    assert "Latest 70% (December 2025)" in page and "app-spc-icon" in page  # the outcome measure
    assert "A process measure" not in page  # outcome measures only
    assert "3.3 percentage points" in page and "Groups compared" in page
    assert "Sign off the evening clinic budget" in page
    assert "Locum cover ends in May" in page and "I will raise it at the board" in page
    assert "An old worry" not in page  # resolved before this month
    assert "1 ask waiting for your answer" in page
    pk = TeamAsk.objects.with_scopes_disabled().get(text__startswith="Sign off").pk
    assert _url("ask_answer", pk=pk) in page


def test_what_changed_this_month_counts_figures_cycles_ideas_and_phase_changes(client, cast, login):
    _in_phase_two(cast)  # a gate passed on 1 July 2025: recorded now, but not news this month
    with scopes_disabled():
        phase = Phase.objects.get(organisation=cast.org_a, number=2)
        PhaseEvent.objects.create(
            organisation=cast.org_a,
            phase=phase,
            kind=PhaseEvent.Kind.EXTENDED,
            on_date=timezone.localdate() - timedelta(days=2),
            by=cast.coach,
            reason="Staff changes",
        )
    _seed(cast, 1)  # 12 periods entered now
    with scopes_disabled():
        cycle = pdsa_factories.cycle(cast.org_a, objective="Text reminders")
        cycle.actual_start = timezone.localdate() - timedelta(days=3)
        cycle.save()
        old = pdsa_factories.cycle(cast.org_a, objective="Long ago")
        old.actual_start = timezone.localdate() - timedelta(days=90)
        old.save()
        first = cast.org_a.projects.order_by("created_at", "pk").first()  # the project the page is about
        PdsaCycle.objects.filter(pk__in=[cycle.pk, old.pk]).update(project=first)
        idea = cycle.change_idea
        ChangeIdeaMove.objects.create(
            organisation=cast.org_a, change_idea=idea, from_stage="testing", to_stage=Stage.ADOPTED, evidence="Worked"
        )
        ChangeIdeaMove.objects.create(
            organisation=cast.org_a,
            change_idea=idea,
            from_stage=Stage.IDEA,
            to_stage=Stage.ADOPTED,
            evidence="Last year",
            at=timezone.now() - timedelta(days=400),
        )
    login(client, cast.sponsor)
    response = client.get(_url("sponsor"))
    changes = response.context["changes"]
    assert changes["figures"] == 12 and changes["measures"] == ["a0"]
    assert changes["latest_period"] == date(2025, 12, 1)
    assert changes["cycles_started"] == 1
    assert [m.evidence for m in changes["adopted"]] == ["Worked"]
    assert [e.get_kind_display() for e in changes["phase_events"]] == ["Phase extended"]
    assert not changes["nothing"]
    page = response.content.decode()
    assert "12 figures entered or corrected for a0, the latest for December 2025" in page
    assert "PDSA cycles: 1 started, 0 finished" in page


def test_nothing_changed_says_so(client, cast, login):
    login(client, cast.sponsor)
    page = client.get(_url("sponsor")).content.decode()
    assert "Nothing recorded since" in page
    assert "No open risks or asks" in page


def test_the_team_raises_an_ask_the_sponsor_is_told_and_answers_and_the_team_resolves_it(client, cast, login):
    login(client, cast.lead)
    response = client.post(_url("asks"), {"kind": "ask", "text": "Protected time for data collection"})
    assert response.status_code == 302
    ask = TeamAsk.objects.with_scopes_disabled().get()
    assert ask.raised_by == cast.lead and ask.kind == "ask" and ask.resolved_at is None
    assert AuditEvent.objects.filter(action="create", object_id=str(ask.pk), user=cast.lead).exists()
    told = Notification.objects.filter(recipient=cast.sponsor, kind="team_ask")
    assert told.count() == 1 and _url("ask_answer", pk=ask.pk) == told.get().url

    login(client, cast.sponsor)
    response = client.post(_url("ask_answer", pk=ask.pk), {"answer": "Yes: two hours a week from June"})
    assert response.status_code == 302 and response.url == _url("sponsor")
    ask.refresh_from_db()
    assert ask.answer == "Yes: two hours a week from June" and ask.answered_by == cast.sponsor
    assert Notification.objects.filter(recipient=cast.lead, kind="team_ask_answer").count() == 1

    login(client, cast.member)
    assert client.post(_url("ask_resolve", pk=ask.pk)).status_code == 302
    ask.refresh_from_db()
    assert ask.resolved_at is not None and ask.resolved_by == cast.member
    assert AuditEvent.objects.filter(action="update", object_id=str(ask.pk), summary="Resolved").exists()
    page = client.get(_url("asks")).content.decode()
    assert "No open risks or asks" in page and "Protected time for data collection" in page  # under Resolved


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"kind": "ask", "text": "x" * 501}, "text", "Use at most 500 characters: this has 501."),
        ({"kind": "ask", "text": "\u200b  "}, "text", "Describe the risk or the ask."),
        ({"text": "Something"}, "kind", "Choose whether this is a risk or an ask."),
    ],
)
def test_a_bad_ask_is_refused_next_to_its_field_and_nothing_is_saved(client, cast, login, data, field, message):
    login(client, cast.lead)
    response = client.post(_url("asks"), data)
    assert response.status_code == 422
    assert response.context["form"].errors[field] == [message]
    page = response.content.decode()
    assert "There is a problem" in page and message in page
    assert data.get("text", "")[:20] in page  # what was typed is kept
    assert not TeamAsk.objects.with_scopes_disabled().exists()


def test_an_empty_answer_is_refused(client, cast, login):
    ask = _ask(cast)
    login(client, cast.sponsor)
    response = client.post(_url("ask_answer", pk=ask.pk), {"answer": " "})
    assert response.status_code == 422 and response.context["form"].errors["answer"] == ["Write your answer."]
    ask.refresh_from_db()
    assert ask.answer == "" and ask.answered_at is None


def test_sending_the_same_answer_again_keeps_when_it_was_answered(client, cast, login):
    """Opening an answered ask and pressing Save again (or going back and resubmitting) changes nothing."""
    ask = _ask(cast)
    login(client, cast.sponsor)
    client.post(_url("ask_answer", pk=ask.pk), {"answer": "Yes: from June"})
    ask.refresh_from_db()
    first = ask.answered_at
    with scopes_disabled():
        TeamAsk.objects.filter(pk=ask.pk).update(answered_at=first - timedelta(days=10))
        audited = AuditEvent.objects.filter(summary="Answered").count()
    response = client.post(_url("ask_answer", pk=ask.pk), {"answer": "Yes: from June"})
    assert response.status_code == 302
    ask.refresh_from_db()
    assert ask.answered_at == first - timedelta(days=10)
    with scopes_disabled():
        assert AuditEvent.objects.filter(summary="Answered").count() == audited
    client.post(_url("ask_answer", pk=ask.pk), {"answer": "Yes: from May"})
    ask.refresh_from_db()
    assert ask.answer == "Yes: from May" and ask.answered_at > first


def test_the_outcome_tile_is_kept_until_a_new_data_point_changes_it(client, cast, login, monkeypatch):
    from collaborative import sponsor

    _seed(cast, 1)
    built = []
    real = sponsor._measures_tile
    monkeypatch.setattr(sponsor, "_measures_tile", lambda *a, **k: built.append(1) or real(*a, **k))
    login(client, cast.sponsor)
    assert "Latest 70% (December 2025)" in client.get(_url("sponsor")).content.decode()
    client.get(_url("sponsor"))
    assert len(built) == 1
    with scopes_disabled():
        DataPoint.objects.create(
            organisation=cast.org_a,
            measure=cast.org_a.measures.get(),
            period_start=date(2026, 1, 1),
            numerator=15,
            denominator=60,
        )
    page = client.get(_url("sponsor")).content.decode()
    assert len(built) == 2 and "Latest 25% (January 2026)" in page and "Data runs to January 2026" in page
