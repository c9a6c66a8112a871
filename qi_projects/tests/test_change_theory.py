"""Driver diagrams: lineage from the programme change theory, versions, and safe concurrent editing."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scopes_disabled

from qi_projects.models import (
    Adoption,
    ChangeTheory,
    ChangeTheoryElement,
    DiagramChanged,
    Kind,
    ProgrammeChangeTheory,
    adoption_by_organisation,
)

from . import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def theory(cast):
    return factories.change_theory(cast.org_a, cast.collaborative, by=cast.lead)


def element(theory, text):
    return theory.elements.get(text=text)


def test_a_local_change_theory_starts_as_a_copy_that_remembers_its_source(cast, theory):
    with scopes_disabled():
        programme = ProgrammeChangeTheory.objects.get(collaborative=cast.collaborative)
        local = list(theory.elements.all())
        assert len(local) == len(programme.live_elements()) == 7
        for e in local:
            assert e.source is not None and e.source.text == e.text and e.source.kind == e.kind
            assert not e.adapted
        # the tree is copied too: each copy's parent is the copy of its source's parent
        idea = element(theory, "Evening clinics")
        assert idea.parent.source_id == idea.source.parent_id
        assert theory.version == 1
        assert theory.versions.get().summary == "Started from the programme change theory"


def test_editing_a_copied_element_marks_it_adapted_and_adding_one_marks_it_local(cast, theory):
    with scopes_disabled():
        idea = element(theory, "Evening clinics")
        theory.update_element(idea, "Evening and weekend clinics", by=cast.lead, based_on=1)
        idea.refresh_from_db()
        assert idea.adapted and idea.lineage == "adapted"
        flexible = element(theory, "Flexible appointments")
        theory.add_element(
            Kind.CHANGE_IDEA, "Peer supporter at first appointment", "", flexible, by=cast.lead, based_on=2
        )
        new = element(theory, "Peer supporter at first appointment")
        assert new.source is None and new.lineage == "local"
        # changing it back to the programme wording is no longer an adaptation
        theory.update_element(idea, "Evening clinics", by=cast.lead, based_on=3)
        idea.refresh_from_db()
        assert not idea.adapted


def test_removing_a_programme_element_records_it_as_dropped_not_forgotten(cast, theory):
    with scopes_disabled():
        idea = element(theory, "Text reminders in first languages")
        theory.remove_element(idea, by=cast.lead, based_on=1)
        idea.refresh_from_db()
        assert idea.removed_at is not None and idea.source_id is not None
        assert "Text reminders in first languages" not in [e["text"] for e in theory.snapshot()["elements"]]
        assert theory.divergence() == {"kept": 6, "adapted": 0, "dropped": 1, "local": 0, "not_used": 0}


def test_an_edit_that_would_orphan_change_ideas_is_refused_and_saves_nothing(cast, theory):
    with scopes_disabled():
        flexible = element(theory, "Flexible appointments")
        with pytest.raises(ValidationError, match="still has 2 change ideas"):
            theory.remove_element(flexible, by=cast.lead, based_on=1)
        flexible.refresh_from_db()
        theory.refresh_from_db()
        assert flexible.removed_at is None
        assert theory.version == 1 and theory.versions.count() == 1


def test_every_change_is_a_version_with_who_when_and_a_snapshot(cast, theory):
    with scopes_disabled():
        primary = element(theory, "Services that are easy to reach")
        theory.set_aim("Halve the access gap by 2027", by=cast.member, based_on=1)
        theory.shift_element(primary, 1, by=cast.lead, based_on=2)
        versions = list(theory.versions.order_by("number"))
        assert [v.number for v in versions] == [1, 2, 3]
        assert versions[1].created_by == cast.member and versions[1].summary == "Changed the aim"
        assert versions[1].snapshot["aim"] == "Halve the access gap by 2027"
        assert versions[0].snapshot["aim"] != versions[1].snapshot["aim"]
        first = [e for e in versions[2].snapshot["elements"] if e["kind"] == Kind.PRIMARY]
        assert sorted(first, key=lambda e: e["position"])[0]["text"] == "Trusted relationships with communities"


def test_versions_cannot_be_changed(cast, theory):
    with scopes_disabled():
        version = theory.versions.get()
        version.summary = "rewritten"
        with pytest.raises(PermissionError):
            version.save()


def test_the_diagram_can_be_shown_as_it_was_on_a_date(cast, theory):
    with scopes_disabled():
        first = theory.versions.get()
        type(first).objects.filter(pk=first.pk).update(created_at=timezone.now() - timedelta(days=30))
        theory.set_aim("A newer aim", by=cast.lead, based_on=1)
        before = theory.version_on(timezone.localdate() - timedelta(days=10))
        assert before.number == 1 and before.tree().aim != "A newer aim"
        assert theory.version_on(timezone.localdate()).tree().aim == "A newer aim"
        assert theory.version_on(timezone.localdate() - timedelta(days=60)) is None


def test_a_second_edit_based_on_the_same_version_is_told_the_diagram_changed(cast, theory):
    with scopes_disabled():
        idea = element(theory, "Evening clinics")
        theory.update_element(idea, "First person's wording", by=cast.lead, based_on=1)
        stale = ChangeTheory.objects.get(pk=theory.pk)
        with pytest.raises(DiagramChanged) as raised:
            stale.update_element(idea, "Second person's wording", by=cast.member, based_on=1)
        assert raised.value.current_version == 2
        idea.refresh_from_db()
        assert idea.text == "First person's wording"
        assert theory.versions.count() == 2


def test_moving_keeps_the_hierarchy(cast, theory):
    with scopes_disabled():
        idea = element(theory, "Clinics in community venues")
        flexible = element(theory, "Flexible appointments")
        reach = element(theory, "Services that are easy to reach")
        theory.move_element(idea, flexible, by=cast.lead, based_on=1)
        idea.refresh_from_db()
        assert idea.parent == flexible
        with pytest.raises(ValidationError):
            theory.move_element(idea, reach, by=cast.lead, based_on=2)  # a change idea needs a secondary driver


def test_adoption_per_organisation_shows_adopted_adapted_dropped_and_not_used(cast, theory):
    with scopes_disabled():
        other = factories.change_theory(cast.org_b, cast.collaborative, by=cast.other_lead)
        theory.update_element(
            element(theory, "Evening clinics"),
            "Evening clinics at the mosque",
            by=cast.lead,
            based_on=1,
        )
        other.remove_element(element(other, "Evening clinics"), by=cast.other_lead, based_on=1)
        programme = ProgrammeChangeTheory.objects.get(collaborative=cast.collaborative)
        flexible = programme.elements.get(text="Flexible appointments")
        programme.add_element(
            Kind.CHANGE_IDEA,
            "Walk-in sessions",
            "",
            flexible,
            by=cast.national,
            based_on=programme.version,
        )
        statuses = adoption_by_organisation(programme, [cast.org_a.pk, cast.org_b.pk])
        evening = programme.elements.get(text="Evening clinics").pk
        walk_in = programme.elements.get(text="Walk-in sessions").pk
        reminders = programme.elements.get(text="Text reminders in first languages").pk
        assert statuses[(evening, cast.org_a.pk)] == Adoption.ADAPTED
        assert statuses[(evening, cast.org_b.pk)] == Adoption.DROPPED
        assert statuses[(reminders, cast.org_a.pk)] == Adoption.ADOPTED
        assert (walk_in, cast.org_a.pk) not in statuses
        assert theory.divergence()["not_used"] == 1


def test_adoption_view_query_count_does_not_grow_with_organisations(client, cast, login):
    from django.urls import reverse

    from collaborative.models import Enrolment
    from organisations.models import Organisation

    factories.change_theory(cast.org_a, cast.collaborative)
    factories.change_theory(cast.org_b, cast.collaborative)
    login(client, cast.national)
    url = reverse("qi_projects:programme_adoption")
    client.get(url)
    with CaptureQueriesContext(connection) as two:
        assert client.get(url).status_code == 200
    with scopes_disabled():
        for n in range(4):
            org = Organisation.objects.create(name=f"Extra {n}", slug=f"extra-{n}")
            Enrolment.objects.create(
                collaborative=cast.collaborative, organisation=org, start_date=timezone.localdate()
            )
            factories.change_theory(org, cast.collaborative)
    from organisations import access

    access.forget(cast.national)
    client.get(url)
    with CaptureQueriesContext(connection) as six:
        response = client.get(url)
    assert response.status_code == 200
    assert "Extra 3" in response.content.decode()
    assert len(six.captured_queries) == len(two.captured_queries)


def test_elements_are_scoped_to_their_organisation(cast, theory):
    from django_scopes import scope

    with scope(organisation=[cast.org_b.pk]):
        assert not ChangeTheoryElement.objects.exists()
    with scope(organisation=[cast.org_a.pk]):
        assert ChangeTheoryElement.objects.count() == 7
