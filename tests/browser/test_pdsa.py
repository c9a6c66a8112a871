from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from conftest import fill_date
from qi_projects.pdsa.models import PdsaCycle, PdsaDraft
from qi_projects.pdsa.tests import factories as pdsa_factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def iso(days: int) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def sign_out(page):
    page.get_by_role("button", name="Sign out").click()
    if page.get_by_role("button", name="Sign out").count():  # allauth's confirmation page
        page.get_by_role("button", name="Sign out").click()


def test_lead_logs_a_cycle_studies_it_adapts_and_starts_the_next_while_a_coach_comments(page, cast, browser_login):
    pdsa_factories.change_idea(cast.org_a, text="Evening clinics")

    # Quick log from the workspace: only the change idea, objective, prediction and dates.
    browser_login("lead@a.example")
    page.get_by_role("link", name="Log a PDSA cycle").click()
    page.get_by_label("Change idea being tested").select_option(label="Evening clinics")
    page.get_by_label("Objective").fill("Offer two evening clinics in one week")
    page.get_by_label("Prediction: what do you expect to happen?").fill("Half the slots go to working people")
    fill_date(page, "Planned start", iso(-14))
    fill_date(page, "Planned end", iso(-7))
    page.get_by_role("button", name="Log the cycle").click()
    expect(page.get_by_text("Cycle 1 of “Evening clinics” logged")).to_be_visible()
    cycle_url = page.url

    # A later visit: Do.
    page.goto("/")
    page.get_by_role("link", name="Change ideas and PDSA cycles").click()
    page.get_by_role("link", name="1: Offer two evening clinics in one week").click()
    page.get_by_role("link", name="Record Do").click()
    fill_date(page, "Actual start", iso(-14))
    fill_date(page, "Actual end", iso(-8))
    page.get_by_label("What happened").fill("9 of 12 slots taken, 4 by people in work")
    page.get_by_role("button", name="Save Do").click()
    expect(page.get_by_text("Do recorded. The prediction is now frozen.")).to_be_visible()

    # The coach reads the cycle and comments.
    sign_out(page)
    browser_login("coach@programme.example")
    page.goto(cycle_url)
    page.get_by_role("textbox", name="Comment").fill("Did anyone ask the people who did not book why not?")
    page.get_by_role("button", name="Post comment").click()
    expect(page.get_by_text("Comment added.")).to_be_visible()
    sign_out(page)

    # Another visit by the lead: unread feedback on the workspace, then Study and Act.
    browser_login("lead@a.example")
    page.get_by_role("link", name="1 unread feedback").click()
    expect(page.get_by_text("Did anyone ask the people who did not book why not?")).to_be_visible()
    page.get_by_role("link", name="cycle 1: Offer two evening clinics in one week").click()
    page.get_by_role("link", name="Record Study").click()
    expect(page.get_by_role("heading", name="Study: results compared with the prediction")).to_be_visible()
    page.get_by_label("Results compared with the prediction").fill("75% taken against 50% predicted")
    page.get_by_label("What we learned").fill("Evenings suit working people; booking by phone was slow")
    page.get_by_role("button", name="Save Study").click()
    page.get_by_role("link", name="Decide: adopt, adapt or abandon").click()
    page.get_by_label("Adapt").check()
    page.get_by_label("Next step").fill("Add online booking for the evening slots")
    page.get_by_role("button", name="Complete the cycle").click()
    expect(page.get_by_text("Cycle completed: adapt.")).to_be_visible()

    # Adapt offers the next cycle of the ramp, prefilled.
    page.get_by_role("link", name="Start the next cycle, prefilled from this one").click()
    expect(page.get_by_label("Objective")).to_have_value("Add online booking for the evening slots")
    expect(page.get_by_label("Change idea being tested")).to_have_value(str(_idea_pk()))
    page.get_by_label("Prediction: what do you expect to happen?").fill("Online booking fills 8 of 12 slots")
    fill_date(page, "Planned start", iso(1))
    fill_date(page, "Planned end", iso(14))
    page.get_by_role("button", name="Log the cycle").click()
    expect(page.get_by_text("Cycle 2 of “Evening clinics” logged")).to_be_visible()
    expect(page.get_by_role("link", name="cycle 1")).to_be_visible()

    # The change idea's page tells the whole story.
    page.get_by_role("link", name="Evening clinics").first.click()
    ramp = page.locator("#ramp + ol")
    expect(ramp).to_contain_text("Half the slots go to working people")
    expect(ramp).to_contain_text("9 of 12 slots taken")
    expect(ramp).to_contain_text("Add online booking for the evening slots")
    with scopes_disabled():
        assert list(PdsaCycle.objects.values_list("number", "status")) == [(1, "completed"), (2, "planned")]
    assert page.console_errors == []


