"""/evaluation/series/: each organisation's measures with their signals and suppressed latest figures."""

import re

from django.urls import reverse
from django_scopes import scopes_disabled

from evaluation import across, pseudonyms
from measures.models import MeasureTemplate
from measures.tests.factories import make_measure
from qi_projects import equality
from qi_projects.models import ProgrammeElement
from qi_projects.pdsa.tests.factories import change_idea
from qi_projects.tests import factories as design

from .data import adopt, count_queries, fill, month, shifted, tracked


def shifted_measure(org, collaborative=None, code="EIP", **fields):
    """Whole population 40/100 then 60/100 after the change; the focus group M 3 of 12 (always *), then 9 of 12."""
    measure = make_measure(org, code=code, improvement="increase", **fields)
    idea = change_idea(org, collaborative)
    tracked(measure, idea)
    strata = {"all": shifted(40, 60), "ethnicity:M": shifted(3, 9, d=12), "ethnicity:A": shifted(50, 52, d=117)}
    if not measure.dimension:
        strata = {"all": strata["all"]}
    fill(measure, strata)
    if measure.dimension:
        design.focus_population(org, project_=measure.project, groups=["ethnicity:M"])
    adopt(idea, month(18))
    return measure


def cells(page: str, caption: str) -> list[list[str]]:
    """The body rows of the table with this caption, each cell's text."""
    table = page.split(caption, 1)[1].split("</table>", 1)[0]
    body = re.sub(r'<span class="nhsuk-table-responsive__heading"[^>]*>.*?</span>', "", table.split("<tbody", 1)[1])
    return [
        [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]


def test_each_measure_shows_signals_results_and_its_protected_latest_figures(client, cast, login):
    shifted_measure(cast.org_a, cast.collaborative)
    labels = pseudonyms.enrolled_labels(cast.collaborative)
    login(client, cast.evaluator)
    response = client.get(reverse("evaluation:series"))
    assert response.status_code == 200
    page = response.content.decode()
    label = labels[cast.org_a.pk]
    assert label in page and "Alpha Trust" not in page
    # The icons, the most recent special cause and the sustained result with its evidence.
    assert "Special cause variation: improvement" in page
    assert f"{month(32):%b %Y}: 2 of 3 points close to the upper limit (improvement)" in page
    assert "Sustained improvement" in page and "Chart: a p chart" in page
    # The latest six periods, newest first: counts rounded, the rate from the rounded counts, and the gap
    # M minus A from the published rates: 9 of 12 -> 10/10 = 100%; 52/117 -> 50/115 = 43.5%; gap +56.5.
    rows = cells(page, f"EIP, {label}: the latest periods, protected")
    assert rows[0] == [f"{month(32):%b %Y}", "60", "100", "60.0%", "+56.5"]
    assert len(rows) == across.LATEST
    groups = f"{equality.stratum_label('ethnicity:M')} minus {equality.stratum_label('ethnicity:A')}"
    assert f'Gap<span class="nhsuk-u-visually-hidden">, {groups},</span> (percentage points)' in page


def test_a_gap_is_suppressed_when_either_group_is(cast):
    measure = make_measure(cast.org_a, code="SMALL", improvement="increase")
    fill(measure, {"all": [(40, 100)] * 12, "ethnicity:M": [(3, 12)] * 12, "ethnicity:A": [(50, 117)] * 12})
    design.focus_population(cast.org_a, project_=measure.project, groups=["ethnicity:M"])
    with scopes_disabled():
        found = across.selected(cast.collaborative)
        rows = across.rows_for(found)
    assert [r["gap"] for r in rows[0].table] == ["*"] * across.LATEST
    assert [r["figure"] for r in rows[0].table] == ["40.0%"] * across.LATEST


def test_filters_by_change_idea_dimension_and_library_entry(client, cast, login):
    with_idea = shifted_measure(cast.org_a, cast.collaborative, code="EIP")
    plain = shifted_measure(cast.org_b, code="DNA", dimension="", reference_category="")
    with scopes_disabled():
        template = MeasureTemplate.objects.create(
            collaborative=cast.collaborative, code="DNA", name="Did not attend", value_type="value", unit="people"
        )
        type(plain).objects.filter(pk=plain.pk).update(library_source=template)
        evening = ProgrammeElement.objects.get(diagram__collaborative=cast.collaborative, text="Evening clinics")
    login(client, cast.evaluator)
    url = reverse("evaluation:series")

    def shown(query=""):
        response = client.get(f"{url}?{query}")
        assert response.status_code == 200
        return {r.measure.pk for r in response.context["rows"]}

    assert shown() == {with_idea.pk, plain.pk}
    assert shown(f"idea={evening.pk}") == {with_idea.pk}
    assert shown("dimension=ethnicity") == {with_idea.pk}
    assert shown("dimension=sex") == set()
    assert shown(f"library={template.pk}") == {plain.pk}
    page = client.get(f"{url}?library={template.pk}").content.decode()
    assert "Clear the filters" in page and f'value="{template.pk}" selected' in page


def test_a_filter_that_is_not_a_choice_is_refused_beside_its_field(client, cast, login):
    shifted_measure(cast.org_a, cast.collaborative)
    login(client, cast.national)
    response = client.get(reverse("evaluation:series") + "?dimension=shoe_size&idea=abc")
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page and "Equality dimension: Choose one of the options in the list." in page
    assert 'id="id_dimension-error"' in page and 'id="id_idea-error"' in page
    assert response.context["rows"] == [] and "Correct the filter to see the series." in page


def test_the_list_is_paginated_and_the_page_links_keep_the_filters(client, cast, login, monkeypatch):
    monkeypatch.setattr(across, "PAGE_SIZE", 2)
    for i in range(3):
        measure = make_measure(cast.org_a, code=f"M{i}", dimension="", reference_category="")
        fill(measure, {"all": [(40, 100)] * 12})
    login(client, cast.evaluator)
    url = reverse("evaluation:series")
    first = client.get(url + "?dimension=")
    assert [r.measure.code for r in first.context["rows"]] == ["M0", "M1"]
    assert "3 measures of 1 organisation match; showing 1 to 2." in " ".join(first.content.decode().split())
    second = client.get(url + "?page=2")
    assert [r.measure.code for r in second.context["rows"]] == ["M2"]
    filtered = client.get(url + "?library=&dimension=&page=1").content.decode()
    assert 'href="?page=2"' in filtered


def test_the_front_page_links_the_series(client, cast, login):
    login(client, cast.evaluator)
    page = client.get(reverse("evaluation:home")).content.decode()
    assert f'href="{reverse("evaluation:series")}"' in page


def test_queries_do_not_grow_with_organisations_or_measures(client, cast, login):
    url = reverse("evaluation:series")
    shifted_measure(cast.org_a, cast.collaborative)
    login(client, cast.evaluator)
    few = [count_queries(client, url, cold=cold)[0] for cold in (True, False)]
    for i in range(4):
        shifted_measure(cast.org_b, cast.collaborative, code=f"B{i}")
        shifted_measure(cast.org_a, cast.collaborative, code=f"A{i}", dimension="", reference_category="")
    many = [count_queries(client, url, cold=cold) for cold in (True, False)]
    assert len(many[0][1].context["rows"]) == 9
    assert few == [n for n, _ in many]
