"""axe-core (WCAG 2.2 A/AA) over every page a GET can reach, taken from the access matrix's URL walk.

Each page is opened by one role that may see it (the first of ROLE_ORDER it allows),
with the objects the matrix's own `kwargs` builders create, so a new page cannot
escape the audit. Downloads are not pages: each URL is first fetched with the browser's own cookies, and a
response that is an attachment (Content-Disposition) or not HTML (CSV, XLSX, PDF, zip, calendar files, JSON)
is left out, whatever its URL name; every HTML page is audited.
"""

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from conftest import totp_code
from tests.browser.test_accessibility import violations
from tests.test_access_matrix import ORG_PAGES, SITE_OBJECT_PAGES, SITE_PAGES

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROLE_ORDER = ["lead", "national", "coach", "evaluator", "member", "sponsor", "expert", "data_champion"]
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


def is_download(response) -> bool:
    """An attachment, or anything but an HTML page: a file the browser would save, not a page to audit."""
    headers = response.headers  # lower-cased names
    disposition = headers.get("content-disposition", "").lower()
    return disposition.startswith("attachment") or not headers.get("content-type", "").startswith("text/html")


def pages_to_audit(cast) -> dict[str, list[str]]:
    by_role: dict[str, list[str]] = {}
    for name, page in sorted(ORG_PAGES.items()):
        role = _role(page.allowed)
        if page.method != "get" or role is None:
            continue
        kwargs = {"org": cast.org_a.slug, **(page.kwargs(cast, cast.org_a) if page.kwargs else {})}
        by_role.setdefault(role, []).append(reverse(name, kwargs=kwargs))
    for name, (expected, allowed, *builder) in sorted(SITE_PAGES.items()):
        role = _role(allowed)
        if expected != 200 or role is None:
            continue
        by_role.setdefault(role, []).append(reverse(name, kwargs=builder[0](cast) if builder else None))
    for name, page in sorted(SITE_OBJECT_PAGES.items()):
        role = _role(page.allowed)
        if page.method != "get" or role is None:
            continue
        by_role.setdefault(role, []).append(reverse(name, kwargs=page.kwargs(cast, None) if page.kwargs else None))
    return by_role


def sign_in(page, email):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)  # the sign-in has answered
    if "/2fa/authenticate" in page.url:
        page.get_by_label("Code", exact=True).fill(totp_code())
        page.get_by_role("button", name="Sign in").click()


def test_every_page_a_get_can_reach_has_no_axe_violations(axe_page, cast):
    with scopes_disabled():
        by_role = pages_to_audit(cast)
    assert sum(len(urls) for urls in by_role.values()) > 60  # the walk found the pages, not a handful
    problems, downloads = [], []
    for role, urls in by_role.items():
        axe_page.context.clear_cookies()
        sign_in(axe_page, EMAILS[role])
        for url in urls:
            probe = axe_page.request.get(url)
            assert probe.status < 400, f"{role} {url}: {probe.status}"
            if is_download(probe):
                downloads.append(url)
                continue
            response = axe_page.goto(url)
            assert response is not None and response.status < 400, f"{role} {url}: {response and response.status}"
            axe_page.wait_for_load_state("networkidle")
            problems += [f"{role} {url}: {v}" for v in violations(axe_page)]
    # The files were recognised by their responses (the PDF report, the CSV and XLSX exports): no list of names.
    for expected in ("/report.pdf", "/interventions.csv", "/interventions.xlsx", "/evaluation/export.csv"):
        assert any(url.endswith(expected) for url in downloads), (expected, downloads)
    assert problems == [], "\n".join(problems)
