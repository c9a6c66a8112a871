import pytest
from allauth.mfa.models import Authenticator
from django.contrib import admin
from django.db import connection
from django.urls import reverse
from django_scopes import scopes_disabled

from organisations.models import AuditEvent, Membership


@pytest.mark.parametrize("role", ["coach", "national", "evaluator", "expert"])
def test_programme_staff_without_totp_are_sent_to_set_it_up(client, cast, login, role):
    user = getattr(cast, role)
    Authenticator.objects.filter(user=user).delete()
    login(client, user)
    for url in ("/", reverse("collaborative:workspace", kwargs={"org": "alpha"}), reverse("collaborative:board")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == reverse("mfa_activate_totp")
    # The set-up page itself is reachable (allauth may first ask for the password again).
    setup = client.get(reverse("mfa_activate_totp"))
    assert setup.status_code == 200 or setup["Location"].startswith(reverse("account_reauthenticate"))


def test_mfa_is_optional_for_the_project_team(client, cast, login):
    login(client, cast.lead)
    assert client.get(reverse("collaborative:workspace", kwargs={"org": "alpha"})).status_code == 200


def test_audit_records_a_view_a_change_and_an_export(client, cast, login):
    login(client, cast.coach)
    client.get(reverse("collaborative:workspace", kwargs={"org": "alpha"}))
    view = AuditEvent.objects.filter(action="view", user=cast.coach, organisation=cast.org_a).get()
    assert "workspace" in view.summary

    login(client, cast.lead)
    client.get(reverse("organisations:team_export", kwargs={"org": "alpha"}))
    assert AuditEvent.objects.filter(action="export", user=cast.lead, organisation=cast.org_a).count() == 1

    with scopes_disabled():
        membership = Membership.objects.create(organisation=cast.org_a, user=cast.nobody, role="member")
    change = AuditEvent.objects.get(
        action="create", object_type="organisations.Membership", object_id=str(membership.pk)
    )
    assert change.organisation_id == cast.org_a.pk and change.object_id == str(membership.pk)


def test_sign_ins_and_failures_are_audited(client, cast):
    client.post(reverse("account_login"), {"login": "lead@a.example", "password": "wrong"})
    client.post(reverse("account_login"), {"login": "lead@a.example", "password": "correct-horse-battery"})
    actions = list(AuditEvent.objects.filter(user_email="lead@a.example").values_list("action", flat=True))
    assert "login_failed" in actions and "login" in actions


def test_audit_entries_cannot_be_changed_or_deleted(cast):
    event = AuditEvent.objects.create(action="view", user_email="x@example.com", summary="original")
    event.summary = "rewritten"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(summary="rewritten")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=event.pk).summary == "original"


def test_admin_offers_no_way_to_edit_the_audit_log(rf, cast):
    model_admin = admin.site._registry[AuditEvent]
    request = rf.get("/admin/")
    request.user = cast.national
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)


@pytest.mark.postgres
def test_postgresql_itself_refuses_to_rewrite_audit_rows(cast):
    from django.db import DatabaseError, transaction

    event = AuditEvent.objects.create(action="view", summary="original")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE organisations_auditevent SET summary = 'x' WHERE id = %s", [event.pk])
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM organisations_auditevent WHERE id = %s", [event.pk])


def test_national_team_filters_the_audit_log(client, cast, login):
    AuditEvent.objects.create(
        action="view", user_email="coach@programme.example", organisation=cast.org_a, summary="alpha thing"
    )
    AuditEvent.objects.create(action="view", user_email="lead@b.example", organisation=cast.org_b, summary="beta thing")
    login(client, cast.national)
    page = client.get(reverse("organisations:audit_log"), {"organisation": cast.org_a.pk}).content.decode()
    assert "alpha thing" in page and "beta thing" not in page
    page = client.get(reverse("organisations:audit_log"), {"user": "lead@b"}).content.decode()
    assert "beta thing" in page and "alpha thing" not in page
    response = client.get(reverse("organisations:audit_log"), {"date_from": "2026-02-01", "date_to": "2026-01-01"})
    assert "end date must be on or after" in response.content.decode()


def test_login_is_rate_limited(client, cast, settings):
    for _ in range(6):
        response = client.post(reverse("account_login"), {"login": "lead@a.example", "password": "wrong"})
    response = client.post(reverse("account_login"), {"login": "lead@a.example", "password": "correct-horse-battery"})
    assert response.status_code == 429 or "Too many" in response.content.decode()
