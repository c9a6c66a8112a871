"""What a busy clinician reads on screen: visible choices, icons that point the way the data went,
run-chart results, numbered markers, Act closing the loop, real dates, rebasing, phones and print."""

from datetime import date, timedelta

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from conftest import fill_date
from measures.models import DataPoint
from measures.tests.factories import make_measure
from qi_projects.models import Stage
from qi_projects.pdsa.models import ChangeIdeaMove, PdsaCycle
from qi_projects.pdsa.tests import factories as pdsa_factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def months_back(n: int) -> list[date]:
    first = timezone.localdate().replace(day=1)
    out = []
    for _ in range(n):
        first = (first - timedelta(days=1)).replace(day=1)
        out.append(first)
    return sorted(out)


def add_values(measure, values, stratum="all") -> list[date]:
    periods = months_back(len(values))
    with scopes_disabled():
        DataPoint.objects.bulk_create(
            DataPoint(organisation=measure.organisation, measure=measure, period_start=p, stratum=stratum, value=v)
            for p, v in zip(periods, values, strict=True)
        )
    return periods


def value_measure(org, code, improvement="increase", **fields):
    return make_measure(
        org,
        code=code,
        name=f"{code} measure",
        value_type="value",
        unit="people",
        numerator_definition="",
        denominator_definition="",
        improvement=improvement,
        dimension="",
        reference_category="",
        **fields,
    )


def test_the_measure_checkboxes_are_visible_and_toggle_in_the_quick_form(page, cast, browser_login):
    idea = pdsa_factories.change_idea(cast.org_a, text="Evening clinics")
    make_measure(cast.org_a, code="DNA", name="Missed first appointments", project=idea.diagram.project)
    browser_login("lead@a.example")
    page.goto("/orgs/alpha/pdsa/new/")
    group = page.get_by_role("group", name="Which measure will show this?")
    expect(group).to_be_visible()  # in the quick form, not under the collapsed rest of the plan
    box = group.get_by_label("DNA Missed first appointments")
    label = group.get_by_text("DNA Missed first appointments")
    drawn = label.evaluate(
        "l => { const s = getComputedStyle(l, '::before'); return [s.opacity, s.width, s.borderStyle]; }"
    )
    assert drawn[0] != "0" and drawn[1] != "0px" and drawn[2] != "none", drawn
    bounds = label.bounding_box()
    assert bounds and bounds["width"] > 40 and bounds["height"] > 20
    expect(box).not_to_be_checked()
    label.click()
    expect(box).to_be_checked()
    label.click()
    expect(box).not_to_be_checked()


def test_the_enrol_forms_experts_are_nhs_checkboxes(page, cast, browser_login):
    browser_login("national@programme.example")
    page.goto("/programme/enrol/")
    experts = page.get_by_role("group", name="Experts")
    expect(experts.locator(".nhsuk-checkboxes__item").first).to_be_visible()


def test_a_lower_is_better_improvement_icon_points_down(page, cast, browser_login):
    measure = value_measure(cast.org_a, "DNA", improvement="decrease")
    add_values(measure, [30, 31, 29, 30, 32, 30, 31, 29, 30, 31, 30, 29, 30, 31, 10])
    browser_login("lead@a.example")
    page.goto(f"/orgs/alpha/data/measures/{measure.pk}/")
    icon = page.get_by_role("img", name="Special cause variation: improvement, lower than before")
    expect(icon).to_be_visible()
    assert icon.locator("[data-direction=low]").count() == 1
    expect(page.get_by_text("Special cause variation: improvement, lower than before.")).to_be_visible()


