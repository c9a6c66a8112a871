"""People who leave lose access: roles changed, members taken off, invitations withdrawn, accounts closed."""

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from conftest import sign_in
from organisations.models import ApiToken, Assignment, AuditEvent, Invitation, Membership, Role

pytestmark = pytest.mark.django_db


def team_url(name, **kwargs):
    return reverse(f"organisations:{name}", kwargs={"org": "alpha", **kwargs})


def membership(cast, user):
    with scopes_disabled():
        return Membership.objects.get(organisation=cast.org_a, user=user)


def test_the_lead_changes_a_members_role_after_seeing_the_choices(client, cast):
    sign_in(client, cast.lead)
    m = membership(cast, cast.member)
    page = client.get(team_url("member_role", pk=m.pk)).content.decode()
    assert 'type="radio"' in page and "Data champion" in page
    response = client.post(team_url("member_role", pk=m.pk), {"role": Role.DATA_CHAMPION})
    assert response.status_code == 302
    m.refresh_from_db()
    assert m.role == Role.DATA_CHAMPION
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.ROLE_CHANGE, summary__contains="to Data champion"
    ).exists()


def test_a_lead_cannot_make_someone_national_or_leave_the_team_without_a_lead(client, cast):
    sign_in(client, cast.lead)
    lead = membership(cast, cast.lead)
    response = client.post(team_url("member_role", pk=lead.pk), {"role": Role.MEMBER})
    assert response.status_code == 422
    assert "Name another project lead first" in response.content.decode()
    response = client.post(team_url("member_remove", pk=lead.pk))
    assert response.status_code == 422
    assert "Name another project lead first" in response.content.decode()
    lead.refresh_from_db()
    assert lead.role == Role.LEAD


def test_asking_to_take_someone_off_changes_nothing_until_confirmed(client, cast):
    sign_in(client, cast.lead)
    m = membership(cast, cast.member)
    page = client.get(team_url("member_remove", pk=m.pk)).content.decode()
    assert "Yes, take them off the team" in page
    with scopes_disabled():
        assert Membership.objects.filter(pk=m.pk).exists()


def test_a_removed_members_open_session_gets_404_on_their_next_request(client, cast):
    from django.test import Client

    member_client = sign_in(Client(), cast.member)
    workspace = reverse("collaborative:workspace", kwargs={"org": "alpha"})
    assert member_client.get(workspace).status_code == 200
    sign_in(client, cast.lead)
    m = membership(cast, cast.member)
    assert client.post(team_url("member_remove", pk=m.pk)).status_code == 302
    assert member_client.get(workspace).status_code == 404
    with scopes_disabled():
        assert not Membership.objects.filter(pk=m.pk).exists()
    assert AuditEvent.objects.filter(summary__contains="off the team", organisation=cast.org_a).exists()


def test_a_removed_members_past_comments_keep_their_name(client, cast):
    from qi_projects.pdsa.models import Comment

    with scopes_disabled():
        comment = Comment.objects.create(organisation=cast.org_a, author=cast.member, body="Evening slots work")
    sign_in(client, cast.lead)
    client.post(team_url("member_remove", pk=membership(cast, cast.member).pk))
    with scopes_disabled():
        comment.refresh_from_db()
    assert comment.author == cast.member


def test_a_coach_taken_off_an_organisation_loses_it_on_their_next_request(client, cast):
    sign_in(client, cast.coach)
    workspace = reverse("collaborative:workspace", kwargs={"org": "alpha"})
    assert client.get(workspace).status_code == 200
    with scopes_disabled():
        Assignment.objects.filter(user=cast.coach, organisation=cast.org_a).delete()
    assert client.get(workspace).status_code == 404


def invitation(cast, by):
    with scopes_disabled():
        return Invitation.objects.create(
            email="newcomer@a.example",
            role=Role.MEMBER,
            organisation=cast.org_a,
            invited_by=by,
            expires_at=timezone.now() + timedelta(days=14),
        )


def test_the_inviter_withdraws_a_pending_invitation_and_its_link_says_so(client, cast):
    sign_in(client, cast.lead)
    sent = invitation(cast, cast.lead)
    assert client.post(team_url("invitation_withdraw", pk=sent.pk)).status_code == 302
    sent.refresh_from_db()
    assert sent.status == Invitation.Status.REVOKED
    client.logout()
    response = client.get(reverse("organisations:invitation_accept", args=[sent.token]))
    assert response.status_code == 410
    assert "withdrawn" in response.content.decode()


def test_a_lead_cannot_withdraw_an_invitation_someone_else_sent(client, cast):
    sent = invitation(cast, cast.national)
    sign_in(client, cast.lead)
    assert client.post(team_url("invitation_withdraw", pk=sent.pk)).status_code == 403
    sent.refresh_from_db()
    assert sent.status == Invitation.Status.PENDING


def test_withdrawing_an_accepted_invitation_is_refused(client, cast):
    sent = invitation(cast, cast.lead)
    with scopes_disabled():
        Invitation.objects.filter(pk=sent.pk).update(accepted_at=timezone.now())
    sign_in(client, cast.lead)
    response = client.post(team_url("invitation_withdraw", pk=sent.pk))
    assert response.status_code == 409
    assert "no longer pending" in response.content.decode()


def test_closing_an_account_ends_its_sessions_and_api_tokens_at_once(client, cast):
    from django.test import Client

    with scopes_disabled():
        token, secret = ApiToken.issue(organisation=cast.org_a, name="Warehouse", created_by=cast.lead)
    api = Client()
    data_url = "/api/v1/measures/NONE/data"
    before = api.get(data_url, HTTP_AUTHORIZATION=f"Bearer {secret}").status_code
    assert before != 401
    lead_client = sign_in(Client(), cast.lead)
    workspace = reverse("collaborative:workspace", kwargs={"org": "alpha"})
    assert lead_client.get(workspace).status_code == 200

    def lead_sessions():
        return [s for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(cast.lead.pk)]

    assert lead_sessions()
    sign_in(client, cast.national)
    page = client.get(reverse("organisations:account_close", args=[cast.lead.pk]))
    assert "Yes, close the account" in page.content.decode()
    assert client.post(reverse("organisations:account_close", args=[cast.lead.pk])).status_code == 302

    cast.lead.refresh_from_db()
    assert not cast.lead.is_active
    assert lead_sessions() == []
    assert lead_client.get(workspace).status_code == 302  # back to the sign-in page
    assert api.get(data_url, HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401
    with scopes_disabled():
        assert Membership.objects.filter(user=cast.lead).exists()  # their place in the record stays
    assert AuditEvent.objects.filter(summary=f"Closed the account of {cast.lead.email}").exists()


def test_the_national_team_cannot_close_an_account_outside_their_programme(client, cast):
    from organisations.models import User

    stranger = User.objects.create_user("stranger@elsewhere.example", "x")
    sign_in(client, cast.national)
    assert client.post(reverse("organisations:account_close", args=[stranger.pk])).status_code == 404
    stranger.refresh_from_db()
    assert stranger.is_active
