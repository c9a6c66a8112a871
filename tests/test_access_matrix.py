"""Every URL, every role, own and other organisation: 200/302, 403 or 404 as docs/architecture.md section 3 says.

The expectations are written out by hand in each app's `tests/access.py`,
independently of organisations/access.py, so that a change to the policy that
the design does not call for fails here. A URL pattern with no expectation
fails `test_every_url_has_an_expectation`, so new pages cannot slip past.
"""

import importlib

import pytest
from django.urls import reverse

from conftest import sign_in
from tests.access import ROLES, SEES_WORKSPACE, Page
from tests.urlwalk import own_patterns

APPS = ["collaborative", "organisations", "qi_projects", "qi_projects.pdsa", "measures", "learning_sets", "evaluation"]

ORG_PAGES: dict[str, Page] = {}
SITE_PAGES: dict[str, tuple] = {
    "home": ("redirect", set(ROLES)),
    "no_role": (200, set(ROLES)),
    "healthz": (200, set(ROLES)),
}
TOKEN_PAGES: set[str] = set()
# Programme pages whose URL names an object or that take a POST: URL name -> Page (organisation is None).
SITE_OBJECT_PAGES: dict[str, Page] = {}
for app in APPS:
    try:
        module = importlib.import_module(f"{app}.tests.access")
    except ModuleNotFoundError:
        continue
    ORG_PAGES.update(getattr(module, "ORG_PAGES", {}))
    SITE_PAGES.update(getattr(module, "SITE_PAGES", {}))
    TOKEN_PAGES.update(getattr(module, "TOKEN_PAGES", set()))
    SITE_OBJECT_PAGES.update(getattr(module, "SITE_OBJECT_PAGES", {}))


def expected_org(page: Page, role: str, org: str) -> set[int]:
    # A permitted POST may still be refused for its content (422): what matters here is that it is not 403/404.
    ok = {200, 302, 422} if page.method == "post" else {200}
    allowed = page.allowed
    if org == "b":
        if role == "national":
            return ok if "national" in allowed else {403}
        if role == "other_lead":  # organisation B is their own
            return ok if "lead" in allowed else {403}
        return {404}
    if role in allowed:
        return ok
    if role in SEES_WORKSPACE:
        return {403}
    return {404}


def test_every_url_has_an_expectation():
    names = {name for name, _, _ in own_patterns()}
    covered = set(ORG_PAGES) | set(SITE_PAGES) | TOKEN_PAGES | set(SITE_OBJECT_PAGES)
    assert names - covered == set(), "add these URLs to the access matrix"
    assert covered - names == set(), "the matrix names URLs that no longer exist"


@pytest.mark.parametrize("org", ["a", "b"])
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(ORG_PAGES))
def test_organisation_pages(client, cast, name, role, org):
    page = ORG_PAGES[name]
    organisation = cast.org_a if org == "a" else cast.org_b
    kwargs = {"org": organisation.slug}
    if page.kwargs:
        kwargs.update(page.kwargs(cast, organisation))
    sign_in(client, getattr(cast, role))
    url = reverse(name, kwargs=kwargs)
    if page.method == "post":
        response = client.post(url, page.data(cast, organisation) if page.data else {})
    else:
        response = client.get(url)
    assert response.status_code in expected_org(page, role, org), (
        f"{role} {page.method.upper()} {url}: {response.status_code}"
    )


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(SITE_PAGES))
def test_programme_pages(client, cast, name, role):
    sign_in(client, getattr(cast, role))
    expected, allowed, *kwargs = SITE_PAGES[name]  # an optional third item builds the URL's arguments
    response = client.get(reverse(name, kwargs=kwargs[0](cast) if kwargs else None))
    if role not in allowed:
        assert response.status_code == 403
    elif expected == "redirect":
        assert response.status_code == 302
    else:
        assert response.status_code == expected


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(SITE_OBJECT_PAGES))
def test_programme_object_pages(client, cast, name, role):
    page = SITE_OBJECT_PAGES[name]
    url = reverse(name, kwargs=page.kwargs(cast, None) if page.kwargs else None)
    sign_in(client, getattr(cast, role))
    if page.method == "post":
        response = client.post(url, page.data(cast, None) if page.data else {})
    else:
        response = client.get(url)
    ok = {200, 302, 422} if page.method == "post" else {200}
    expected = ok if role in page.allowed else {403}
    assert response.status_code in expected, f"{role} {page.method.upper()} {url}: {response.status_code}"


@pytest.mark.parametrize("role", ROLES)
def test_invitation_link_with_a_forged_token_is_refused_for_everyone(client, cast, role):
    sign_in(client, getattr(cast, role))
    response = client.get(reverse("organisations:invitation_accept", args=["forged-token"]))
    assert response.status_code == 400


@pytest.mark.parametrize("role", ROLES)
def test_unsubscribe_link_with_a_forged_token_is_refused_for_everyone(client, cast, role):
    sign_in(client, getattr(cast, role))
    response = client.get(reverse("organisations:unsubscribe", args=["forged-token"]))
    assert response.status_code == 400


def test_home_sends_each_role_to_its_own_page(client, cast):
    landing = {
        "lead": reverse("collaborative:workspace", kwargs={"org": "alpha"}),
        "other_lead": reverse("collaborative:workspace", kwargs={"org": "beta"}),
        "coach": reverse("collaborative:portfolio"),
        "national": reverse("collaborative:board"),
        "evaluator": reverse("evaluation:home"),
        "nobody": reverse("no_role"),
    }
    for role, url in landing.items():
        sign_in(client, getattr(cast, role))
        assert client.get("/")["Location"] == url, role
