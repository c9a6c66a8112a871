"""With DEBUG off, errors answer NHS.UK-style pages in the site's layout that say what to do next."""

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import path

from conftest import sign_in

pytestmark = pytest.mark.django_db


def boom(request):
    raise RuntimeError("a bug")


def refused(request):
    raise PermissionDenied


@pytest.fixture
def error_urls(settings):
    import collaborative.urls as root

    settings.DEBUG = False
    settings.ROOT_URLCONF = type(
        "urls", (), {"urlpatterns": [path("boom/", boom), path("refused/", refused), *root.urlpatterns]}
    )


@pytest.mark.parametrize(
    ("url", "status", "heading"),
    [
        ("/no-such-page/", 404, "Page not found"),
        ("/orgs/beta/", 404, "Page not found"),  # another organisation's page is not found, never forbidden
        ("/refused/", 403, "You do not have access to this page"),
        ("/boom/", 500, "Sorry, there is a problem with the service"),
    ],
)
def test_error_pages_follow_the_nhs_pattern(error_urls, cast, url, status, heading):
    client = sign_in(Client(raise_request_exception=False), cast.lead)
    response = client.get(url)
    assert response.status_code == status
    page = response.content.decode()
    assert f'<h1 class="nhsuk-heading-l">{heading}</h1>' in page
    assert 'class="nhsuk-header"' in page  # the site's layout, not Django's bare page
    assert "Go to your home page" in page
    assert "Traceback" not in page and "a bug" not in page
