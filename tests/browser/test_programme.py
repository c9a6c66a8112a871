import pytest
from django.utils import timezone
from playwright.sync_api import expect

from conftest import fill_date

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_national_team_enrols_an_organisation_assigns_a_coach_and_passes_the_phase_1_gate(page, cast, browser_login):
    cast.coach.first_name, cast.coach.last_name = "Priya", "Coach"
    cast.coach.save()
    today = timezone.localdate().isoformat()
    browser_login("national@programme.example")
    page.get_by_role("link", name="Enrol an organisation").click()
    page.get_by_label("New organisation's name").fill("Gamma Community Trust")
    page.get_by_label("New organisation's type").select_option(label="Mental health trust")
    fill_date(page, "Start date", today)
    page.get_by_label("Project lead's name").fill("Gail Lead")
    page.get_by_label("Project lead's email").fill("gail@gamma.example")
    page.get_by_label("Executive sponsor's name").fill("Sid Sponsor")
    page.get_by_label("Executive sponsor's email").fill("sid@gamma.example")
    page.get_by_label("QI coach").select_option(label="Priya Coach")
    page.get_by_role("button", name="Enrol organisation").click()

    expect(page.get_by_text("Gamma Community Trust is enrolled.")).to_be_visible()
    expect(page.get_by_role("heading", name="Programme phases")).to_be_visible()
    expect(page.get_by_text("Priya Coach (QI coach)")).to_be_visible()

    fill_date(page, "Start date", today)
    page.get_by_role("button", name="Start local design").click()
    expect(page.get_by_text("Local design has started.")).to_be_visible()
    expect(page.get_by_role("heading", name="Gate to leave local design")).to_be_visible()
    expect(page.get_by_role("button", name="Sign off the gate")).to_have_count(0)

    for label in (
        "Focus population identified",
        "Change theory coproduced",
        "Measurement strategy agreed",
        "Baseline data collected",
    ):
        page.get_by_label(f"Note for “{label}”").fill("Reviewed with the team at the gate meeting")
        page.get_by_role("button", name=f"Tick “{label}”").click()
        expect(page.get_by_text("Gate item ticked.")).to_be_visible()

    fill_date(page, "Date the gate was passed", today)
    page.get_by_role("button", name="Sign off the gate").click()
    expect(page.get_by_text("Gate passed: Testing and scaling up has started.")).to_be_visible()
    expect(page.get_by_role("heading", name="Gate to leave testing and scaling up")).to_be_visible()
    expect(page.get_by_role("cell", name="Gate passed: Local design")).to_be_visible()

    page.get_by_role("link", name="Programme board").click()
    row = page.get_by_role("table", name="Enrolled organisations").get_by_role("row").filter(has_text="Gamma")
    expect(row).to_contain_text("Testing and scaling up")
    expect(row).to_contain_text("Priya Coach")
    # The timeline is drawn by the static script under the strict CSP, with no errors.
    expect(page.locator("[data-chart=timeline] svg.main-svg").first).to_be_visible()
    page.screenshot(path="/tmp/board.png", full_page=True)
    assert page.console_errors == []
