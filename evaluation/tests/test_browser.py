"""Chromium journeys: the evaluator reads each question's answer and its evidence and filters the series (demo
data); a member answers the approach survey, sees it saved and changes it. And axe on the evaluation pages."""

import re

import pytest
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from evaluation.models.feedback import ApproachFeedback
from tests.browser.test_accessibility import sign_in as demo_sign_in
from tests.browser.test_accessibility import violations

from .test_feedback import open_now

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EVALUATION_PAGES = [
    "/evaluation/",
    "/evaluation/sustained/",
    "/evaluation/interventions/",
    "/evaluation/approach/",
    "/evaluation/series/",
    "/evaluation/series/?dimension=ethnicity",
]


@pytest.fixture
def demo_data(transactional_db):
    from collaborative.management.commands.seed_demo import seed_everything

    seed_everything()  # as `manage.py seed_demo` does


def back_to_evaluation(page):
    """The back link above the heading (the menu has an Evaluation link too)."""
    page.get_by_role("main").get_by_role("link", name="Evaluation", exact=True).click()
    expect(page.get_by_role("heading", name="Evaluation", exact=True)).to_be_visible()


def test_the_evaluator_reads_each_answer_with_its_evidence_and_filters_the_series(page, demo_data):
    demo_sign_in(page, "evaluator@demo.example")
    page.goto("/evaluation/")
    expect(page.get_by_role("heading", name="Evaluation", exact=True)).to_be_visible()

    # Question 1: the answer, and one measure's evidence opened.
    page.get_by_role("link", name="Have we achieved a sustained improvement?").click()
    expect(page.get_by_text(re.compile(r"\d+ of \d+ measures with data show a sustained improvement"))).to_be_visible()
    results = page.get_by_role("table", name=re.compile("Each measure's result, by organisation"))
    results.get_by_text("Evidence").first.click()
    expect(results.get_by_text(re.compile(r"^Chart: an? ")).first).to_be_visible()
    expect(results.get_by_text(re.compile(r"^Rules: NHS England Making Data Count")).first).to_be_visible()
    back_to_evaluation(page)

    # Question 2: the answer, and an idea's counts of organisations.
    page.get_by_role("link", name="Which interventions made a difference?").click()
    expect(
        page.get_by_text(re.compile(r"Of the programme's \d+ change ideas?, \d+ ha(s|ve) been adopted"))
    ).to_be_visible()
    expect(page.get_by_role("columnheader", name="Took it up").first).to_be_visible()
    back_to_evaluation(page)

    # Question 3: the answer, and the table of each part by round.
    page.get_by_role("link", name="What aspects of the approach were helpful or unhelpful?").click()
    expect(page.get_by_text(re.compile(r"In round \d+ \([A-Z][a-z]+ \d{4}\), (members found|only) "))).to_be_visible()
    parts = page.get_by_role("table", name=re.compile("Found it helpful or very helpful, by part and round"))
    expect(parts.get_by_role("cell", name=re.compile(r"^(\d+%|\*) \((\d+|\*)\)$")).first).to_be_visible()
    back_to_evaluation(page)

    # The series: everything, then only the measures broken down by ethnicity.
    page.get_by_role("link", name="Series and signals across organisations").click()
    everything = page.get_by_text(re.compile(r"^\d+ measures? of \d+ organisations? match")).inner_text()
    page.get_by_label("Equality dimension").select_option(label="Ethnicity (NHS ethnic category)")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"dimension=ethnicity"))
    filtered = page.get_by_text(re.compile(r"^\d+ measures? of \d+ organisations? match")).inner_text()
    assert int(filtered.split()[0]) < int(everything.split()[0]), (filtered, everything)
    gap_header = page.get_by_role("columnheader", name=re.compile(r"^Gap"))
    with_gap = page.get_by_role("table", name=re.compile(r"the latest periods, protected")).filter(has=gap_header).first
    expect(with_gap.get_by_role("cell", name=re.compile(r"^(\*|[\d,.]+(%| per [\d,]+))$")).first).to_be_visible()
    expect(with_gap.get_by_role("cell", name=re.compile(r"^(\*|[+-][\d,.]+)$")).first).to_be_visible()
    expect(page.get_by_label("Equality dimension")).to_have_value("ethnicity")
    page.get_by_role("link", name="Clear the filters").click()
    expect(page.get_by_text(everything)).to_be_visible()
    assert page.console_errors == []


def test_a_member_answers_the_approach_survey_sees_it_saved_and_changes_it(page, cast, browser_login):
    current = open_now(cast)
    browser_login("member@a.example")
    page.goto("/feedback/")
    expect(page.get_by_role("heading", name="How helpful has the programme's approach been?")).to_be_visible()
    for group in page.get_by_role("group").all():
        group.get_by_label("Helpful", exact=True).check()
    page.get_by_role("group", name=re.compile("PDSA cycles")).get_by_label("Very helpful").check()
    page.get_by_label("What has helped most").fill("The fortnightly coaching calls.")
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_text("Thank you: your answers are saved.")).to_be_visible()
    with scopes_disabled():
        answer = ApproachFeedback.objects.get(user=cast.member, round_number=current.number)
    assert (answer.pdsa, answer.coaching, answer.helped) == (5, 4, "The fortnightly coaching calls.")

    # Back on the page the answers are kept; the member changes one.
    expect(page.get_by_text("You can change your answers until")).to_be_visible()
    pdsa = page.get_by_role("group", name=re.compile("PDSA cycles"))
    expect(pdsa.get_by_label("Very helpful")).to_be_checked()
    pdsa.get_by_label("Not used").check()
    page.get_by_role("button", name="Save my changes").click()
    expect(page.get_by_text("Thank you: your answers are saved.")).to_be_visible()
    with scopes_disabled():
        answer.refresh_from_db()
        assert ApproachFeedback.objects.filter(user=cast.member).count() == 1
    assert answer.pdsa == 0
    assert page.console_errors == []


def test_the_evaluation_pages_have_no_axe_violations(axe_page, demo_data):
    demo_sign_in(axe_page, "evaluator@demo.example")
    found = {}
    for url in EVALUATION_PAGES:
        assert axe_page.goto(url).status == 200, url
        axe_page.wait_for_load_state("networkidle")
        found[url] = violations(axe_page)
    problems = [f"{url}: {v}" for url, here in found.items() for v in here]
    assert problems == [], "\n".join(problems)


def test_the_evaluation_pages_do_not_scroll_sideways_on_a_phone(page, demo_data):
    """At 390 px, with every "each organisation" and "every answer" opened: wide tables scroll in their box."""
    demo_sign_in(page, "evaluator@demo.example")
    page.set_viewport_size({"width": 390, "height": 800})
    wide = {}
    for url in EVALUATION_PAGES + ["/evaluation/package/"]:
        page.goto(url)
        page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 390:
            wide[url] = width
    assert wide == {}
