"""Plain-text emails read as written, name the site, and never invite a sign-up that is closed."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from organisations.models import Invitation, Organisation, Role
from organisations.tasks import send_invitation

pytestmark = pytest.mark.django_db


def test_an_invitation_email_keeps_ampersands_and_quotes(cast):
    with scopes_disabled():
        organisation = Organisation.objects.create(name="Tees, Esk & Wear Valleys 'NHS'", slug="tewv")
        invitation = Invitation.objects.create(
            email="new@tewv.example",
            role=Role.MEMBER,
            organisation=organisation,
            invited_by=cast.national,
            expires_at=timezone.now() + timedelta(days=14),
        )
    assert send_invitation(invitation.pk)
    body = mail.outbox[-1].body
    assert "Tees, Esk & Wear Valleys 'NHS'" in body
    assert "&amp;" not in body and "&#x27;" not in body


def test_a_password_reset_for_an_unknown_address_does_not_invite_sign_up(client):
    response = client.post(reverse("account_reset_password"), {"email": "stranger@nowhere.example"})
    assert response.status_code == 302
    message = mail.outbox[-1]
    assert message.to == ["stranger@nowhere.example"]
    assert "sign up" not in message.body.lower()
    assert "invitation only" in message.body
    assert message.subject.startswith(settings.SITE_NAME)
    assert settings.SITE_NAME in message.body
    for host in ("localhost", "testserver", "example.com"):
        assert host not in message.body and host not in message.subject


def test_a_password_reset_email_names_the_site_not_the_host(client, cast):
    client.post(reverse("account_reset_password"), {"email": cast.lead.email})
    message = mail.outbox[-1]
    assert message.to == [cast.lead.email]
    assert message.subject.startswith(settings.SITE_NAME)
    assert "testserver" not in message.body.split("http")[0]
    assert f"Hello from {settings.SITE_NAME}" in message.body
