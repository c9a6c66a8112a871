"""Chromium journey: a lead fills in the sustainability self-assessment (one factor missing: a draft, then
complete: scored and charted), and opens the end-of-programme report and its PDF."""

import pytest
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from evaluation import sustainability_model as model
from evaluation.models import SustainabilityAssessment
from measures.tests.factories import make_project

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_lead_assesses_sustainability_and_opens_the_report(page, browser_login, cast):
    project = make_project(cast.org_a)
    browser_login("lead@a.example")
    page.goto("/")
    page.get_by_role("link", name="Sustainability: self-assessment and plan").click()
    expect(page.get_by_role("heading", name="Sustaining the improvement")).to_be_visible()
    page.get_by_role("link", name="Start the start of phase 3 assessment").click()

    # Nine of the ten factors, by the statement the team agrees with; fit with the organisation left out.
    for factor in model.FACTORS:
        if factor.key != "fit":
            page.get_by_label(factor.statements[1], exact=True).check()
    page.get_by_role("button", name="Save assessment").click()
    expect(page.get_by_text("Saved as a draft, not scored")).to_be_visible()
    expect(page.get_by_text("Fit with the organisation's strategic aims and culture)")).to_be_visible()
    # Nothing lost: the answers given are still chosen.
    expect(page.get_by_label(model.BY_KEY["benefits"].statements[1], exact=True)).to_be_checked()
    with scopes_disabled():
        assert SustainabilityAssessment.objects.get(project=project).status == "draft"

    page.get_by_label(model.BY_KEY["fit"].statements[0], exact=True).check()
    page.get_by_role("button", name="Save assessment").click()
    expected = round(sum(f.points["b"] for f in model.FACTORS if f.key != "fit") + 6.6, 1)
    expect(page.get_by_text(f"scored: {expected:g} out of 100.1")).to_be_visible()
    chart = page.locator(f'[data-chart="sustainability-chart-{project.pk}"]')
    expect(chart.locator(".main-svg").first).to_be_attached()  # plotly drew it
    expect(page.get_by_role("table").filter(has_text="Points of each factor")).to_contain_text("Total")
    assert page.console_errors == []

    page.get_by_role("link", name="End-of-programme report").first.click()
    expect(page.get_by_role("heading", name="End-of-programme report")).to_be_visible()
    expect(page.get_by_text(project.aim)).to_be_visible()
    expect(page.get_by_text("No measure has data yet")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the report as a PDF").click()
    with open(download.value.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    assert page.console_errors == []


@pytest.fixture
def axe_page(_playwright, live_server):
    context = _playwright.new_context(base_url=live_server.url, bypass_csp=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def test_sustainability_pages_have_no_axe_violations(axe_page):
    from collaborative import demo
    from evaluation import demo as sustainability_demo
    from learning_sets.tests.test_browser import sign_in
    from qi_projects.models import ImprovementProject
    from tests.browser.test_accessibility import violations

    sustainability_demo.seed(demo.seed()["collaborative"])
    with scopes_disabled():
        project = ImprovementProject.objects.filter(organisation__slug="northshire").order_by("created_at", "pk")[0]
    base = "/orgs/northshire/sustainability/"
    urls = [
        base,
        f"{base}projects/{project.pk}/assessment/start/",
        f"{base}projects/{project.pk}/plan/",
        f"{base}projects/{project.pk}/reflections/",
        "/orgs/northshire/report/",
    ]
    sign_in(axe_page, "lead1@demo.example", "amhe-demo-2026")
    found = {}
    for url in urls:
        assert axe_page.goto(url).status == 200, url
        axe_page.wait_for_load_state("networkidle")
        found[url] = violations(axe_page)
    problems = [f"{page}: {v}" for page, here in found.items() for v in here]
    assert problems == [], "\n".join(problems)
