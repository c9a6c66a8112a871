"""Registering, the waiting list and its promotions, who sees what, the register and the board flag."""

import threading
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from conftest import sign_in
from learning_sets.models import Delivery, LearningSet, Refused, Registration
from organisations.models import Notification

from . import factories


def register_url(ls):
    return reverse("learning_sets:register", args=[ls.pk])


def test_a_lead_registers_and_gets_a_place(client, cast, django_capture_on_commit_callbacks):
    ls = factories.learning_set(cast.collaborative, capacity=2)
    sign_in(client, cast.lead)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(register_url(ls), {"needs": "Vegetarian"}, follow=True)
    assert "You have a place" in response.content.decode()
    registration = Registration.objects.get(learning_set=ls, user=cast.lead)
    assert (registration.status, registration.organisation, registration.needs) == (
        "registered",
        cast.org_a,
        "Vegetarian",
    )
    assert [m.to for m in mail.outbox] == [["lead@a.example"]]


def test_registering_twice_is_refused_and_changes_nothing(client, cast, django_capture_on_commit_callbacks):
    ls = factories.learning_set(cast.collaborative)
    sign_in(client, cast.lead)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(register_url(ls), {"needs": "Vegetarian"})
        response = client.post(register_url(ls), {"needs": "Changed"})
    assert response.status_code == 422
    assert "You are already registered for this learning set." in response.content.decode()
    registration = Registration.objects.get(learning_set=ls, user=cast.lead)
    assert registration.needs == "Vegetarian"
    assert len(mail.outbox) == 1


def test_beyond_capacity_is_the_waiting_list_not_an_error(client, cast, django_capture_on_commit_callbacks):
    ls = factories.learning_set(cast.collaborative, capacity=1)
    factories.registration(ls, cast.member, organisation=cast.org_a)
    sign_in(client, cast.lead)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(register_url(ls), follow=True)
    assert response.status_code == 200
    assert "you are on the waiting list" in response.content.decode()
    assert "number 1 on the waiting list" in response.content.decode()
    assert Registration.objects.get(learning_set=ls, user=cast.lead).status == "waiting"
    assert mail.outbox[-1].subject.startswith("Waiting list:")
    assert not [p for p in mail.outbox[-1].message().walk() if p.get_content_type() == "text/calendar"]


def test_a_freed_place_goes_to_the_first_on_the_list_who_is_told(cast, django_capture_on_commit_callbacks):
    ls = factories.learning_set(cast.collaborative, capacity=1)
    factories.registration(ls, cast.member, organisation=cast.org_a)
    now = timezone.now()
    factories.registration(ls, cast.lead, organisation=cast.org_a, status="waiting", queued_at=now)
    factories.registration(ls, cast.sponsor, organisation=cast.org_a, status="waiting", queued_at=now + timedelta(1))
    with django_capture_on_commit_callbacks(execute=True):
        promoted = ls.withdraw(cast.member)
    assert [r.user for r in promoted] == [cast.lead]
    statuses = dict(Registration.objects.filter(learning_set=ls).values_list("user__email", "status"))
    assert statuses == {"member@a.example": "cancelled", "lead@a.example": "registered", "sponsor@a.example": "waiting"}
    promotion = [m for m in mail.outbox if m.to == ["lead@a.example"]]
    assert len(promotion) == 1 and "A place came free" in promotion[0].body
    assert Notification.objects.filter(recipient=cast.lead, text__contains="A place came free").count() == 1


def test_raising_the_capacity_promotes_from_the_waiting_list(cast, django_capture_on_commit_callbacks):
    ls = factories.learning_set(cast.collaborative, capacity=1)
    factories.registration(ls, cast.member, organisation=cast.org_a)
    factories.registration(ls, cast.lead, organisation=cast.org_a, status="waiting")
    with django_capture_on_commit_callbacks(execute=True):
        ls.change({"capacity": 2})
    assert Registration.objects.get(learning_set=ls, user=cast.lead).status == "registered"


