"""Signed out, only the sign-in pages and the health check answer; everything else sends you to sign in."""

import re

import pytest
from django.urls import reverse

from tests.urlwalk import own_patterns

PUBLIC = {
    "healthz",
    "organisations:invitation_accept",
    "measures:api_measure_data",
    "learning_sets:calendar_feed",  # a private token, no sign-in: calendars cannot sign in
    "learning_sets:unsubscribe",  # a signed token in every newsletter email
    "organisations:unsubscribe",  # a signed token in every reminder email
}


@pytest.mark.parametrize("name", ["account_login", "account_reset_password", "account_logout"])
def test_allauth_pages_are_reachable_signed_out(client, db, name):
    response = client.get(reverse(name))
    # The logout page redirects a signed-out visitor to the sign-in page.
    assert response.status_code == 200 or (name == "account_logout" and response.status_code == 302)
    if response.status_code == 302:
        assert response["Location"].startswith(reverse("account_login"))


def fill(route: str) -> str:
    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", lambda m: "1" if m.group(1) == "int" else "sample", route)


@pytest.mark.parametrize("name,route", [(n, r) for n, r, _ in own_patterns() if n not in PUBLIC])
def test_every_other_page_redirects_to_login(client, db, name, route):
    path = fill(route)
    response = client.get(path)
    assert response.status_code == 302, f"{name} ({path}) answered {response.status_code}"
    assert response["Location"].startswith(reverse("account_login"))


def test_admin_redirects_to_login(client, db):
    response = client.get("/admin/")
    assert response.status_code == 302


def test_an_unsubscribe_link_with_a_forged_token_is_refused_signed_out(client, db):
    assert client.get(reverse("organisations:unsubscribe", args=["forged-token"])).status_code == 400
    assert client.post(reverse("organisations:unsubscribe", args=["forged-token"])).status_code == 400