def _idea_pk():
    with scopes_disabled():
        return PdsaCycle.objects.get(number=1).change_idea_id


def test_a_draft_survives_a_page_reload(page, cast, browser_login):
    pdsa_factories.change_idea(cast.org_a, text="Evening clinics")
    browser_login("lead@a.example")
    page.get_by_role("link", name="Log a PDSA cycle").click()
    page.get_by_label("Change idea being tested").select_option(label="Evening clinics")
    page.get_by_label("Objective").fill("Text reminders the evening before")
    page.get_by_label("Prediction: what do you expect to happen?").fill("Missed first appointments halve")
    expect(page.get_by_role("status").filter(has_text="Draft saved")).to_be_visible()
    page.reload()
    expect(page.get_by_label("Objective")).to_have_value("Text reminders the evening before")
    expect(page.get_by_label("Prediction: what do you expect to happen?")).to_have_value(
        "Missed first appointments halve"
    )
    expect(page.get_by_text("has been restored")).to_be_visible()
    fill_date(page, "Planned start", iso(1))
    fill_date(page, "Planned end", iso(8))
    page.get_by_role("button", name="Log the cycle").click()
    expect(page.get_by_text("Cycle 1 of “Evening clinics” logged")).to_be_visible()
    with scopes_disabled():
        assert PdsaDraft.objects.count() == 0
    assert page.console_errors == []


def test_what_was_typed_offline_is_kept_on_the_device_and_saved_when_back_online(page, cast, browser_login):
    pdsa_factories.change_idea(cast.org_a, text="Evening clinics")
    browser_login("lead@a.example")
    page.get_by_role("link", name="Log a PDSA cycle").click()
    page.context.set_offline(True)
    page.get_by_label("Objective").fill("Typed on the train")
    expect(page.get_by_role("status").filter(has_text="no connection")).to_be_visible(timeout=15_000)
    page.context.set_offline(False)
    expect(page.get_by_role("status").filter(has_text="Draft saved")).to_be_visible()
    with scopes_disabled():
        assert PdsaDraft.objects.get().data["objective"] == ["Typed on the train"]


def test_an_over_long_comment_gets_its_message_next_to_the_box_and_keeps_the_text(page, cast, browser_login):
    from organisations.text import COMMENT
    from qi_projects.pdsa.models import Comment

    cycle = pdsa_factories.cycle(cast.org_a)
    browser_login("coach@programme.example")
    page.goto(f"/orgs/alpha/pdsa/{cycle.pk}/")
    box = page.get_by_role("textbox", name="Comment")
    box.fill("Have you asked carers? " + "x" * COMMENT)
    page.get_by_role("button", name="Post comment").click()
    expect(page.get_by_text(f"Ensure this value has at most {COMMENT} characters")).to_be_visible()
    expect(page.get_by_role("textbox", name="Comment")).to_have_value("Have you asked carers? " + "x" * COMMENT)
    with scopes_disabled():
        assert not Comment.objects.exists()
