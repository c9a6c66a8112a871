from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from organisations.models import AuditEvent, Invitation, Membership, ProgrammeRole


def accept_url(invitation):
    return reverse("organisations:invitation_accept", args=[invitation.token])


def signup(client, email, password="a-long-enough-password-2026"):
    return client.post(reverse("account_signup"), {"email": email, "password1": password, "password2": password})


def test_lead_invites_a_team_member_by_email(client, cast, login, django_capture_on_commit_callbacks):
    login(client, cast.lead)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("organisations:team", kwargs={"org": "alpha"}), {"email": "New.Person@a.example", "role": "member"}
        )
    assert response.status_code == 302
    with scopes_disabled():
        invitation = Invitation.objects.get(email="new.person@a.example")
    assert invitation.organisation == cast.org_a and invitation.role == "member"
    assert len(mail.outbox) == 1
    assert accept_url(invitation) in mail.outbox[0].body
    assert AuditEvent.objects.filter(action="invite", organisation=cast.org_a).exists()


def test_lead_cannot_invite_another_lead_and_member_cannot_invite(client, cast, login):
    login(client, cast.lead)
    response = client.post(
        reverse("organisations:team", kwargs={"org": "alpha"}), {"email": "x@a.example", "role": "lead"}
    )
    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()
    login(client, cast.member)
    response = client.post(
        reverse("organisations:team", kwargs={"org": "alpha"}), {"email": "x@a.example", "role": "member"}
    )
    assert response.status_code == 403
    with scopes_disabled():
        assert not Invitation.objects.exists()


def test_invitation_creates_the_account_and_grants_the_role_once(client, cast, invitation_factory):
    invitation = invitation_factory(email="joiner@a.example", role="data_champion")
    response = client.get(accept_url(invitation))
    assert response["Location"] == reverse("account_signup")
    response = signup(client, "joiner@a.example")
    assert response.status_code == 302
    user = get_user_model().objects.get(email="joiner@a.example")
    with scopes_disabled():
        assert Membership.objects.filter(user=user, organisation=cast.org_a, role="data_champion").exists()
        invitation.refresh_from_db()
    assert invitation.accepted_by == user
    client.logout()
    response = client.get(accept_url(invitation))
    assert response.status_code == 410
    assert "already been used" in response.content.decode()


def test_expired_invitation_gets_a_clear_page_and_creates_nothing(client, cast, invitation_factory):
    invitation = invitation_factory(email="late@a.example", expires_at=timezone.now() - timedelta(minutes=1))
    response = client.get(accept_url(invitation))
    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert signup(client, "late@a.example").status_code != 302
    assert not get_user_model().objects.filter(email="late@a.example").exists()


def test_tampered_link_gets_a_clear_page(client, cast, invitation_factory):
    invitation = invitation_factory()
    token = invitation.token
    response = client.get(reverse("organisations:invitation_accept", args=[token[:-2] + "xx"]))
    assert response.status_code == 400
    assert "not valid" in response.content.decode()


def test_signup_is_closed_without_an_invitation(client, db):
    response = signup(client, "gatecrasher@example.com")
    assert not get_user_model().objects.filter(email="gatecrasher@example.com").exists()
    assert response.status_code == 200
    assert "closed" in response.content.decode().lower()


def test_signup_must_use_the_invited_address(client, cast, invitation_factory):
    invitation = invitation_factory(email="right@a.example")
    client.get(accept_url(invitation))
    response = signup(client, "wrong@a.example")
    assert response.status_code == 200
    assert "Use the email address your invitation was sent to" in response.content.decode()
    assert not get_user_model().objects.filter(email="wrong@a.example").exists()


