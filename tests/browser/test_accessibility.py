"""axe-core finds no WCAG 2.2 A/AA violations on the main pages, with the demo data."""

from pathlib import Path

import pytest
from django.urls import reverse

from conftest import totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

PAGES = {
    "lead1@demo.example": [
        "/orgs/northshire/",
        "/orgs/northshire/team/",
        "/orgs/northshire/programme/",
        "/orgs/northshire/meetings/",
        "/orgs/northshire/fees/",
        "/orgs/northshire/data/",
        "/orgs/northshire/data/import/",
        "/orgs/northshire/design/",
    ],
    "national@demo.example": ["/programme/", "/programme/audit/", "/programme/enrol/", "/evaluation/"],
    "coach1@demo.example": ["/coaching/", "/orgs/northshire/coaching/"],
}


def sign_in(page, email):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("amhe-demo-2026")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)  # the sign-in has answered
    if "/2fa/authenticate" in page.url:
        page.get_by_label("Code", exact=True).fill(totp_code())
        page.get_by_role("button", name="Sign in").click()


def violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS)
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])}× e.g. {v['nodes'][0]['target']})" for v in result["violations"]]


def test_main_pages_have_no_axe_violations(axe_page, transactional_db):
    from collaborative import demo
    from measures.models import Measure

    demo.seed()
    from django_scopes import scopes_disabled

    with scopes_disabled():
        measure = Measure.objects.filter(organisation__slug="northshire", dimension="ethnicity").first()
    from qi_projects.models import ChangeTheoryElement, ImprovementProject
    from qi_projects.pdsa.models import PdsaCycle

    with scopes_disabled():
        project = ImprovementProject.objects.filter(organisation__slug="northshire").first()
        cycle = PdsaCycle.objects.filter(organisation__slug="northshire").order_by("-number").first()
        idea = ChangeTheoryElement.objects.filter(organisation__slug="northshire", kind="change_idea").first()
    PAGES["lead1@demo.example"] += [
        f"/orgs/northshire/data/measures/{measure.pk}/",
        f"/orgs/northshire/data/measures/{measure.pk}/enter/",
        f"/orgs/northshire/design/projects/{project.pk}/",
        f"/orgs/northshire/design/projects/{project.pk}/change-theory/",
        f"/orgs/northshire/design/projects/{project.pk}/change-theory/edit/",
        "/orgs/northshire/design/coproduction/",
        "/orgs/northshire/pdsa/",
        "/orgs/northshire/pdsa/new/",
        f"/orgs/northshire/pdsa/{cycle.pk}/",
    ]
    PAGES["coach1@demo.example"] += [reverse("pdsa:change_idea_detail", kwargs={"org": "northshire", "pk": idea.pk})]
    found = {}
    axe_page.goto("/accounts/login/")
    found["/accounts/login/"] = violations(axe_page)
    for email, urls in PAGES.items():
        axe_page.context.clear_cookies()
        sign_in(axe_page, email)
        for url in urls:
            axe_page.goto(url)
            axe_page.wait_for_load_state("networkidle")
            found[f"{email} {url}"] = violations(axe_page)
    problems = [f"{page}: {v}" for page, found_here in found.items() for v in found_here]
    assert problems == [], "\n".join(problems)


def test_the_audit_itself_catches_a_violation(axe_page):
    axe_page.set_content('<html lang="en"><body><main><img src="x.png"><input type="text"></main></body></html>')
    found = " ".join(violations(axe_page))
    assert "image-alt" in found and "label" in found
