"""The issue's promise, with the demo data: nobody reaches what is not theirs."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from collaborative import demo
from conftest import sign_in
from tests.urlwalk import own_patterns

SLUGS = [slug for _, slug, _ in demo.ORGANISATIONS]
ORG_URLS = {name: pattern for name, route, pattern in own_patterns() if "<slug:org>" in route}
ORG_URL_NAMES = sorted(ORG_URLS)


def org_url(name: str, slug: str) -> str:
    """The URL for another organisation: the middleware answers before any object is looked up."""
    converters = ORG_URLS[name].pattern.converters
    kwargs = {key: 1 if type(conv).__name__ == "IntConverter" else "x" for key, conv in converters.items()}
    kwargs["org"] = slug
    return reverse(name, kwargs=kwargs)


@pytest.fixture
def demo_data(db):
    demo.seed()


def user(email):
    return get_user_model().objects.get(email=email)


def test_seed_demo_is_idempotent(demo_data):
    from django_scopes import scopes_disabled

    from organisations.models import Membership

    with scopes_disabled():
        before = Membership.objects.count()
        demo.seed()
        assert Membership.objects.count() == before
    assert get_user_model().objects.filter(email__endswith="@demo.example").count() == 14


def test_lead1_gets_404_for_every_page_of_other_organisations(client, demo_data):
    sign_in(client, user("lead1@demo.example"))
    answers = {
        (name, slug): client.get(org_url(name, slug)).status_code for name in ORG_URL_NAMES for slug in SLUGS[1:]
    }
    assert {key: status for key, status in answers.items() if status != 404} == {}
    assert client.get(reverse("collaborative:workspace", kwargs={"org": SLUGS[0]})).status_code == 200


def test_coach1_sees_organisations_1_to_3_and_nothing_of_4_to_6(client, demo_data):
    sign_in(client, user("coach1@demo.example"))
    for index, slug in enumerate(SLUGS):
        expected = 200 if index < 3 else 404
        assert client.get(reverse("collaborative:workspace", kwargs={"org": slug})).status_code == expected, slug
        if index >= 3:
            assert {n: client.get(org_url(n, slug)).status_code for n in ORG_URL_NAMES} == dict.fromkeys(
                ORG_URL_NAMES, 404
            )


def test_coach1_portfolio_lists_exactly_their_organisations(client, demo_data):
    sign_in(client, user("coach1@demo.example"))
    page = client.get(reverse("collaborative:portfolio")).content.decode()
    for index, (name, _, _) in enumerate(demo.ORGANISATIONS):
        assert (name in page) == (index < 3), name


def test_evaluator_sees_no_raw_workspace(client, demo_data):
    sign_in(client, user("evaluator@demo.example"))
    answers = {(name, slug): client.get(org_url(name, slug)).status_code for name in ORG_URL_NAMES for slug in SLUGS}
    assert {key: status for key, status in answers.items() if status != 404} == {}


def test_seed_demo_refuses_without_debug_unless_forced(db, settings):
    from django.core.management import CommandError, call_command

    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG off"):
        call_command("seed_demo")
    call_command("seed_demo", "--force")
    assert get_user_model().objects.filter(email="national@demo.example").exists()
