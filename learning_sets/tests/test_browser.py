"""Chromium journeys: the national team schedules a year and publishes it, a lead registers and downloads the
calendar file, the national team records attendance, the lead gives feedback. And axe on the main pages."""

from datetime import timedelta
from pathlib import Path

import icalendar
import pytest
from django.core import mail
from django.utils import timezone
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from conftest import totp_code
from learning_sets.models import CaseStudy, Feedback, LearningSet, Registration

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def second_browser(_playwright, live_server):
    """Another person at another computer: their own browser context, signed in separately."""
    context = _playwright.new_context(base_url=live_server.url, locale="en-GB")
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and "status of 4" not in m.text else None)
    page.console_errors = errors
    yield page
    context.close()


def sign_in(page, email, password="correct-horse-battery"):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)  # the sign-in has answered
    if "/2fa/authenticate" in page.url:
        page.get_by_label("Code", exact=True).fill(totp_code())
        page.get_by_role("button", name="Sign in").click()


def test_a_year_scheduled_registered_for_attended_and_reviewed(page, second_browser, cast, tmp_path):
    national, lead = page, second_browser
    year = timezone.localdate().year + 1

    # The national team schedules next year's four learning sets and publishes them in one step.
    sign_in(national, "national@programme.example")
    national.get_by_role("navigation", name="Menu").get_by_role("link", name="Learning sets").click()
    national.get_by_role("link", name="Schedule a year of learning sets").click()
    national.get_by_label("Year", exact=True).select_option(str(year))
    national.get_by_label("Thursday").check()
    national.get_by_role("button", name="Propose dates").click()
    for n in range(1, 5):
        national.get_by_label(f"Joining link of learning set {n}").fill(f"https://meet.example/amhe-{n}")
    national.get_by_label("Title of learning set 1").fill(f"Winter learning set {year}")
    national.get_by_role("button", name="Publish all four").click()
    expect(national.get_by_text(f"The 4 learning sets of {year} are published")).to_be_visible()
    sets = list(LearningSet.objects.order_by("starts_at"))
    assert [s.status for s in sets] == ["published"] * 4
    assert all(s.local_start.weekday() == 3 and s.local_start.hour == 10 for s in sets)
    first = sets[0]

    # A lead registers and downloads the calendar file.
    sign_in(lead, "lead@a.example")
    lead.get_by_role("navigation", name="Menu").get_by_role("link", name="Learning sets").click()
    lead.get_by_role("link", name=f"Winter learning set {year}").click()
    lead.get_by_label("Access or dietary needs (optional)").fill("Vegetarian lunch")
    lead.get_by_role("button", name="Register").click()
    expect(lead.get_by_text("You have a place at")).to_be_visible()
    with lead.expect_download() as download:
        lead.get_by_role("link", name="Add to your calendar (.ics file)").click()
    saved = tmp_path / "set.ics"
    download.value.save_as(saved)
    cal = icalendar.Calendar.from_ical(Path(saved).read_bytes())
    event = cal.walk("VEVENT")[0]
    assert event["UID"] == first.uid and str(event.decoded("DTSTART").tzinfo) == "Europe/London"
    invitation = [m for m in mail.outbox if m.to == ["lead@a.example"]]
    assert len(invitation) == 1 and "text/calendar" in invitation[0].message().as_string()

    # The day comes and goes.
    LearningSet.objects.filter(pk=first.pk).update(
        starts_at=timezone.now() - timedelta(hours=6), ends_at=timezone.now() - timedelta(hours=1)
    )

    # The national team records attendance.
    national.goto(f"/learning-sets/{first.pk}/")
    national.get_by_role("link", name="Record attendance").click()
    national.get_by_label("lead@a.example, Alpha Trust").check()
    national.get_by_role("button", name="Save attendance").click()
    expect(national.get_by_text("Attendance saved: 1 of 1 came.")).to_be_visible()
    assert Registration.objects.get(learning_set=first, user=cast.lead).attended is True

    # The lead gives feedback, once.
    lead.goto("/learning-sets/")
    lead.get_by_role("link", name=f"Give feedback on Winter learning set {year}").click()
    lead.get_by_label("4", exact=True).check()
    lead.get_by_label("What helped?").fill("Hearing how other teams ran their cycles")
    lead.get_by_label("What should we change for the next one?").fill("Longer breakouts")
    lead.get_by_role("button", name="Send feedback").click()
    expect(lead.get_by_text("Thank you: your feedback helps")).to_be_visible()
    expect(lead.get_by_text("Feedback given: thank you.")).to_be_visible()
    assert list(Feedback.objects.values_list("usefulness", "helped")) == [
        (4, "Hearing how other teams ran their cycles")
    ]
    lead.goto(f"/learning-sets/{first.pk}/feedback/")
    expect(lead.get_by_text("You have already given feedback")).to_be_visible()

    # The national team sees the result.
    national.goto("/learning-sets/feedback/")
    expect(national.get_by_role("table", name="Each learning set, newest first")).to_contain_text("4.0")
    assert national.console_errors == [] and lead.console_errors == []


