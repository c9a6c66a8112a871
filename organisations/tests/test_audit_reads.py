"""Reads are audited whatever the request's headers say, and so are reads across organisations."""

import pytest
from django.urls import reverse

from conftest import sign_in
from organisations.models import AuditEvent

pytestmark = pytest.mark.django_db


def views(**filters):
    return AuditEvent.objects.filter(action=AuditEvent.Action.VIEW, **filters)


def test_a_full_page_asked_for_with_hx_request_is_still_audited(client, cast):
    sign_in(client, cast.lead)
    response = client.get(reverse("collaborative:workspace", kwargs={"org": "alpha"}), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert views(organisation=cast.org_a, user=cast.lead).count() == 1


def test_a_file_asked_for_with_hx_request_is_still_audited(client, cast):
    from measures.tests.factories import make_measure

    measure = make_measure(cast.org_a)
    sign_in(client, cast.lead)
    url = reverse("measures:measure_csv", kwargs={"org": "alpha", "pk": measure.pk})
    response = client.get(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert AuditEvent.objects.filter(organisation=cast.org_a, user=cast.lead).count() == 1


def test_only_an_html_fragment_answering_htmx_counts_as_part_of_a_page():
    from django.http import HttpResponse
    from django.test import RequestFactory

    from organisations.middleware import _is_partial

    htmx = RequestFactory().get("/", HTTP_HX_REQUEST="true")
    htmx.htmx = True
    plain = RequestFactory().get("/")
    plain.htmx = False
    fragment = HttpResponse("<td>12</td>")
    page = HttpResponse("<!DOCTYPE html><html><body>Workspace</body></html>")
    download = HttpResponse("a,b\n", content_type="text/csv")
    named = HttpResponse("<td>12</td>")
    named["Content-Disposition"] = 'attachment; filename="x.html"'
    assert _is_partial(htmx, fragment)
    assert not _is_partial(plain, fragment)
    assert not _is_partial(htmx, page)
    assert not _is_partial(htmx, download)
    assert not _is_partial(htmx, named)


@pytest.mark.parametrize(
    ("name", "role", "summary"),
    [
        ("collaborative:board", "national", "Viewed the programme board"),
        ("collaborative:portfolio", "coach", "Viewed the coach portfolio"),
        ("evaluation:home", "evaluator", "Viewed the evaluation area"),
    ],
)
def test_reads_across_organisations_are_audited(client, cast, name, role, summary):
    sign_in(client, getattr(cast, role))
    assert client.get(reverse(name), HTTP_HX_REQUEST="true").status_code == 200
    assert views(user=getattr(cast, role), summary=summary, organisation=None).count() == 1
