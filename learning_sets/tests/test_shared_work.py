"""Case studies (submit, review, gallery, communications) and the resource library (search, links, documents)."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import Context, RequestContext, Template
from django.test import RequestFactory
from django.urls import reverse
from django_scopes import scopes_disabled

from conftest import sign_in
from learning_sets import views_shared
from learning_sets.models import CaseStudy, Resource
from measures.models import DataPoint
from measures.tests.factories import make_measure
from organisations.models import Notification

from . import factories


def org_url(name, org, **kwargs):
    return reverse(f"learning_sets:{name}", kwargs={"org": org.slug, **kwargs})


CASE = {
    "title": "Evening clinics",
    "summary": "Did-not-attend rates fell.",
    "what_changed": "Three PDSA cycles.",
    "consent_to_publish": "on",
}


def test_a_lead_submits_the_national_team_asks_for_changes_then_approves(client, cast):
    with scopes_disabled():
        measure = make_measure(cast.org_a)
    sign_in(client, cast.lead)
    response = client.post(org_url("case_study_create", cast.org_a), CASE | {"measures": [measure.pk], "submit": "1"})
    assert response.status_code == 302
    with scopes_disabled():
        case = CaseStudy.objects.get()
        assert case.status == "submitted" and list(case.measures.all()) == [measure]
    assert Notification.objects.filter(recipient=cast.national, about_id=case.pk).exists()
    # Submitted: the team cannot change it now.
    assert client.get(org_url("case_study_edit", cast.org_a, pk=case.pk)).status_code == 302

    sign_in(client, cast.national)
    review = org_url("case_study_review", cast.org_a, pk=case.pk)
    refused = client.post(review, {"decision": "changes", "note": ""})
    assert refused.status_code == 422 and "Say what to change" in refused.content.decode()
    assert client.post(review, {"decision": "changes", "note": "Add the chart"}).status_code == 302
    case.refresh_from_db()
    assert case.status == "changes_requested"
    assert Notification.objects.filter(recipient=cast.lead, detail="Add the chart").exists()
    assert client.get(reverse("learning_sets:gallery")).context["case_studies"] == []

    sign_in(client, cast.lead)
    client.post(org_url("case_study_submit", cast.org_a, pk=case.pk))
    sign_in(client, cast.national)
    client.post(review, {"decision": "approve", "note": ""})
    case.refresh_from_db()
    assert case.status == "approved" and case.for_communications

    sign_in(client, cast.other_lead)  # another organisation in the collaborative sees it in the gallery
    assert [c.pk for c in client.get(reverse("learning_sets:gallery")).context["case_studies"]] == [case.pk]
    sign_in(client, cast.national)
    export = client.get(reverse("learning_sets:communications_export")).content.decode()
    assert "Evening clinics" in export and "Alpha Trust" in export


def test_a_review_of_something_not_submitted_is_refused(client, cast):
    case = factories.case_study(cast.org_a, cast.collaborative)
    sign_in(client, cast.national)
    response = client.post(org_url("case_study_review", cast.org_a, pk=case.pk), {"decision": "approve"})
    assert response.status_code == 422
    case.refresh_from_db()
    assert case.status == "draft"


def test_a_case_study_is_404_to_other_organisations_until_approved(client, cast):
    case = factories.case_study(cast.org_a, cast.collaborative, status="submitted")
    sign_in(client, cast.other_lead)
    assert client.get(org_url("case_study_detail", cast.org_a, pk=case.pk)).status_code == 404
    assert client.get(reverse("learning_sets:gallery_detail", args=[case.pk])).status_code == 404


def test_only_the_organisations_own_measures_can_be_included(client, cast):
    with scopes_disabled():
        theirs = make_measure(cast.org_b)
    sign_in(client, cast.lead)
    response = client.post(org_url("case_study_create", cast.org_a), CASE | {"measures": [theirs.pk]})
    assert response.status_code == 422
    with scopes_disabled():
        assert not CaseStudy.objects.exists()


def test_the_gallery_suppresses_small_numbers_for_other_organisations(client, cast):
    with scopes_disabled():
        measure = make_measure(cast.org_a, value_type="proportion")
        DataPoint.objects.create(
            organisation=cast.org_a, measure=measure, period_start=date(2026, 1, 1), numerator=3, denominator=40
        )
        DataPoint.objects.create(
            organisation=cast.org_a, measure=measure, period_start=date(2026, 2, 1), numerator=12, denominator=48
        )
    case = factories.case_study(cast.org_a, cast.collaborative, status="approved")
    with scopes_disabled():
        case.measures.set([measure])
    url = reverse("learning_sets:gallery_detail", args=[case.pk])
    sign_in(client, cast.other_lead)
    rows = client.get(url).context["panels"][0]["rows"]
    assert [figure for _, figure in rows] == ["*", "20.0"]  # 3 suppressed; 12/48 as 10/50, from the rounded counts
    sign_in(client, cast.lead)
    rows = client.get(url).context["panels"][0]["rows"]
    assert [figure for _, figure in rows] == ["7.5", "25.0"]  # their own figures, raw


# --- The resource library ------------------------------------------------------------------------


def test_the_library_is_organised_by_step_and_searchable(client, cast):
    factories.resource(cast.collaborative, title="The PDSA guide", step="deliver")
    factories.resource(cast.collaborative, title="Equality data guide", step="identify", summary="Comparing groups")
    factories.resource(cast.collaborative, title="Hidden draft", step="deliver", published=False)
    sign_in(client, cast.lead)
    response = client.get(reverse("learning_sets:resource_list"))
    steps = {value: [r.title for r in rows] for value, _, rows in response.context["steps"]}
    assert steps == {"identify": ["Equality data guide"], "design": [], "deliver": ["The PDSA guide"], "evaluate": []}
    found = client.get(reverse("learning_sets:resource_list"), {"q": "groups"}).context["resources"]
    assert [r.title for r in found] == ["Equality data guide"]
    sign_in(client, cast.national)
    assert "Hidden draft" in client.get(reverse("learning_sets:resource_list")).content.decode()


def test_search_falls_back_to_word_matching_off_postgresql(cast, monkeypatch):
    factories.resource(cast.collaborative, title="Driver diagram guide", summary="Change theory")
    factories.resource(cast.collaborative, title="SPC charts", summary="Making data count")
    monkeypatch.setattr(views_shared.connection, "vendor", "sqlite")
    rows = views_shared.search_resources(Resource.objects.all(), "change DRIVER")
    assert [r.title for r in rows] == ["Driver diagram guide"]


@pytest.mark.postgres
def test_postgresql_search_ranks_titles_first_and_stems(cast):
    factories.resource(cast.collaborative, title="Sustaining improvement", summary="Plans")
    factories.resource(cast.collaborative, title="Templates", summary="For sustaining the gains")
    rows = views_shared.search_resources(Resource.objects.all(), "sustain")
    assert [r.title for r in rows] == ["Sustaining improvement", "Templates"]


def test_resources_for_a_page_are_linked_from_it(cast):
    factories.resource(cast.collaborative, title="The PDSA guide", pages=["pdsa"])
    factories.resource(cast.collaborative, title="Change theory guide", pages=["change_theory"])
    request = RequestFactory().get("/")
    request.user = cast.lead
    html = Template('{% load learning_sets %}{% resources_for "pdsa" %}').render(RequestContext(request, {}))
    assert "The PDSA guide" in html and "Change theory guide" not in html
    assert Template('{% load learning_sets %}{% resources_for "pdsa" %}').render(Context({})).strip() == ""


def test_the_national_team_adds_a_document_checked_by_content(client, cast):
    sign_in(client, cast.national)
    url = reverse("learning_sets:resource_create")
    data = {"title": "Template", "summary": "A plan", "category": "template", "step": "deliver", "phase": "2"}
    bad = client.post(url, data | {"upload": SimpleUploadedFile("plan.pdf", b"MZ\x90 not a pdf")})
    assert bad.status_code == 422 and "is not a file we can keep" in bad.content.decode()
    nothing = client.post(url, data)
    assert nothing.status_code == 422 and "Give a link or upload a document." in nothing.content.decode()
    ok = client.post(
        url, data | {"published": "on", "pages": ["pdsa"], "upload": SimpleUploadedFile("plan.csv", b"a,b\n")}
    )
    assert ok.status_code == 302
    resource = Resource.objects.get()
    assert (resource.file_kind, list(resource.pages.values_list("page", flat=True))) == ("text", ["pdsa"])
    sign_in(client, cast.member)
    response = client.get(reverse("learning_sets:resource_download", args=[resource.pk]))
    assert response["Content-Disposition"].startswith('attachment; filename="plan.csv"')
