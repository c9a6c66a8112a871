"""axe-core (WCAG 2.2 A/AA) over every page a GET can reach, taken from the access matrix's URL walk.

Each page is opened by one role that may see it (the first of ROLE_ORDER it allows),
with the objects the matrix's own `kwargs` builders create, so a new page cannot
escape the audit. Downloads (CSV, calendar files, attachments) are not pages.
"""

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from conftest import totp_code
from tests.browser.test_accessibility import violations
from tests.test_access_matrix import ORG_PAGES, SITE_OBJECT_PAGES, SITE_PAGES

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROLE_ORDER = ["lead", "national", "coach", "evaluator", "member", "sponsor", "expert", "data_champion"]
NOT_PAGES = ("export", "download", "_csv", "template", "calendar", "feed", "ics", "unsubscribe", "healthz", "home")
EMAILS = {
    "lead": "lead@a.example",
    "member": "member@a.example",
    "data_champion": "data_champion@a.example",
    "sponsor": "sponsor@a.example",
    "national": "national@programme.example",
    "coach": "coach@programme.example",
    "expert": "expert@programme.example",
    "evaluator": "evaluator@programme.example",
}


def _role(allowed) -> str | None:
    return next((r for r in ROLE_ORDER if r in allowed), None)


def _is_page(name: str) -> bool:
    return not any(part in name for part in NOT_PAGES)


def pages_to_audit(cast) -> dict[str, list[str]]:
    by_role: dict[str, list[str]] = {}
    for name, page in sorted(ORG_PAGES.items()):
        role = _role(page.allowed)
        if page.method != "get" or role is None or not _is_page(name):
            continue
        kwargs = {"org": cast.org_a.slug, **(page.kwargs(cast, cast.org_a) if page.kwargs else {})}
        by_role.setdefault(role, []).append(reverse(name, kwargs=kwargs))
    for name, (expected, allowed, *builder) in sorted(SITE_PAGES.items()):
        role = _role(allowed)
        if expected != 200 or role is None or not _is_page(name):
            continue
        by_role.setdefault(role, []).append(reverse(name, kwargs=builder[0](cast) if builder else None))
    for name, page in sorted(SITE_OBJECT_PAGES.items()):
        role = _role(page.allowed)
        if page.method != "get" or role is None or not _is_page(name):
            continue
        by_role.setdefault(role, []).append(reverse(name, kwargs=page.kwargs(cast, None) if page.kwargs else None))
    return by_role


def sign_in(page, email):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Sign in").click()
    if "/2fa/authenticate" in page.url:
        page.get_by_label("Code", exact=True).fill(totp_code())
        page.get_by_role("button", name="Sign in").click()


def test_every_page_a_get_can_reach_has_no_axe_violations(axe_page, cast):
    with scopes_disabled():
        by_role = pages_to_audit(cast)
    assert sum(len(urls) for urls in by_role.values()) > 60  # the walk found the pages, not a handful
    problems = []
    for role, urls in by_role.items():
        axe_page.context.clear_cookies()
        sign_in(axe_page, EMAILS[role])
        for url in urls:
            response = axe_page.goto(url)
            assert response is not None and response.status < 400, f"{role} {url}: {response and response.status}"
            axe_page.wait_for_load_state("networkidle")
            problems += [f"{role} {url}: {v}" for v in violations(axe_page)]
    assert problems == [], "\n".join(problems)