def test_the_capacity_cannot_fall_below_the_places_taken(cast):
    ls = factories.learning_set(cast.collaborative, capacity=2)
    factories.registration(ls, cast.member, organisation=cast.org_a)
    factories.registration(ls, cast.lead, organisation=cast.org_a)
    with pytest.raises(Refused, match="2 people have a place"):
        ls.change({"capacity": 1})
    ls.refresh_from_db()
    assert ls.capacity == 2


@pytest.mark.parametrize("case", ["past", "draft", "cancelled"])
def test_registration_is_closed_for_a_past_draft_or_cancelled_set(cast, case):
    kwargs = {"past": {"days": -1}, "draft": {"status": "draft"}, "cancelled": {"status": "cancelled"}}[case]
    ls = factories.learning_set(cast.collaborative, **kwargs)
    with pytest.raises(Refused):
        ls.register(cast.lead, organisation_id=cast.org_a.pk)
    assert not Registration.objects.exists()


def test_someone_in_two_organisations_chooses_which_they_come_for(client, cast):
    from django_scopes import scopes_disabled

    from organisations.models import Membership

    with scopes_disabled():
        Membership.objects.create(organisation=cast.org_b, user=cast.lead, role="member")
    ls = factories.learning_set(cast.collaborative)
    sign_in(client, cast.lead)
    response = client.post(register_url(ls), {})
    assert response.status_code == 422
    assert "Which organisation are you coming for?" in response.content.decode()
    client.post(register_url(ls), {"organisation": cast.org_b.pk})
    assert Registration.objects.get(user=cast.lead).organisation == cast.org_b


def test_programme_staff_register_for_no_organisation(cast):
    ls = factories.learning_set(cast.collaborative)
    registration = ls.register(cast.coach)
    assert registration.organisation is None


def test_needs_are_seen_only_by_the_national_team(client, cast):
    ls = factories.learning_set(cast.collaborative)
    factories.registration(ls, cast.member, organisation=cast.org_a, needs="Hearing loop, please")
    sign_in(client, cast.lead)
    assert "Hearing loop" not in client.get(reverse("learning_sets:detail", args=[ls.pk])).content.decode()
    assert client.get(reverse("learning_sets:registrations", args=[ls.pk])).status_code == 403
    sign_in(client, cast.national)
    page = client.get(reverse("learning_sets:registrations", args=[ls.pk])).content.decode()
    assert "Hearing loop, please" in page
    assert "Beta Trust" in page  # listed with nobody registered


def test_the_register_export_neutralises_formulas_and_keeps_names(client, cast):
    ls = factories.learning_set(cast.collaborative)
    cast.lead.first_name, cast.lead.last_name = "=HYPERLINK(1)", "Lead"
    cast.lead.save()
    factories.registration(ls, cast.lead, organisation=cast.org_a, needs="+44 call me")
    factories.registration(ls, cast.member, organisation=cast.org_a, needs="@risk\tnone")
    sign_in(client, cast.national)
    response = client.get(reverse("learning_sets:registrations_export", args=[ls.pk]))
    text = response.content.decode()
    assert response["Content-Disposition"].startswith("attachment")
    assert "'=HYPERLINK(1) Lead" in text
    assert "'+44 call me" in text and "'@risk" in text
    assert "member@a.example" in text
    assert "token" not in text.lower()


def test_a_draft_is_hidden_from_members(client, cast):
    ls = factories.learning_set(cast.collaborative, status="draft")
    sign_in(client, cast.lead)
    assert client.get(reverse("learning_sets:detail", args=[ls.pk])).status_code == 404
    assert ls.title not in client.get(reverse("learning_sets:list")).content.decode()
    sign_in(client, cast.national)
    assert client.get(reverse("learning_sets:detail", args=[ls.pk])).status_code == 200


