"""Local design in a real browser: a project lead adapts the programme change theory,
defines a measure broken down by ethnicity and records a coproduction session; a
coach sees the result read-only, with a comment box."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from conftest import fill_date
from measures.models import Measure
from qi_projects.models import ChangeTheory, CoproductionEntry
from qi_projects.pdsa.models import Comment
from qi_projects.tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def project(cast):
    factories.programme_theory(cast.collaborative, by=cast.national)
    return factories.project(cast.org_a, title="Fair access to early intervention")


def open_project(page, project):
    page.goto(f"/orgs/alpha/design/projects/{project.pk}/")
    expect(page.get_by_role("heading", name="Fair access to early intervention")).to_be_visible()


def test_lead_adapts_the_programme_change_theory(page, browser_login, cast, project):
    browser_login("lead@a.example")
    page.goto("/orgs/alpha/")
    page.get_by_role("link", name="Open local design").click()
    page.get_by_role("link", name="Fair access to early intervention").click()
    page.get_by_role("button", name="Start from the programme change theory").click()
    expect(page.get_by_role("heading", name="Change theory: Fair access to early intervention")).to_be_visible()

    editor = page.get_by_role("region", name="Driver diagram editor")
    # a local change idea, added in place (htmx)
    page.get_by_label("New change idea under “Flexible appointments”").fill("Peer support worker at first contact")
    page.get_by_role("button", name="Add change idea under “Flexible appointments”").click()
    expect(editor.get_by_role("status")).to_contain_text("Added change idea “Peer support worker at first contact”")
    expect(editor.get_by_role("button", name="Remove “Peer support worker at first contact”")).to_be_visible()

    # a programme change idea removed
    page.get_by_role("button", name="Remove “Text reminders in first languages”").click()
    expect(editor.get_by_role("status")).to_contain_text("Removed change idea")
    expect(editor.get_by_role("button", name="Remove “Text reminders in first languages”")).to_have_count(0)

    # removing a driver that still has change ideas is refused, and nothing changes
    page.get_by_role("button", name="Remove “Community partnerships”").click()
    expect(editor.get_by_role("alert")).to_contain_text("still has 1 change idea")
    expect(editor.get_by_role("button", name="Remove “Clinics in community venues”")).to_be_visible()

    # editing a copied element marks it adapted
    page.get_by_role("link", name="Edit “Evening clinics”").click()
    page.get_by_label("Change idea", exact=True).fill("Evening clinics at the community centre")
    page.get_by_role("button", name="Save “Evening clinics”").click()
    expect(editor.get_by_role("status")).to_contain_text("Changed change idea")

    page.get_by_role("link", name="See the diagram").first.click()
    expect(page.get_by_role("heading", name="Change theory", exact=True)).to_be_visible()
    idea = page.get_by_role("listitem").filter(has_text="Peer support worker at first contact")
    expect(idea.get_by_text("New locally")).to_be_visible()
    expect(
        page.get_by_role("listitem").filter(has_text="Evening clinics at the community centre").get_by_text("Adapted")
    ).to_be_visible()
    # the refused removal answered 422 on purpose; nothing else went wrong
    assert [e for e in page.console_errors if "status of 422" not in e] == []

    with scopes_disabled():
        theory = ChangeTheory.objects.get()
        added = theory.elements.get(text="Peer support worker at first contact")
        dropped = theory.elements.get(text="Text reminders in first languages")
    assert added.source is None
    assert dropped.removed_at is not None and dropped.source is not None
    assert theory.version == 4


def test_the_editor_works_without_javascript(page, live_server, cast, project):
    factories.change_theory(cast.org_a, cast.collaborative, by=cast.lead, project_=project)
    context = page.context.browser.new_context(base_url=live_server.url, java_script_enabled=False)
    nojs = context.new_page()
    nojs.goto("/accounts/login/")
    nojs.get_by_label("Email").fill("lead@a.example")
    nojs.get_by_label("Password").fill("correct-horse-battery")
    nojs.get_by_role("button", name="Sign in").click()
    nojs.goto(f"/orgs/alpha/design/projects/{project.pk}/change-theory/edit/")
    nojs.get_by_label("New primary driver").fill("A workforce that reflects the community")
    nojs.get_by_role("button", name="Add primary driver").click()
    expect(nojs.get_by_text("Added primary driver “A workforce that reflects the community”")).to_be_visible()
    nojs.get_by_role("button", name="Down (move “Services that are easy to reach” down)").click()
    expect(nojs.get_by_text("Moved “Services that are easy to reach” down")).to_be_visible()
    context.close()


def test_a_second_editor_is_told_the_diagram_changed(page, browser_login, cast, project):
    theory = factories.change_theory(cast.org_a, cast.collaborative, by=cast.lead, project_=project)
    browser_login("lead@a.example")
    page.goto(f"/orgs/alpha/design/projects/{project.pk}/change-theory/edit/")
    # meanwhile a colleague saves a change
    with scopes_disabled():
        theory.set_aim("A colleague's aim", by=cast.member, based_on=1)
    page.get_by_label("New primary driver").fill("My new driver")
    page.get_by_role("button", name="Add primary driver").click()
    expect(page.get_by_role("alert")).to_contain_text("Someone else changed this driver diagram")
    expect(page.get_by_label("New primary driver")).to_have_value("My new driver")
    with scopes_disabled():
        assert not theory.elements.filter(text="My new driver").exists()


def test_lead_defines_a_measure_broken_down_by_ethnicity(page, browser_login, cast, project):
    browser_login("lead@a.example")
    open_project(page, project)
    page.get_by_role("link", name="Add a measure").click()
    page.get_by_label("Code").fill("OM1")
    page.get_by_label("Measure name").fill("Treatment started within 2 weeks of referral")
    page.get_by_label("Outcome").check()
    page.get_by_label("Operational definition").fill(
        "Referrals accepted in the month that started treatment within 14 days."
    )
    page.get_by_label(re.compile("^Proportion")).check()
    page.get_by_label("Numerator definition").fill("Started treatment within 14 days")
    page.get_by_label("Denominator definition").fill("Referrals accepted in the month")
    page.get_by_label("Data source").fill("MHSDS")
    page.get_by_label("Monthly").check()
    page.get_by_label("Higher is better").check()
    page.get_by_label("Broken down by").select_option(label="Ethnicity (NHS ethnic category)")
    page.get_by_label("Reference group").select_option(label="White: British")
    page.get_by_label("Baseline").fill("41")
    page.get_by_label("Target", exact=True).fill("30")
    page.get_by_role("button", name="Save measure").click()
    expect(page.get_by_text("the target (30) must be above the baseline (41)")).to_be_visible()
    with scopes_disabled():
        assert not Measure.objects.exists()

    page.get_by_label("Target", exact=True).fill("65")
    page.get_by_role("button", name="Save measure").click()
    expect(page.get_by_text("Measure OM1 “Treatment started within 2 weeks of referral” saved.")).to_be_visible()
    page.get_by_role("link", name="Treatment started within 2 weeks of referral").click()
    expect(page.get_by_text("Ethnicity (NHS ethnic category), compared with White: British")).to_be_visible()
    with scopes_disabled():
        measure = Measure.objects.get()
    assert (measure.dimension, measure.reference_category, measure.improvement) == ("ethnicity", "A", "increase")


def test_lead_records_a_coproduction_session(page, browser_login, cast, project):
    browser_login("lead@a.example")
    page.goto("/orgs/alpha/design/")
    page.get_by_role("link", name="Coproduction log").click()
    page.get_by_role("link", name="Record a coproduction session").click()
    fill_date(page, "Date", (timezone.localdate() - timedelta(days=2)).isoformat())
    page.get_by_label("Project (optional)").select_option(label="Fair access to early intervention")
    page.get_by_label("Who took part").fill("6 young people from the community centre, 2 carers")
    page.get_by_label("Design", exact=True).check()
    page.get_by_label("Co-designed").check()
    page.get_by_label("What it was about").select_option(label="The change theory")
    page.get_by_label("What changed as a result").fill("Added a peer support worker at first contact.")
    page.get_by_role("button", name="Save session").click()
    expect(page.get_by_text("Coproduction session recorded.")).to_be_visible()
    summary = page.get_by_role("table", name="Sessions by AMHE step and level of involvement")
    design_row = summary.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Design"))
    expect(design_row.get_by_role("cell")).to_have_text(["0", "0", "0", "1", "0", "1"])
    with scopes_disabled():
        assert CoproductionEntry.objects.get().step == "design"


def test_coach_sees_the_change_theory_read_only_with_a_comment_box(page, browser_login, cast, project):
    factories.change_theory(cast.org_a, cast.collaborative, by=cast.lead, project_=project)
    factories.measure(cast.org_a, project_=project)
    browser_login("coach@programme.example")
    page.goto(f"/orgs/alpha/design/projects/{project.pk}/")
    expect(page.get_by_role("link", name="Add a measure")).to_have_count(0)
    page.get_by_role("link", name="View the change theory").click()
    expect(page.locator(".app-dd").get_by_text("Evening clinics", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Edit the change theory")).to_have_count(0)
    page.get_by_role("textbox", name="Comment").fill("Have you asked carers about evening clinics?")
    page.get_by_role("button", name="Post comment").click()
    expect(page.get_by_text("Comment added.")).to_be_visible()
    expect(page.get_by_text("Have you asked carers about evening clinics?")).to_be_visible()

    page.goto(f"/orgs/alpha/design/projects/{project.pk}/")
    page.get_by_role("link", name="Seen within 2 weeks of referral").click()
    expect(page.get_by_role("link", name="Edit the measure")).to_have_count(0)
    expect(page.get_by_role("button", name="Post comment")).to_be_visible()
    with scopes_disabled():
        assert Comment.objects.get().author == cast.coach
