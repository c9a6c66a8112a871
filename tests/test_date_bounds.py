"""Dates a person types lie within five years either side of today (docs/architecture.md section 4)."""

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from collaborative.models import TeamMeeting
from collaborative.tests.factories import planned_enrolment
from organisations.dates import window
from qi_projects.pdsa.models import PdsaCycle
from qi_projects.pdsa.tests import factories as pdsa_factories

pytestmark = pytest.mark.django_db


def test_the_window_is_five_years_either_side_including_leap_days():
    assert window(date(2026, 12, 2)) == (date(2021, 12, 2), date(2031, 12, 2))
    assert window(date(2028, 2, 29)) == (date(2023, 2, 28), date(2033, 2, 28))


@pytest.mark.parametrize("year", ["0001", "2999"])
def test_a_pdsa_plan_in_year_1_or_2999_gets_a_message_and_saves_nothing(client, cast, login, year):
    idea = pdsa_factories.change_idea(cast.org_a)
    login(client, cast.lead)
    response = client.post(
        reverse("pdsa:pdsa_create", kwargs={"org": "alpha"}),
        {
            "change_idea": idea.pk,
            "objective": "Text reminders in Urdu",
            "prediction": "Fewer missed appointments",
            "planned_start": f"{year}-01-01",
            "planned_end": f"{year}-01-08",
        },
    )
    assert response.status_code == 422
    first, last = window()
    assert f"Enter a date between {first.day} {first:%B %Y} and {last.day} {last:%B %Y}." in response.content.decode()
    assert "Text reminders in Urdu" in response.content.decode()  # what was typed is kept
    with scopes_disabled():
        assert not PdsaCycle.objects.exists()


def test_a_meeting_long_ago_gets_a_message_and_saves_nothing(client, cast, login):
    login(client, cast.lead)
    response = client.post(
        reverse("collaborative:meetings", kwargs={"org": "alpha"}),
        {
            "meeting-date": "1999-01-01",
            "meeting-attendees": "Lead",
            "actions-TOTAL_FORMS": "0",
            "actions-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 422
    assert "Enter a date between" in response.content.decode()
    with scopes_disabled():
        assert not TeamMeeting.objects.exists()


def test_an_invoice_paid_in_2999_gets_a_message_and_saves_nothing(client, cast, login):
    enrolment = planned_enrolment(cast.org_a)
    with scopes_disabled():
        invoice = enrolment.invoices.get(year=1)
    login(client, cast.national)
    today = timezone.localdate().isoformat()
    response = client.post(
        reverse("collaborative:invoice_edit", kwargs={"org": "alpha", "pk": invoice.pk}),
        {"issued_on": today, "due_on": today, "paid_on": "2999-01-01"},
    )
    assert response.status_code == 422
    assert "Enter a date between" in response.content.decode()
    with scopes_disabled():
        invoice.refresh_from_db()
    assert invoice.paid_on is None and invoice.issued_on is None
