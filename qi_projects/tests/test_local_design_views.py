"""Local design pages: what a project lead does, and bad input that saves nothing."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from measures.models import Measure
from qi_projects.models import (
    ChangeTheory,
    CoproductionEntry,
    FocusPopulation,
    ImprovementProject,
    ProfileRow,
)
from qi_projects.pdsa.models import Comment

from . import factories

pytestmark = pytest.mark.django_db


# Measure definitions live in measures, comment threads in pdsa.
NAMESPACES = {
    "measure_create": "measures",
    "measure_detail": "measures",
    "measure_edit": "measures",
    "measure_comment": "pdsa",
    "diagram_comment": "pdsa",
}


def url(name, **kwargs):
    return reverse(f"{NAMESPACES.get(name, 'qi_projects')}:{name}", kwargs={"org": "alpha", **kwargs})


def count(model):
    with scopes_disabled():
        return model.objects.count()


def test_lead_creates_a_project(client, cast, login):
    login(client, cast.lead)
    response = client.post(
        url("project_create"),
        {
            "title": "Early intervention access",
            "aim": "Raise to 60% by March 2027",
            "target_value": "60",
            "target_unit": "%",
            "target_date": (timezone.localdate() + timedelta(days=400)).isoformat(),
        },
    )
    assert response.status_code == 302
    with scopes_disabled():
        assert ImprovementProject.objects.get().created_by == cast.lead


def test_project_with_a_past_target_date_is_refused(client, cast, login):
    login(client, cast.lead)
    response = client.post(
        url("project_create"),
        {"title": "X", "aim": "Y", "target_value": "1", "target_unit": "%", "target_date": "2020-01-01"},
    )
    assert response.status_code == 422
    assert "must be in the future" in response.content.decode()
    assert count(ImprovementProject) == 0


def focus_data(**overrides):
    data = {
        "name": "Young Black men",
        "groups": ["ethnicity:M", "ethnicity:N", "sex:male", "age_band:18-24"],
        "inequality": "access",
        "evidence": "Referral rate a third of the expected level (profile, 2024).",
        "reference_group": "ethnicity:A",
    }
    data.update(overrides)
    return data


def test_lead_defines_a_focus_population_on_equality_dimensions(client, cast, login):
    project = factories.project(cast.org_a)
    login(client, cast.lead)
    response = client.post(url("focus_create", pk=project.pk), focus_data())
    assert response.status_code == 302
    with scopes_disabled():
        population = FocusPopulation.objects.get()
    assert population.dimensions == ["ethnicity", "sex", "age_band"]
    assert population.reference_label == "White: British"
    page = client.get(url("project_detail", pk=project.pk)).content.decode()
    assert "Black or Black British: Caribbean" in page


def test_focus_population_with_no_dimension_is_refused_and_nothing_saved(client, cast, login):
    project = factories.project(cast.org_a)
    login(client, cast.lead)
    response = client.post(url("focus_create", pk=project.pk), focus_data(groups=[]))
    assert response.status_code == 422
    assert "Choose at least one group on an equality dimension" in response.content.decode()
    assert count(FocusPopulation) == 0


def test_a_described_local_group_is_enough(client, cast, login):
    project = factories.project(cast.org_a)
    login(client, cast.lead)
    data = focus_data(groups=[], local_description="People sleeping rough in the town centre", reference_group="rest")
    assert client.post(url("focus_create", pk=project.pk), data).status_code == 302
    with scopes_disabled():
        assert FocusPopulation.objects.get().reference_label == "Everyone else in the population"


def test_profile_counts_show_representation_with_a_table(client, cast, login):
    profile = factories.profile(cast.org_a, rows=())
    login(client, cast.lead)
    data = {"pop_0": "8000", "case_0": "300", "pop_12": "1000", "case_12": "20", "pop_13": "1000", "case_13": "30"}
    assert client.post(url("profile_counts", pk=profile.pk), data).status_code == 302
    page = client.get(url("profile_detail", pk=profile.pk)).content.decode()
    assert "Under-represented" in page and "Over-represented" in page
    assert 'data-chart="representation-chart"' in page and "nhsuk-table" in page
    assert "Census 2021" in page and "2024" in page


def test_profile_counts_can_be_uploaded_as_csv_and_bad_rows_save_nothing(client, cast, login):
    profile = factories.profile(cast.org_a)
    login(client, cast.lead)
    bad = SimpleUploadedFile("p.csv", b"category,population,caseload\nA,100,10\nQ,5,5\nM,x,1\n", "text/csv")
    response = client.post(url("profile_counts", pk=profile.pk), {"upload": bad})
    assert response.status_code == 422
    body = response.content.decode()
    assert "Row 3" in body and "Row 4" in body
    assert count(ProfileRow) == 3  # the factory's rows, unchanged
    good = SimpleUploadedFile("p.csv", b"category,population,caseload\nA,100,10\nM,50,10\n", "text/csv")
    assert client.post(url("profile_counts", pk=profile.pk), {"upload": good}).status_code == 302
    with scopes_disabled():
        assert sorted(ProfileRow.objects.values_list("category", "caseload")) == [("A", 10), ("M", 10)]


def measure_data(**overrides):
    data = {
        "code": "om2",
        "name": "Seen within 2 weeks",
        "kind": "outcome",
        "operational_definition": "Referrals seen within 14 days of acceptance.",
        "value_type": "proportion",
        "numerator_definition": "Seen within 14 days",
        "denominator_definition": "Referrals accepted",
        "data_source": "MHSDS",
        "frequency": "monthly",
        "improvement": "increase",
        "dimension": "ethnicity",
        "reference_category": "ethnicity:A",
        "baseline": "40",
        "target": "60",
    }
    data.update(overrides)
    return data


def test_lead_defines_a_measure_broken_down_by_ethnicity(client, cast, login):
    project = factories.project(cast.org_a)
    login(client, cast.lead)
    assert client.post(url("measure_create", pk=project.pk), measure_data()).status_code == 302
    with scopes_disabled():
        measure = Measure.objects.get()
    assert (measure.code, measure.dimension, measure.reference_category) == ("OM2", "ethnicity", "A")
    assert measure.target == Decimal("60") and measure.project == project


@pytest.mark.parametrize(
    "overrides,message",
    [
        ({"operational_definition": ""}, "Say exactly what is counted"),
        ({"numerator_definition": ""}, "Say what the numerator counts"),
        ({"target": "30"}, "must be above the baseline"),
        ({"improvement": "decrease"}, "must be below the baseline"),
        ({"reference_category": "imd_quintile:5"}, "must be one of the groups of Ethnicity"),
        ({"code": "OM 1!"}, "letters, digits"),
    ],
)
def test_bad_measures_are_refused_with_a_clear_message_and_nothing_saved(client, cast, login, overrides, message):
    project = factories.project(cast.org_a)
    login(client, cast.lead)
    response = client.post(url("measure_create", pk=project.pk), measure_data(**overrides))
    assert response.status_code == 422
    assert message in response.content.decode()
    assert count(Measure) == 0


def test_duplicate_measure_code_is_refused(client, cast, login):
    project = factories.project(cast.org_a)
    factories.measure(cast.org_a, project_=project, code="OM2")
    login(client, cast.lead)
    response = client.post(url("measure_create", pk=project.pk), measure_data())
    assert response.status_code == 422
    assert "already has the code OM2" in response.content.decode()


def test_a_measure_can_start_from_the_programme_library(client, cast, login):
    project = factories.project(cast.org_a)
    template = factories.library_measure(cast.collaborative)
    login(client, cast.lead)
    page = client.get(url("measure_create", pk=project.pk) + f"?from={template.pk}").content.decode()
    assert "Detentions under the Mental Health Act per 100,000" in page
    data = measure_data(
        code="LIB1",
        value_type="rate",
        rate_per="100000",
        improvement="decrease",
        baseline="",
        target="",
        library_source=str(template.pk),
    )
    assert client.post(url("measure_create", pk=project.pk), data).status_code == 302
    with scopes_disabled():
        assert Measure.objects.get().library_source == template


def test_records_a_coproduction_session_and_the_summary_counts_it(client, cast, login):
    login(client, cast.lead)
    data = {
        "date": timezone.localdate().isoformat(),
        "who": "6 young men from the Caribbean community centre, 1 carer",
        "step": "design",
        "level": "co_designed",
        "topic": "change_theory",
        "what_changed": "Added drop-in clinics at the community centre as a change idea.",
    }
    assert client.post(url("coproduction_create"), data).status_code == 302
    page = client.get(url("coproduction")).content.decode()
    assert "Added drop-in clinics" in page
    with scopes_disabled():
        assert CoproductionEntry.objects.get().created_by == cast.lead


def test_coproduction_in_the_future_is_refused(client, cast, login):
    login(client, cast.lead)
    data = {
        "date": (timezone.localdate() + timedelta(days=3)).isoformat(),
        "who": "Partners",
        "step": "design",
        "level": "involved",
        "topic": "change_theory",
        "what_changed": "Nothing yet",
    }
    response = client.post(url("coproduction_create"), data)
    assert response.status_code == 422
    assert count(CoproductionEntry) == 0


# --- The driver-diagram editor --------------------------------------------------------


@pytest.fixture
def theory(cast):
    return factories.change_theory(cast.org_a, cast.collaborative, by=cast.lead)


def element_id(theory, text):
    with scopes_disabled():
        return theory.elements.get(text=text).pk


def test_lead_starts_a_change_theory_from_the_programme(client, cast, login):
    project = factories.project(cast.org_a)
    factories.programme_theory(cast.collaborative)
    login(client, cast.lead)
    assert client.post(url("diagram_start", pk=project.pk)).status_code == 302
    with scopes_disabled():
        theory = ChangeTheory.objects.get()
        assert theory.elements.filter(source__isnull=False).count() == 7


def test_adding_a_local_change_idea_without_javascript_redirects_to_the_editor(client, cast, login, theory):
    login(client, cast.lead)
    parent = element_id(theory, "Flexible appointments")
    data = {"op": "add", "kind": "change_idea", "parent": parent, "text": "Peer support worker", "version": 1}
    response = client.post(url("diagram_change", pk=theory.project_id), data)
    assert response.status_code == 302
    assert response["Location"].startswith(url("diagram_edit", pk=theory.project_id) + "#element-")
    theory.refresh_from_db()
    assert theory.version == 2


def test_with_htmx_the_editor_fragment_comes_back(client, cast, login, theory):
    login(client, cast.lead)
    data = {"op": "add", "kind": "primary", "text": "Culturally competent workforce", "version": 1}
    response = client.post(url("diagram_change", pk=theory.project_id), data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="diagram-editor"')
    assert "Saved as version 2" in body and "<html" not in body


def test_removing_a_driver_with_change_ideas_is_refused(client, cast, login, theory):
    login(client, cast.lead)
    data = {"op": "remove", "element": element_id(theory, "Flexible appointments"), "version": 1}
    response = client.post(url("diagram_change", pk=theory.project_id), data)
    assert response.status_code == 422
    assert "still has 2 change ideas" in response.content.decode()
    theory.refresh_from_db()
    assert theory.version == 1


def test_a_stale_edit_is_told_the_diagram_changed_and_keeps_what_was_typed(client, cast, login, theory):
    login(client, cast.lead)
    idea = element_id(theory, "Evening clinics")
    first = {"op": "edit", "element": idea, "text": "Evening clinics twice a week", "description": "", "version": 1}
    assert client.post(url("diagram_change", pk=theory.project_id), first).status_code == 302
    second = {**first, "text": "Evening clinics on Saturdays"}
    response = client.post(url("diagram_change", pk=theory.project_id), second, HTTP_HX_REQUEST="true")
    assert response.status_code == 409
    body = response.content.decode()
    assert "Someone else changed this driver diagram" in body
    assert "Evening clinics on Saturdays" in body  # kept in the form, not saved
    with scopes_disabled():
        assert theory.elements.get(pk=idea).text == "Evening clinics twice a week"


def test_empty_text_is_refused(client, cast, login, theory):
    login(client, cast.lead)
    data = {"op": "add", "kind": "primary", "text": "  ", "version": 1}
    assert client.post(url("diagram_change", pk=theory.project_id), data).status_code == 422
    theory.refresh_from_db()
    assert theory.version == 1


def test_editor_reorders_and_moves(client, cast, login, theory):
    login(client, cast.lead)
    reach = element_id(theory, "Services that are easy to reach")
    assert (
        client.post(
            url("diagram_change", pk=theory.project_id), {"op": "down", "element": reach, "version": 1}
        ).status_code
        == 302
    )
    idea = element_id(theory, "Clinics in community venues")
    flexible = element_id(theory, "Flexible appointments")
    data = {"op": "move", "element": idea, "parent": flexible, "version": 2}
    assert client.post(url("diagram_change", pk=theory.project_id), data).status_code == 302
    with scopes_disabled():
        assert theory.elements.get(pk=idea).parent_id == flexible


def test_the_diagram_view_shows_an_earlier_version(client, cast, login, theory):
    login(client, cast.lead)
    client.post(url("diagram_change", pk=theory.project_id), {"op": "aim", "aim": "A brand new aim", "version": 1})
    assert "A brand new aim" in client.get(url("diagram", pk=theory.project_id)).content.decode()
    old = client.get(url("diagram", pk=theory.project_id) + "?version=1").content.decode()
    assert "A brand new aim" not in old and "An earlier version" in old
    history = client.get(url("diagram_history", pk=theory.project_id)).content.decode()
    assert "Changed the aim" in history


def test_coach_sees_the_diagram_read_only_with_a_comment_box(client, cast, login, theory):
    login(client, cast.coach)
    page = client.get(url("diagram", pk=theory.project_id)).content.decode()
    assert "Edit the change theory" not in page
    assert "Post comment" in page
    response = client.post(url("diagram_comment", pk=theory.project_id), {"body": "Have you asked carers?"})
    assert response.status_code == 302
    with scopes_disabled():
        assert Comment.objects.get().author == cast.coach
    assert (
        client.post(url("diagram_change", pk=theory.project_id), {"op": "aim", "aim": "x", "version": 1}).status_code
        == 403
    )


def test_sponsor_sees_no_comment_box(client, cast, login, theory):
    login(client, cast.sponsor)
    page = client.get(url("diagram", pk=theory.project_id)).content.decode()
    assert "Post comment" not in page


def test_national_team_edits_the_programme_change_theory(client, cast, login):
    factories.programme_theory(cast.collaborative)
    login(client, cast.national)
    data = {"op": "add", "kind": "primary", "text": "Data that shows inequality", "version": 8}
    response = client.post(reverse("qi_projects:programme_theory_change"), data)
    assert response.status_code == 302
    assert "Data that shows inequality" in client.get(reverse("qi_projects:programme_theory")).content.decode()


def test_adoption_view_names_organisations_by_status(client, cast, login, theory):
    with scopes_disabled():
        theory.remove_element(theory.elements.get(text="Evening clinics"), by=cast.lead, based_on=1)
    login(client, cast.national)
    page = client.get(reverse("qi_projects:programme_adoption")).content.decode()
    assert "Alpha Trust" in page and "Beta Trust" in page


def test_workspace_shows_local_design_status(client, cast, login):
    factories.focus_population(cast.org_a)
    login(client, cast.lead)
    page = client.get(reverse("collaborative:workspace", kwargs={"org": "alpha"})).content.decode()
    assert "Open local design" in page
    assert "1 focus population" in page