def test_a_full_set_puts_the_lead_on_the_waiting_list_and_a_cancellation_gives_them_the_place(
    page, cast, browser_login
):
    from . import factories

    ls = factories.learning_set(cast.collaborative, capacity=1, title="Full learning set")
    factories.registration(ls, cast.member, organisation=cast.org_a)
    browser_login("lead@a.example")
    page.goto(f"/learning-sets/{ls.pk}/")
    expect(page.get_by_text("All 1 places are taken")).to_be_visible()
    page.get_by_role("button", name="Join the waiting list").click()
    expect(page.get_by_text("You are number 1 on the waiting list")).to_be_visible()
    ls.withdraw(cast.member)
    page.reload()
    expect(page.get_by_text("You have a place", exact=True)).to_be_visible()
    page.get_by_role("button", name="Cancel my place").click()
    expect(page.get_by_text("You are no longer registered")).to_be_visible()
    assert page.console_errors == []


# --- axe-core on the main pages, with the demo data --------------------------------------------

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture
def axe_page(_playwright, live_server):
    context = _playwright.new_context(base_url=live_server.url, bypass_csp=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def test_learning_set_pages_have_no_axe_violations(axe_page):
    from collaborative import demo
    from learning_sets import demo as learning_sets_demo
    from tests.browser.test_accessibility import violations

    learning_sets_demo.seed(demo.seed()["collaborative"])
    past, upcoming = LearningSet.objects.order_by("starts_at")[0], LearningSet.objects.order_by("-starts_at")[0]
    with scopes_disabled():
        case_study = CaseStudy.objects.get(organisation__slug="northshire")
    pages = {
        "lead1@demo.example": [
            "/learning-sets/",
            f"/learning-sets/{upcoming.pk}/",
            f"/learning-sets/{past.pk}/",
            "/learning-sets/newsletters/",
            "/learning-sets/case-studies/",
            "/learning-sets/resources/",
            "/orgs/northshire/case-studies/",
            "/orgs/northshire/case-studies/new/",
            f"/orgs/northshire/case-studies/{case_study.pk}/",
            f"/learning-sets/case-studies/{case_study.pk}/",
        ],
        "national@demo.example": [
            f"/learning-sets/schedule/?year={timezone.localdate().year + 1}&weekday=2",
            f"/learning-sets/{upcoming.pk}/registrations/",
            f"/learning-sets/{past.pk}/attendance/",
            "/learning-sets/feedback/",
            "/learning-sets/newsletters/new/",
            "/learning-sets/case-studies/review/",
            "/learning-sets/resources/new/",
        ],
    }
    found = {}
    for email, urls in pages.items():
        axe_page.context.clear_cookies()
        sign_in(axe_page, email, "amhe-demo-2026")
        for url in urls:
            assert axe_page.goto(url).status == 200, url
            axe_page.wait_for_load_state("networkidle")
            found[f"{email} {url}"] = violations(axe_page)
    problems = [f"{page}: {v}" for page, here in found.items() for v in here]
    assert problems == [], "\n".join(problems)
