"""In Chromium: a lead turns one kind of email off; a coach opens the weekly digest and follows its links."""

import re
from datetime import UTC, date, datetime

import pytest
from django.core import mail
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from collaborative.models import Enrolment, TeamMeeting
from collaborative.reminders import run
from measures.tests.factories import make_measure
from organisations.clock import LONDON
from tests.browser.test_accessibility import sign_in, violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def uk(year, month, day, hour=8, minute=5):
    return datetime(year, month, day, hour, minute, tzinfo=LONDON).astimezone(UTC)


def test_a_lead_turns_off_data_reminders_by_email_and_still_sees_them_in_the_app(page, cast, browser_login):
    with scopes_disabled():
        Enrolment.objects.filter(organisation=cast.org_a).update(start_date=date(2025, 1, 6))
    make_measure(cast.org_a, "EIP", created_at=datetime(2025, 1, 1, tzinfo=UTC))
    browser_login("lead@a.example")
    page.get_by_role("link", name="Notifications").click()
    page.get_by_role("link", name="Choose which come by email").click()
    expect(page.get_by_role("heading", name="Email choices")).to_be_visible()
    data = page.get_by_label("Data due and late")
    expect(data).to_be_checked()
    expect(page.get_by_label("Mentions")).to_be_checked()
    data.uncheck()
    page.get_by_role("button", name="Save email choices").click()
    expect(page.get_by_text("Your email choices are saved. They apply from the next reminder.")).to_be_visible()
    expect(page.get_by_label("Data due and late")).not_to_be_checked()
    expect(page.get_by_label("Mentions")).to_be_checked()

    # The next data reminder (5 days before 15 December): the data champion by email, the lead in-app only.
    report = run(uk(2026, 12, 10), inline=True)
    assert sorted((r.recipient.email, r.emailed) for r in report.sent) == [
        ("data_champion@a.example", True),
        ("lead@a.example", False),
    ]
    assert [m.to for m in mail.outbox] == [["data_champion@a.example"]]
    page.reload()
    page.get_by_role("link", name=re.compile(r"^Notifications \(1 new\)")).click()
    page.get_by_role("link", name="Data due in 5 days: 1 measure").click()
    expect(page.get_by_role("heading", name="Measures and data")).to_be_visible()
    expect(page.get_by_role("cell", name=re.compile("Nov 2026 Due"))).to_be_visible()


def test_a_coach_reads_the_weekly_digest_and_follows_its_links(page, cast, browser_login, live_server, settings):
    settings.SITE_URL = live_server.url  # the email's links point at this server
    with scopes_disabled():
        TeamMeeting.objects.create(
            organisation=cast.org_a, date=date(2026, 11, 25), attendees="Team", created_by=cast.lead
        )
    run(uk(2026, 11, 30), inline=True)  # Monday 08:05 UK time
    [digest] = [m for m in mail.outbox if m.to == [cast.coach.email]]
    assert digest.subject == "Weekly digest: 1 organisation, 1 flagged, week of 23 November 2026"
    html = digest.alternatives[0].content

    browser_login("coach@programme.example")
    expect(page.get_by_role("heading", name="My organisations")).to_be_visible()
    page.set_content(html)  # the email, as a mail program shows it
    expect(page.get_by_role("heading", name=digest.subject)).to_be_visible()
    expect(page.get_by_text("This week: 1 team meeting held")).to_be_visible()
    page.get_by_role("link", name="Alpha Trust").click()
    expect(page.get_by_role("heading", name="Alpha Trust")).to_be_visible()

    page.set_content(html)
    page.get_by_role("link", name="Open it in the collaborative").click()
    expect(page.get_by_role("heading", name="My organisations")).to_be_visible()

    page.set_content(html)
    page.get_by_role("link", name="Choose what comes by email").click()
    expect(page.get_by_role("heading", name="Email choices")).to_be_visible()
    expect(page.get_by_label("Weekly digest")).to_be_checked()

    # Unsubscribing from the digest needs no sign-in: the link in the email is enough.
    page.get_by_role("button", name="Sign out").click()
    page.set_content(html)
    page.get_by_role("link", name="Stop these emails").click()
    page.get_by_role("button", name="Stop these emails").click()
    expect(page.get_by_role("heading", name="Emails stopped")).to_be_visible()
    expect(page.get_by_text("coach@programme.example will no longer get “Weekly digest” by email")).to_be_visible()


@pytest.fixture
def axe_page(_playwright, live_server):
    # As in test_accessibility: axe is injected as a script, which the site's CSP forbids, so bypass it here.
    context = _playwright.new_context(base_url=live_server.url, bypass_csp=True)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_the_reminder_pages_have_no_axe_violations(axe_page, transactional_db):
    from collaborative import demo
    from organisations.models import Delivery

    demo.seed()
    run(datetime.now(UTC), inline=True)
    Delivery.objects.filter(pk=Delivery.objects.order_by("pk").values("pk")[:1]).update(
        status="failed", last_error="SMTPServerDisconnected: Connection unexpectedly closed"
    )
    found = {}
    for email, urls in {
        "lead1@demo.example": ["/notifications/", "/notifications/email/", "/orgs/northshire/data/"],
        "national@demo.example": ["/programme/deliveries/", "/programme/deliveries/?status=failed"],
        "coach1@demo.example": ["/notifications/email/"],
    }.items():
        axe_page.context.clear_cookies()
        sign_in(axe_page, email)
        for url in urls:
            axe_page.goto(url)
            found[f"{email} {url}"] = violations(axe_page)
    problems = [f"{page}: {v}" for page, found_here in found.items() for v in found_here]
    assert problems == [], "\n".join(problems)
