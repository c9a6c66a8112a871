import re

import pytest
from django.core import mail
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_national_team_invites_a_lead_who_signs_up_and_lands_in_their_workspace(page, cast, browser_login):
    browser_login("national@programme.example")
    expect(page.get_by_role("heading", name="Programme board")).to_be_visible()
    page.get_by_role("link", name="Invite people").click()
    page.get_by_label("Email address").fill("newlead@beta.example")
    page.get_by_label("Role").select_option(label="Project lead")
    page.get_by_label("Organisation").select_option(label="Beta Trust")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("Invitation sent to newlead@beta.example")).to_be_visible()

    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/invitations/\S+/", mail.outbox[0].body).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]
    page.get_by_role("button", name="Sign out").click()

    page.goto("/" + path)
    expect(page.get_by_label("Email")).to_have_value("newlead@beta.example")
    page.get_by_label("Password", exact=True).fill("a-long-enough-password-2026")
    page.get_by_label("Password (again)").fill("a-long-enough-password-2026")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="Beta Trust")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    page.goto("/" + path)
    expect(page.get_by_role("heading", name="This invitation cannot be used")).to_be_visible()
    expect(page.get_by_text("already been used")).to_be_visible()