def test_national_team_invites_a_coach_assigned_to_an_organisation(client, cast, login):
    login(client, cast.national)
    response = client.post(
        reverse("organisations:programme_invite"),
        {"email": "newcoach@programme.example", "role": "coach", "organisation_choice": cast.org_b.pk},
    )
    assert response.status_code == 302
    client.logout()
    with scopes_disabled():
        invitation = Invitation.objects.get(email="newcoach@programme.example")
    client.get(accept_url(invitation))
    signup(client, "newcoach@programme.example")
    coach = get_user_model().objects.get(email="newcoach@programme.example")
    assert ProgrammeRole.objects.filter(user=coach, role="coach", collaborative=cast.collaborative).exists()
    from organisations import access

    assert access.visible_organisation_ids(coach) == [cast.org_b.pk]


def test_programme_invitation_of_a_lead_needs_an_organisation(client, cast, login):
    login(client, cast.national)
    response = client.post(reverse("organisations:programme_invite"), {"email": "lead@c.example", "role": "lead"})
    assert response.status_code == 422
    assert "Choose the organisation" in response.content.decode()
    with scopes_disabled():
        assert not Invitation.objects.exists()


def test_existing_user_accepts_after_signing_in(client, cast, invitation_factory, login):
    invitation = invitation_factory(email=cast.other_lead.email, role="member")
    response = client.get(accept_url(invitation))
    assert response["Location"].startswith(reverse("account_login"))
    login(client, cast.other_lead)
    assert client.get(accept_url(invitation)).status_code == 200
    client.post(accept_url(invitation))
    with scopes_disabled():
        assert Membership.objects.filter(user=cast.other_lead, organisation=cast.org_a, role="member").exists()


def test_programme_invitation_twice_for_the_same_person_and_role_is_refused(client, cast, login):
    login(client, cast.national)
    data = {"email": "coach2@programme.example", "role": "coach", "organisation_choice": cast.org_a.pk}
    assert client.post(reverse("organisations:programme_invite"), data).status_code == 302
    response = client.post(reverse("organisations:programme_invite"), data)
    assert response.status_code == 422
    assert "already waiting" in response.content.decode()
    response = client.post(
        reverse("organisations:programme_invite"),
        {"email": cast.coach.email, "role": "coach", "organisation_choice": cast.org_a.pk},
    )
    assert "already has that role" in response.content.decode()
    with scopes_disabled():
        assert Invitation.objects.count() == 1


def test_national_team_of_another_wave_sees_none_of_this_waves_invitations_or_audit(
    client, cast, login, invitation_factory
):
    from collaborative.models import Collaborative
    from organisations.models import AuditEvent

    invitation_factory(email="secret.person@a.example")
    AuditEvent.objects.create(action="view", organisation=cast.org_a, summary="alpha page")
    other_wave = Collaborative.objects.create(name="Wave 2", slug="wave-2", start_date=cast.collaborative.start_date)
    ProgrammeRole.objects.create(collaborative=other_wave, user=cast.nobody, role="national")
    from allauth.mfa.totp.internal.auth import TOTP

    from collaborative.demo import DEMO_TOTP_SECRET

    TOTP.activate(cast.nobody, DEMO_TOTP_SECRET)
    login(client, cast.nobody)
    assert "secret.person" not in client.get(reverse("organisations:programme_invite")).content.decode()
    assert "alpha page" not in client.get(reverse("organisations:audit_log")).content.decode()


def test_a_failed_send_releases_the_claim_so_a_retry_sends(cast, invitation_factory, monkeypatch):
    import pytest

    from organisations import tasks

    invitation = invitation_factory(email="retry@a.example")

    def broken(**kwargs):
        raise ConnectionError("SMTP down")

    monkeypatch.setattr(tasks, "send_mail", broken)
    with pytest.raises(ConnectionError):
        tasks.send_invitation(invitation.pk)
    with scopes_disabled():
        invitation.refresh_from_db()
    assert invitation.sent_at is None
    monkeypatch.undo()
    assert tasks.send_invitation(invitation.pk) is True
    assert [m.to for m in mail.outbox] == [["retry@a.example"]]
