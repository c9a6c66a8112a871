import re
from datetime import date

import pytest
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from collaborative.models import TeamAsk
from measures.models import DataPoint
from measures.tests.factories import make_measure
from qi_projects.tests import factories as qi_factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _pdf_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf))


def test_the_sponsor_lands_on_their_summary_answers_an_ask_and_prints_it_on_one_page(page, cast, browser_login):
    project = qi_factories.project(cast.org_a, aim="Halve the wait for a first appointment for young Black men.")
    qi_factories.focus_population(cast.org_a, project_=project, groups=["ethnicity:M"])
    with scopes_disabled():
        for code in ("EIP", "LISTEN", "CRISIS"):
            measure = make_measure(cast.org_a, code=code, project=project, name=f"Outcome {code}")
            for month in range(1, 19):
                for stratum, n in (("all", 30 + month % 5), ("ethnicity:M", 10 + month % 3), ("ethnicity:A", 25)):
                    DataPoint.objects.create(
                        organisation=cast.org_a,
                        measure=measure,
                        period_start=date(2024 + (month - 1) // 12, (month - 1) % 12 + 1, 1),
                        stratum=stratum,
                        numerator=n,
                        denominator=60,
                    )
        for i in range(3):
            TeamAsk.objects.create(
                organisation=cast.org_a, kind="risk", text=f"Risk number {i}: a clinic may close", raised_by=cast.lead
            )
        TeamAsk.objects.create(
            organisation=cast.org_a, kind="ask", text="Protected time for the data champion", raised_by=cast.lead
        )

    browser_login("sponsor@a.example")
    expect(page).to_have_url(re.compile(r"/orgs/alpha/sponsor/$"))
    expect(page.get_by_role("heading", name="Sponsor’s summary")).to_be_visible()
    expect(page.get_by_text("Halve the wait for a first appointment")).to_be_visible()
    outcomes = page.get_by_role("region", name="Outcome measures")
    expect(outcomes.get_by_role("link", name="EIP: Outcome EIP")).to_be_visible()
    expect(outcomes.get_by_role("img").first).to_be_visible()
    asks = page.get_by_role("region", name="Risks and asks from the team")
    expect(asks).to_contain_text("1 ask waiting for your answer")

    asks.get_by_role("link", name=re.compile("Answer.*Protected time")).click()
    page.get_by_role("button", name="Save answer").click()  # empty: refused, nothing saved
    expect(page.get_by_role("alert")).to_contain_text("Write your answer.")
    page.get_by_label("Your answer").fill("Yes: two hours a week from June.")
    page.get_by_role("button", name="Save answer").click()
    asks = page.get_by_role("region", name="Risks and asks from the team")
    expect(asks).to_contain_text("Answer: Yes: two hours a week from June.")
    expect(asks).not_to_contain_text("waiting for your answer")

    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=f"/tmp/shots-2/browser-sponsor-{width}.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.emulate_media(media="print")
    expect(page.get_by_role("link", name="All risks and asks")).to_be_hidden()
    expect(page.get_by_text("Halve the wait for a first appointment")).to_be_visible()
    page.screenshot(path="/tmp/shots-2/browser-sponsor-print.png", full_page=True)
    pdf = page.pdf(format="A4")
    assert _pdf_pages(pdf) == 1
    assert page.console_errors == []


def test_a_lead_raises_an_ask_from_the_workspace_is_refused_when_empty_and_marks_it_resolved(page, cast, browser_login):
    browser_login("lead@a.example")
    page.get_by_role("link", name="risks and asks for the sponsor").click()
    expect(page.get_by_role("heading", name="Risks and asks")).to_be_visible()
    page.get_by_text("Raise a risk or an ask").click()
    page.get_by_role("button", name="Raise it").click()
    # Nothing chosen: the messages stand by their fields and nothing is saved.
    expect(page.get_by_text("Choose whether this is a risk or an ask.").first).to_be_visible()
    with scopes_disabled():
        assert not TeamAsk.objects.exists()
    page.get_by_label("Ask", exact=True).check()
    page.get_by_label("Describe it").fill("Two hours a week of protected time for the data champion")
    page.get_by_role("button", name="Raise it").click()
    card = page.locator(".nhsuk-card", has_text="Two hours a week of protected time")
    expect(card.get_by_text("Not answered yet")).to_be_visible()
    card.get_by_role("button", name=re.compile("^Mark resolved")).click()
    expect(page.get_by_text("No open risks or asks.")).to_be_visible()
    expect(page.get_by_role("region", name="Resolved risks and asks")).to_contain_text("Two hours a week")
