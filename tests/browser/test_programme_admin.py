"""Browser journeys for the national team's settings, people, phase length and invoices, and chart settings."""

from datetime import date

import pytest
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from collaborative.tests.factories import planned_enrolment
from conftest import fill_date
from measures.tests.factories import make_measure

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_national_team_edits_settings_people_a_phase_and_an_invoice(page, cast, browser_login):
    cast.coach.first_name, cast.coach.last_name = "Priya", "Coach"
    cast.coach.save()
    enrolment = planned_enrolment(cast.org_a, start=date(2025, 1, 6))
    with scopes_disabled():
        invoice = enrolment.invoices.get(year=1)
    browser_login("national@programme.example")

    page.get_by_role("link", name="Programme settings").click()
    page.get_by_label("VAT rate (%)").fill("17.5")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Programme settings saved.")).to_be_visible()

    page.goto("/orgs/alpha/programme/people/")
    page.get_by_label("QI coach").select_option(label="Priya Coach")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("People saved.")).to_be_visible()
    expect(page.get_by_text("Priya Coach (QI coach)")).to_be_visible()

    page.get_by_role("link", name="Extend or shorten Local design").click()
    fill_date(page, "New planned end date", "2024-12-01")
    page.get_by_label("Reason").fill("Oops")
    page.get_by_role("button", name="Save new end date").click()
    expect(page.get_by_text("cannot end before it starts")).to_be_visible()
    fill_date(page, "New planned end date", "2025-09-05")
    page.get_by_label("Reason").fill("Community engagement took longer")
    page.get_by_role("button", name="Save new end date").click()
    expect(page.get_by_text("now ends on 05 September 2025")).to_be_visible()
    expect(page.get_by_role("cell", name="Community engagement took longer")).to_be_visible()

    page.goto(f"/orgs/alpha/fees/{invoice.pk}/")
    fill_date(page, "Issued on", "2025-02-01")
    fill_date(page, "Paid on", "2025-01-15")
    page.get_by_role("button", name="Save invoice").click()
    expect(page.get_by_text("The paid date cannot be before the issue date.")).to_be_visible()
    fill_date(page, "Paid on", "2025-02-20")
    page.get_by_role("button", name="Save invoice").click()
    expect(page.get_by_text("Year 1 invoice saved.")).to_be_visible()
    expect(page.get_by_role("table", name="Invoice schedule").get_by_role("row").nth(1)).to_contain_text("20 Feb 2025")
    assert page.console_errors == []


def test_lead_changes_a_measures_chart_settings(page, cast, browser_login):
    measure = make_measure(cast.org_a)
    browser_login("lead@a.example")
    page.goto(f"/orgs/alpha/data/measures/{measure.pk}/settings/")
    page.get_by_label("Chart type").select_option("xmr")
    page.get_by_label("Recalculate limits from").fill("2025-03-15")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("monthly period starts on the 1st")).to_be_visible()
    page.get_by_label("Recalculate limits from").fill("2025-03-01")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Chart settings saved.")).to_be_visible()
