import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo():
    from collaborative import demo

    demo.seed()


def test_demo_lead_signs_in_and_sees_their_workspace(page, demo):
    page.goto("/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("Email").fill("lead1@demo.example")
    page.get_by_label("Password").fill("amhe-demo-2026")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Northshire Mental Health NHS Foundation Trust")).to_be_visible()
    expect(page.get_by_role("navigation", name="Menu").get_by_role("link", name="My workspace")).to_be_visible()
    assert page.console_errors == []


def test_wrong_password_gets_a_clear_message(page, demo):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill("lead1@demo.example")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("not correct")
    expect(page.get_by_label("Email")).to_have_value("lead1@demo.example")


def test_demo_coach_signs_in_with_the_authenticator_code(page, demo):
    from conftest import totp_code

    page.goto("/accounts/login/")
    page.get_by_label("Email").fill("coach1@demo.example")
    page.get_by_label("Password").fill("amhe-demo-2026")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Code", exact=True).fill(totp_code())
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="My organisations")).to_be_visible()
    expect(page.get_by_role("link", name="Eastmoor Integrated Care Board").first).to_be_visible()
    expect(page.get_by_role("link", name="Westbrook Community Mind")).to_have_count(0)