def test_a_run_chart_shows_the_anhoej_result_it_found(page, cast, browser_login):
    from measures.models import ChartSettings

    measure = value_measure(cast.org_a, "RUN")
    with scopes_disabled():
        ChartSettings.objects.create(organisation=cast.org_a, measure=measure, chart_type="run")
    add_values(measure, [1, 2, 1, 2, 1, 2, 1, 2, 9, 8, 9, 8, 9, 8, 9, 8])  # a shift half way: 8 in a row above
    browser_login("lead@a.example")
    page.goto(f"/orgs/alpha/data/measures/{measure.pk}/")
    expect(page.get_by_text("A signal: the data has shifted (Anhøj rules).", exact=True)).to_be_visible()
    expect(page.get_by_text("Longest run on one side of the median")).to_be_visible()
    expect(page.get_by_text("Times the line crosses the median")).to_be_visible()
    assert page.get_by_text("Not enough data for a signal").count() == 0


def test_a_pdsa_marker_is_numbered_and_links_to_its_cycle(page, cast, browser_login):
    idea = pdsa_factories.change_idea(cast.org_a, text="Evening clinics")
    measure = value_measure(cast.org_a, "ATT", project=idea.diagram.project)
    periods = add_values(measure, [10, 11, 12, 11, 10, 12, 11, 13, 12, 11, 12, 13])
    cycle = pdsa_factories.cycle(
        cast.org_a, idea, measures=[measure], planned_start=periods[6], planned_end=periods[6] + timedelta(days=7)
    )
    browser_login("lead@a.example")
    page.goto(f"/orgs/alpha/data/measures/{measure.pk}/")
    table = page.get_by_role("table", name="Marked on the chart, in date order")
    row = table.get_by_role("row").filter(has_text="PDSA 1")
    expect(row.locator(".app-marker")).to_have_text("1")
    expect(page.locator("[data-chart=spc] .legendtext").filter(has_text="PDSA cycles")).to_be_visible()
    row.get_by_role("link").click()
    expect(page).to_have_url(f"{page.url.split('/orgs/')[0]}/orgs/alpha/pdsa/{cycle.pk}/")


def test_act_adopts_the_idea_in_the_same_step(page, cast, browser_login):
    idea = pdsa_factories.change_idea(cast.org_a, text="Evening clinics")
    cycle = pdsa_factories.cycle(cast.org_a, idea, status="studying")
    browser_login("lead@a.example")
    page.goto(f"/orgs/alpha/pdsa/{cycle.pk}/act/")
    page.get_by_label("Adopt").check()
    expect(page.get_by_label("Also move “Evening clinics” on to match the decision")).to_be_checked()
    page.get_by_role("button", name="Complete the cycle").click()
    expect(page.get_by_text("Cycle completed: adopt.")).to_be_visible()
    with scopes_disabled():
        idea.refresh_from_db()
        move = ChangeIdeaMove.objects.get(change_idea=idea, to_stage=Stage.ADOPTED)
        evidence = list(move.cycles.values_list("pk", flat=True))
    assert idea.stage == Stage.ADOPTED
    assert evidence == [cycle.pk]


def test_the_date_input_refuses_an_impossible_date_and_keeps_what_was_typed(page, cast, browser_login):
    pdsa_factories.change_idea(cast.org_a, text="Evening clinics")
    browser_login("lead@a.example")
    page.goto("/orgs/alpha/pdsa/new/")
    page.get_by_label("Change idea being tested").select_option(label="Evening clinics")
    page.get_by_label("Objective").fill("Two evening clinics")
    page.get_by_label("Prediction: what do you expect to happen?").fill("Half go to working people")
    start = page.get_by_role("group", name="Planned start", exact=True)
    start.get_by_label("Day").fill("31")
    start.get_by_label("Month").fill("2")
    start.get_by_label("Year").fill(str(timezone.localdate().year))
    fill_date(page, "Planned end", timezone.localdate() + timedelta(days=30))
    page.get_by_role("button", name="Log the cycle").click()
    expect(page.get_by_text("Enter a valid date.").first).to_be_visible()
    expect(page.get_by_label("Objective")).to_have_value("Two evening clinics")
    with scopes_disabled():
        assert not PdsaCycle.objects.exists()


