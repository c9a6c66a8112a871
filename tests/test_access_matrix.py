"""Every URL, every role, own and other organisation: 200/302, 403 or 404 as DESIGN.md section 5 says.

This table is written out by hand, independently of organisations/access.py,
so that a change to the policy that the design does not call for fails here.
A URL pattern missing from the table fails `test_every_url_has_an_expectation`.
"""

import pytest
from django.urls import reverse

from conftest import sign_in
from tests.urlwalk import own_patterns

TEAM = {"lead", "member", "data_champion", "sponsor", "lived_experience"}
SEES_WORKSPACE = TEAM | {"coach", "expert", "national"}
ROLES = sorted(SEES_WORKSPACE | {"evaluator", "other_lead", "nobody"})

# Organisation pages: the roles that get the page (200) in their own organisation A.
# A role that sees organisation A but may not use the page gets 403; anyone else 404.
ORG_PAGES = {
    "organisations:workspace": SEES_WORKSPACE,
    "organisations:team": SEES_WORKSPACE,
    "organisations:team_export": {"lead", "member", "data_champion", "sponsor", "national"},
}

# Programme-level pages: the roles that get 200 (or the redirect given); everyone else 403.
SITE_PAGES = {
    "home": ("redirect", set(ROLES)),
    "no_role": (200, set(ROLES)),
    "healthz": (200, set(ROLES)),
    "collaborative:board": (200, {"national"}),
    "collaborative:evaluation": (200, {"national", "evaluator"}),
    "organisations:portfolio": (200, {"coach", "expert"}),
    "organisations:programme_invite": (200, {"national"}),
    "organisations:audit_log": (200, {"national"}),
}

# Pages reached by a link that carries its own credentials (a signed token).
TOKEN_PAGES = {"organisations:invitation_accept"}


def expected_org(name: str, role: str, org: str) -> int:
    allowed = ORG_PAGES[name]
    if org == "b":
        if role == "national":
            return 200 if "national" in allowed else 403
        if role == "other_lead":  # organisation B is their own
            return 200 if "lead" in allowed else 403
        return 404
    if role in allowed:
        return 200
    if role in SEES_WORKSPACE:
        return 403
    return 404


def test_every_url_has_an_expectation():
    names = {name for name, _, _ in own_patterns()}
    covered = set(ORG_PAGES) | set(SITE_PAGES) | TOKEN_PAGES
    assert names - covered == set(), "add these URLs to the access matrix"
    assert covered - names == set(), "the matrix names URLs that no longer exist"


@pytest.mark.parametrize("org", ["a", "b"])
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(ORG_PAGES))
def test_organisation_pages(client, cast, name, role, org):
    sign_in(client, getattr(cast, role))
    organisation = cast.org_a if org == "a" else cast.org_b
    response = client.get(reverse(name, kwargs={"org": organisation.slug}))
    assert response.status_code == expected_org(name, role, org)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(SITE_PAGES))
def test_programme_pages(client, cast, name, role):
    sign_in(client, getattr(cast, role))
    expected, allowed = SITE_PAGES[name]
    response = client.get(reverse(name))
    if role not in allowed:
        assert response.status_code == 403
    elif expected == "redirect":
        assert response.status_code == 302
    else:
        assert response.status_code == expected


@pytest.mark.parametrize("role", ROLES)
def test_invitation_link_with_a_forged_token_is_refused_for_everyone(client, cast, role):
    sign_in(client, getattr(cast, role))
    response = client.get(reverse("organisations:invitation_accept", args=["forged-token"]))
    assert response.status_code == 400


def test_home_sends_each_role_to_its_own_page(client, cast):
    landing = {
        "lead": reverse("organisations:workspace", kwargs={"org": "alpha"}),
        "other_lead": reverse("organisations:workspace", kwargs={"org": "beta"}),
        "coach": reverse("organisations:portfolio"),
        "national": reverse("collaborative:board"),
        "evaluator": reverse("collaborative:evaluation"),
        "nobody": reverse("no_role"),
    }
    for role, url in landing.items():
        sign_in(client, getattr(cast, role))
        assert client.get("/")["Location"] == url, role
