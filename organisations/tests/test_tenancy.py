import pytest
from django_scopes import ScopeError, scope, scopes_disabled

from organisations import access
from organisations.models import Membership


def test_query_on_organisation_data_outside_a_scope_raises(cast):
    with pytest.raises(ScopeError):
        list(Membership.objects.all())
    with pytest.raises(ScopeError):
        Membership.objects.filter(role="lead").count()


def test_scope_shows_only_the_organisations_in_it(cast):
    with scope(organisation=[cast.org_b.pk]):
        assert {m.organisation_id for m in Membership.objects.all()} == {cast.org_b.pk}


def test_request_scope_hides_other_organisations_rows(client, cast, login):
    """Inside a request, even a query that forgot its tenant sees only visible rows."""
    from django.test import RequestFactory

    from organisations.middleware import OrganisationScopeMiddleware

    seen = {}

    def view(request):
        seen["orgs"] = set(Membership.objects.values_list("organisation_id", flat=True))
        from django.http import HttpResponse

        return HttpResponse("ok")

    request = RequestFactory().get("/welcome/")
    request.user = cast.lead
    request.session = {}
    OrganisationScopeMiddleware(view)(request)
    assert seen["orgs"] == {cast.org_a.pk}


def test_visible_organisations_by_role(cast):
    a, b = cast.org_a.pk, cast.org_b.pk
    assert access.visible_organisation_ids(cast.lead) == [a]
    assert access.visible_organisation_ids(cast.coach) == [a]
    assert access.visible_organisation_ids(cast.other_lead) == [b]
    assert access.visible_organisation_ids(cast.national) == sorted([a, b])
    assert access.visible_organisation_ids(cast.evaluator) == []
    assert access.visible_organisation_ids(cast.nobody) == []


def test_user_with_several_roles_gets_the_union(cast):
    with scopes_disabled():
        Membership.objects.create(organisation=cast.org_b, user=cast.lead, role="member")
    access.forget(cast.lead)
    assert access.can(cast.lead, "invite_team", cast.org_a)
    assert not access.can(cast.lead, "invite_team", cast.org_b)
    assert access.can(cast.lead, "log_work", cast.org_b)


def test_unknown_action_is_an_error_not_a_silent_no(cast):
    with pytest.raises(ValueError):
        access.can(cast.lead, "launch_rockets", cast.org_a)


def test_task_reads_organisation_data_inside_the_right_scope(cast):
    from django.core import mail

    from organisations.tasks import email_team

    sent = email_team.delay(cast.org_a.pk, "Learning set on Tuesday", "See you there.", "message-1").get()
    recipients = sorted(addr for m in mail.outbox for addr in m.to)
    assert sent == len(recipients) == 5
    assert "lead@b.example" not in recipients
    assert "lead@a.example" in recipients
    # The same message again (a retry) sends nothing.
    assert email_team.delay(cast.org_a.pk, "Learning set on Tuesday", "See you there.", "message-1").get() == 0
    assert len(mail.outbox) == 5


def test_coach_portfolio_shows_what_changed_since_the_last_look(client, cast, login):
    from datetime import date, timedelta

    from django.urls import reverse
    from django.utils import timezone

    from collaborative.models import TeamMeeting
    from collaborative.tests.factories import planned_enrolment
    from measures.models import DataPoint
    from measures.tests.factories import make_measure

    planned_enrolment(cast.org_a)
    measure = make_measure(cast.org_a)
    login(client, cast.coach)
    assert "First look" in client.get(reverse("collaborative:portfolio")).content.decode()
    # The coach comes back later: a visit within PortfolioVisit.SAME_VISIT is the same visit.
    from collaborative.models import PortfolioVisit

    with scopes_disabled():
        PortfolioVisit.objects.filter(user=cast.coach).update(visited_at=timezone.now() - timedelta(hours=2))
    client.get(reverse("collaborative:workspace", kwargs={"org": "alpha"}))
    with scopes_disabled():
        DataPoint.objects.create(
            organisation=cast.org_a,
            measure=measure,
            period_start=date(2025, 1, 1),
            numerator=1,
            denominator=2,
            updated_at=timezone.now() + timedelta(seconds=1),
        )
        TeamMeeting.objects.create(organisation=cast.org_a, date=date(2025, 1, 2), attendees="x", created_by=cast.lead)
    page = client.get(reverse("collaborative:portfolio")).content.decode()
    assert "1 new or changed figure<" in page  # meetings are not among what the coach is shown as new
    assert "Beta Trust" not in page