def test_the_chart_offers_new_limits_after_an_adopted_change_and_records_them(page, cast, browser_login):
    idea = pdsa_factories.change_idea(cast.org_a, text="Text reminders")
    measure = value_measure(cast.org_a, "ATT", project=idea.diagram.project, tracks=idea)
    values = [50, 52, 49, 51, 50, 48, 52, 50, 51, 49, 50, 51] + [60, 61, 62, 60, 61, 63, 62, 61]
    periods = add_values(measure, values)
    cycle = pdsa_factories.cycle(cast.org_a, idea, status="completed", measures=[measure])
    with scopes_disabled():
        move = ChangeIdeaMove.record(idea, Stage.ADOPTED, by=cast.lead, evidence="Beat the prediction", cycles=[cycle])
        ChangeIdeaMove.objects.filter(pk=move.pk).update(
            at=timezone.make_aware(timezone.datetime(*periods[11].timetuple()[:3]))
        )
    browser_login("lead@a.example")
    page.goto(f"/orgs/alpha/data/measures/{measure.pk}/")
    expect(page.get_by_role("heading", name="A sustained shift after an adopted change")).to_be_visible()
    page.get_by_label("Why start new limits here?").fill("Text reminders adopted; the shift has held")
    page.get_by_role("button", name="Start new limits from").click()
    expect(page.get_by_text("the earlier limits stay shown")).to_be_visible()
    table = page.get_by_role("table", name="New limits started")
    expect(table).to_contain_text("Text reminders adopted; the shift has held")
    expect(page.get_by_role("table", name="Marked on the chart, in date order")).to_contain_text("New limits from here")
    assert page.get_by_role("heading", name="A sustained shift after an adopted change").count() == 0


@pytest.mark.parametrize("path", ["", "enter/"])
def test_no_horizontal_scroll_on_a_phone_on_the_chart_and_grid_pages(page, cast, browser_login, path):
    measure = make_measure(cast.org_a)
    periods = months_back(14)
    with scopes_disabled():
        DataPoint.objects.bulk_create(
            DataPoint(
                organisation=cast.org_a, measure=measure, period_start=p, stratum=s, numerator=10 + i, denominator=40
            )
            for i, p in enumerate(periods)
            for s in ("all", "ethnicity:A", "ethnicity:M")
        )
    page.set_viewport_size({"width": 390, "height": 800})
    browser_login("lead@a.example")
    page.goto(f"/orgs/alpha/data/measures/{measure.pk}/{path}")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=f"/tmp/shots/phone-{path.strip('/') or 'chart'}.png", full_page=True)
    wide = page.evaluate(
        "() => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 392"
        " && !e.closest('.app-table-scroll')).slice(0, 5).map(e => e.tagName + '.' + e.className)"
    ) + page.evaluate(
        "() => [...document.querySelectorAll('.app-table-scroll')].map(e => [e.clientWidth, e.scrollWidth,"
        " getComputedStyle(e).overflowX, e.parentElement.tagName + '.' + e.parentElement.className,"
        " e.parentElement.clientWidth])"
    )
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width}px wide on a 390px phone: {wide}"


def test_a_chart_page_prints_on_at_most_two_a4_pages(page, cast, browser_login):
    measure = make_measure(cast.org_a)
    periods = months_back(24)
    with scopes_disabled():
        DataPoint.objects.bulk_create(
            DataPoint(
                organisation=cast.org_a,
                measure=measure,
                period_start=p,
                stratum="all",
                numerator=10 + i % 5,
                denominator=40,
            )
            for i, p in enumerate(periods)
        )
    browser_login("lead@a.example")
    page.goto(f"/orgs/alpha/data/measures/{measure.pk}/")
    page.wait_for_load_state("networkidle")
    expect(page.get_by_text("Data up to")).to_be_visible()
    pdf = page.pdf(format="A4", print_background=True)
    pages = pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")
    assert 1 <= pages <= 2, f"{pages} pages"