def test_another_collaboratives_sets_do_not_exist_for_its_national_team_or_members(client, cast):
    from collaborative.models import Collaborative
    from organisations.models import ProgrammeRole

    other = Collaborative.objects.create(name="Wave 2", slug="wave-2", start_date=timezone.localdate())
    ls = factories.learning_set(other, title="Wave 2 learning set")
    for user in (cast.national, cast.lead, cast.coach):
        sign_in(client, user)
        assert client.get(reverse("learning_sets:detail", args=[ls.pk])).status_code == 404
        assert "Wave 2 learning set" not in client.get(reverse("learning_sets:list")).content.decode()
    sign_in(client, cast.national)
    assert client.get(reverse("learning_sets:edit", args=[ls.pk])).status_code == 404
    # ... and the other wave's national team does not see ours.
    theirs = get_user_model().objects.create_user(email="national2@programme.example")
    ProgrammeRole.objects.create(collaborative=other, user=theirs, role="national")
    from allauth.mfa.totp.internal.auth import TOTP

    from collaborative.demo import DEMO_TOTP_SECRET

    TOTP.activate(theirs, DEMO_TOTP_SECRET)
    ours = factories.learning_set(cast.collaborative, status="draft")
    sign_in(client, theirs)
    assert client.get(reverse("learning_sets:detail", args=[ours.pk])).status_code == 404
    assert client.get(reverse("learning_sets:detail", args=[ls.pk])).status_code == 200


def test_the_board_flags_an_organisation_with_nobody_registered_two_weeks_before(client, cast):
    soon = factories.learning_set(cast.collaborative, days=10)
    factories.registration(soon, cast.lead, organisation=cast.org_a)
    factories.learning_set(cast.collaborative, days=40)  # further away: no flag yet
    sign_in(client, cast.national)
    response = client.get(reverse("collaborative:board"))
    rows = {r["organisation"].slug: r["flag_keys"] for r in response.context["rows"]}
    assert "no_learning_set" not in rows["alpha"]
    assert "no_learning_set" in rows["beta"]
    assert response.context["counts"]["no_learning_set"] == 1


def test_the_board_flag_counts_the_waiting_list_and_ignores_drafts(client, cast):
    soon = factories.learning_set(cast.collaborative, days=5, capacity=1)
    factories.registration(soon, cast.lead, organisation=cast.org_a)
    factories.registration(soon, cast.other_lead, organisation=cast.org_b, status="waiting")
    factories.learning_set(cast.collaborative, days=6, status="draft")
    sign_in(client, cast.national)
    response = client.get(reverse("collaborative:board"))
    assert response.context["counts"]["no_learning_set"] == 0


# --- Two cancellations at once (PostgreSQL row locks) ---------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_cancellations_at_once_promote_two_people_once_each(cast):
    ls = factories.learning_set(cast.collaborative, capacity=2)
    factories.registration(ls, cast.lead, organisation=cast.org_a)
    factories.registration(ls, cast.member, organisation=cast.org_a)
    start = timezone.now()
    waiting = [cast.sponsor, cast.data_champion, cast.lived_experience]
    for n, user in enumerate(waiting):
        factories.registration(ls, user, organisation=cast.org_a, status="waiting", queued_at=start + timedelta(n))
    barrier = threading.Barrier(2)
    errors = []

    def cancel(user):
        try:
            barrier.wait()
            LearningSet.objects.get(pk=ls.pk).withdraw(user)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)
        finally:
            connection.close()

    threads = [threading.Thread(target=cancel, args=(u,)) for u in (cast.lead, cast.member)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    statuses = dict(Registration.objects.filter(learning_set=ls).values_list("user__email", "status"))
    assert statuses == {
        "lead@a.example": "cancelled",
        "member@a.example": "cancelled",
        "sponsor@a.example": "registered",
        "data_champion@a.example": "registered",
        "lived_experience@a.example": "waiting",
    }
    assert Registration.objects.filter(learning_set=ls, status="registered").count() == ls.capacity
    invitations = Delivery.objects.filter(learning_set=ls, kind="invitation").values_list("user__email", flat=True)
    assert sorted(invitations) == ["data_champion@a.example", "sponsor@a.example"]
    ls.refresh_from_db()
    assert ls.sequence == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_registrations_for_the_last_place_at_once(cast):
    ls = factories.learning_set(cast.collaborative, capacity=1)
    barrier = threading.Barrier(2)
    results = []

    def register(user):
        try:
            barrier.wait()
            results.append(LearningSet.objects.get(pk=ls.pk).register(user, organisation_id=cast.org_a.pk).status)
        finally:
            connection.close()

    threads = [threading.Thread(target=register, args=(u,)) for u in (cast.lead, cast.member)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["registered", "waiting"]
