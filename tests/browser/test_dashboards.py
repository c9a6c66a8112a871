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
