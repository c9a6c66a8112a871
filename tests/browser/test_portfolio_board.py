"""The coach sees who needs them first and why; the national team filters the board and reads the icons grid."""

import os
from datetime import date, timedelta

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from collaborative.models import Enrolment
from measures.models import DataPoint
from measures.tests.factories import make_measure
from organisations.models import Assignment, Organisation, Role
from qi_projects.pdsa.tests import factories as pdsa_factories
from qi_projects.tests import factories as qi_factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = "/tmp/shots-1"


def _shots(page, name):
    """Screenshots at 1280 px, 390 px (no sideways scroll) and in print emulation."""
    os.makedirs(SHOTS, exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=f"{SHOTS}/{name}-1280.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 800})
    # Charts redraw to the new width a moment after the resize (plotly's responsive option): wait for it.
    for _ in range(50):
        if page.evaluate("document.documentElement.scrollWidth") <= 390:
            break
        page.wait_for_timeout(100)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=f"{SHOTS}/{name}-390.png", full_page=True)
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=f"{SHOTS}/{name}-print.png", full_page=True)
    page.emulate_media(media="screen")


def _months(measure, first: date, values, denominator=100):
    with scopes_disabled():
        day = first
        for value in values:
            DataPoint.objects.create(
                organisation_id=measure.organisation_id,
                measure=measure,
                period_start=day,
                stratum="all",
                numerator=value,
                denominator=denominator,
            )
            day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _last_month() -> date:
    return (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)


def _calm_organisation(cast, name, slug):
    """An organisation with this month's data in and nothing flagged that outranks a stuck cycle."""
    with scopes_disabled():
        org = Organisation.objects.create(name=name, slug=slug)
        Enrolment.objects.create(collaborative=cast.collaborative, organisation=org, start_date=timezone.localdate())
        Assignment.objects.create(organisation=org, user=cast.coach, role=Role.COACH)
    _months(make_measure(org), _last_month(), [40])
    return org


def test_coach_sees_the_organisation_that_needs_attention_first_and_why(page, cast, browser_login):
    _calm_organisation(cast, "Aardvark Health", "aardvark")  # first by name, but nothing wrong
    today = timezone.localdate()
    _months(make_measure(cast.org_a), _last_month(), [40])
    pdsa_factories.cycle(
        cast.org_a,
        status="studying",
        objective="Text reminders",
        planned_start=today - timedelta(days=70),
        planned_end=today - timedelta(days=37),
    )
    browser_login("coach@programme.example")
    expect(page.get_by_role("heading", name="My organisations")).to_be_visible()
    rows = page.get_by_role("table", name="Your organisations").get_by_role("row")
    first = rows.nth(1)  # after the header row
    expect(first.get_by_role("link", name="Alpha Trust")).to_be_visible()
    expect(first).to_contain_text("Cycle 'Text reminders' in Study 5 weeks past its planned end")
    expect(rows.nth(2).get_by_role("link", name="Aardvark Health")).to_be_visible()
    expect(page.get_by_text("Needs you first:")).to_be_visible()
    _shots(page, "portfolio")
    first.get_by_role("link", name="Alpha Trust").click()
    expect(page).to_have_url(f"{page.url.split('/orgs/')[0]}/orgs/alpha/")
    assert page.console_errors == []


def test_national_team_filters_the_board_and_reads_the_icons_grid(page, cast, browser_login):
    template = qi_factories.library_measure(cast.collaborative, code="EIP2W")
    qi_factories.library_measure(cast.collaborative, code="DNA1", name="Missed first appointments")
    measure = make_measure(cast.org_a, code="EIP2W", library_source=template, improvement="increase")
    _months(measure, date(2024, 1, 1), [50, 52, 49, 51, 50, 48, 52, 50, 49, 51, 50, 52, 50, 49, 51, 10])
    pdsa_factories.cycle(
        cast.org_a,
        status="doing",
        planned_start=timezone.localdate() - timedelta(days=70),
        planned_end=timezone.localdate() - timedelta(days=40),
    )
    browser_login("national@programme.example")
    expect(page.get_by_role("heading", name="Programme board")).to_be_visible()
    grid = page.get_by_role("region", name="Measures across the programme, scrolls sideways")
    alpha = grid.get_by_role("row", name="Alpha Trust")
    expect(alpha.get_by_role("img", name="EIP2W: Special cause variation: concern, lower than before")).to_be_visible()
    expect(alpha).to_contain_text("not used")  # DNA1
    expect(grid.get_by_role("row", name="Beta Trust")).to_contain_text("not used")
    _shots(page, "board")
    page.get_by_label("Flag", exact=True).select_option(label="A PDSA cycle stuck 4 weeks past its planned end")
    page.get_by_role("button", name="Filter").click()
    table = page.get_by_role("table", name="Enrolled organisations")
    expect(table.get_by_role("link", name="Alpha Trust")).to_be_visible()
    expect(table.get_by_role("link", name="Beta Trust")).to_have_count(0)
    expect(table).to_contain_text("past its planned end")
    assert page.console_errors == []


def _printed_link_suffixes(page, selector) -> list[str]:
    page.emulate_media(media="print")
    found = page.evaluate(
        """sel => [...document.querySelectorAll(sel)].map(a => getComputedStyle(a, '::after').content)""",
        selector,
    )
    page.emulate_media(media="screen")
    return [content for content in found if content not in ("none", "normal")]


def test_the_printed_portfolio_and_board_do_not_write_out_each_links_path(page, cast, browser_login):
    """'Eastmoor Integrated Care Board (Link: /orgs/eastmoor-icb/)' on paper: a path nobody can follow."""
    _months(make_measure(cast.org_a), _last_month(), [40])
    browser_login("coach@programme.example")
    expect(page.get_by_role("heading", name="My organisations")).to_be_visible()
    assert page.locator("table.app-portfolio a[href]").count() > 0
    assert _printed_link_suffixes(page, "table.app-portfolio a[href], .app-portfolio-first a[href]") == []
    page.context.clear_cookies()
    browser_login("national@programme.example")
    expect(page.get_by_role("heading", name="Programme board")).to_be_visible()
    assert _printed_link_suffixes(page, "table.app-board a[href], .nhsuk-summary-list a[href]") == []
