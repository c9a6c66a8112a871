from datetime import date

import pytest
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from measures.models import DataPoint
from measures.tests.factories import make_measure
from qi_projects.pdsa.tests import factories as pdsa_factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_lead_sees_a_cycle_waiting_and_follows_a_measure_tile_to_its_chart(page, cast, browser_login):
    pdsa_factories.cycle(cast.org_a, objective="Evening clinics for one week")
    measure = make_measure(cast.org_a, code="EIP")
    with scopes_disabled():
        for month in range(1, 13):
            DataPoint.objects.create(
                organisation=cast.org_a,
                measure=measure,
                period_start=date(2025, month, 1),
                numerator=30,
                denominator=60,
            )
    browser_login("lead@a.example")
    waiting = page.get_by_role("region", name="Waiting for you")
    expect(waiting).to_contain_text("Evening clinics for one week")
    expect(waiting.get_by_role("link", name="Record Do")).to_be_visible()
    expect(page.get_by_role("link", name="Log a PDSA cycle")).to_be_visible()
    page.set_viewport_size({"width": 390, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path="/tmp/wt15-shots/workspace-390.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path="/tmp/wt15-shots/workspace-1280.png", full_page=True)
    page.get_by_role("link", name="EIP: Started treatment within 2 weeks").click()
    expect(page.get_by_role("heading", name="Started treatment within 2 weeks")).to_be_visible()
    assert page.console_errors == []


def test_the_printed_workspace_keeps_each_tile_inside_its_card(page, cast, browser_login):
    """Printed on A4, the links' paths are not written out after them: they ran out of the tiles and were cut."""
    measure = make_measure(cast.org_a, code="EIP")
    with scopes_disabled():
        for month in range(1, 13):
            DataPoint.objects.create(
                organisation=cast.org_a,
                measure=measure,
                period_start=date(2025, month, 1),
                numerator=30,
                denominator=60,
            )
    browser_login("lead@a.example")
    page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
    page.emulate_media(media="print")
    tile = page.locator(".app-tiles .nhsuk-card").first
    expect(tile).to_contain_text("EIP")
    spilling = page.evaluate(
        """() => [...document.querySelectorAll('.app-dashboard .nhsuk-card')]
            .filter(card => card.scrollWidth > card.clientWidth + 1).length"""
    )
    assert spilling == 0
    link_suffix = page.evaluate(
        "() => getComputedStyle(document.querySelector('.app-dashboard a[href]'), '::after').content"
    )
    assert link_suffix in ("none", "normal")


@pytest.fixture
def demo_data(transactional_db):
    from collaborative.management.commands.seed_demo import seed_everything

    seed_everything()  # as `manage.py seed_demo` does


def test_the_demo_workspace_prints_on_two_a4_pages_with_its_aim_measures_gaps_and_data_date(page, demo_data):
    """Issue 15: printable on two A4 pages with the date the data runs to; a gap chart per focus population."""
    import re

    from tests.browser.test_accessibility import sign_in as demo_sign_in

    with scopes_disabled():
        from measures.models import Measure
        from qi_projects.models import ImprovementProject

        project = ImprovementProject.objects.get(organisation__slug="northshire")
        names = list(Measure.objects.filter(organisation__slug="northshire").values_list("name", flat=True))
    demo_sign_in(page, "lead1@demo.example")
    expect(page.get_by_role("heading", name="Northshire Mental Health NHS Foundation Trust")).to_be_visible()
    gaps = page.get_by_role("region", name="Is the gap closing?")
    charts = gaps.get_by_role("img", name=re.compile(r"^Gap over the last \d+ periods"))
    assert charts.count() >= 2
    gaps.get_by_text("Figures").first.click()
    expect(gaps.get_by_role("table", name=re.compile(r"^Gap over the last")).first).to_be_visible()
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=f"/tmp/shots-3c/browser-workspace-{width}.png", full_page=True)

    page.set_viewport_size({"width": 794, "height": 1123})
    page.emulate_media(media="print")
    main = page.get_by_role("main")
    expect(main.get_by_text(project.aim)).to_be_visible()
    expect(main.get_by_text(re.compile(r"Data runs to [A-Z][a-z]+ \d{4}\."))).to_be_visible()
    for name in names:
        expect(page.locator(".app-tiles").get_by_text(name)).to_be_visible()
    expect(gaps.get_by_role("img").first).to_be_visible()
    expect(gaps.get_by_text("Figures").first).to_be_hidden()
    expect(page.get_by_role("link", name="Log a PDSA cycle")).to_be_hidden()
    page.screenshot(path="/tmp/shots-3c/browser-workspace-print.png", full_page=True)
    pdf = page.pdf(format="A4")
    assert 1 <= len(re.findall(rb"/Type\s*/Page[^s]", pdf)) <= 2
    assert page.console_errors == []
