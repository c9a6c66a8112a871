"""Question 1, /evaluation/sustained/: each measure's sustained result with its evidence, pseudonymised."""

from django.urls import reverse

from evaluation import pseudonyms
from measures.tests.factories import make_measure
from qi_projects.pdsa.tests.factories import change_idea
from qi_projects.tests import factories as design

from .data import adopt, count_queries, fill, month, shifted, tracked


def sustained_measure(org, code="EIP"):
    measure = make_measure(org, code=code, improvement="increase")
    idea = change_idea(org)
    tracked(measure, idea)
    fill(measure, {"all": shifted(40, 60), "ethnicity:M": shifted(20, 45), "ethnicity:A": shifted(50, 52)})
    design.focus_population(org, project_=measure.project, groups=["ethnicity:M"])
    adopt(idea, month(18))
    return measure


def too_few_measure(org, code="DNA"):
    measure = make_measure(org, code=code, improvement="increase", dimension="", reference_category="")
    idea = change_idea(org, text="Text reminders")
    tracked(measure, idea)
    fill(measure, {"all": shifted(40, 60, n_after=5)})
    adopt(idea, month(18))
    return measure


def test_the_page_answers_the_question_with_evidence_and_pseudonyms(client, cast, login):
    sustained_measure(cast.org_a)
    too_few_measure(cast.org_b)
    labels = pseudonyms.enrolled_labels(cast.collaborative)
    login(client, cast.evaluator)
    response = client.get(reverse("evaluation:sustained"))
    page = response.content.decode()
    summary = response.context["summary"]
    assert (summary["measures"], summary["sustained"], summary["too_few"]) == (2, 1, 1)
    assert (summary["organisations"], summary["organisations_sustained"]) == (2, 1)
    assert (summary["gaps"], summary["gaps_narrowed"]) == (1, 1)
    assert "1 of 2 measures</strong> with data show a sustained improvement" in " ".join(page.split())
    assert labels[cast.org_a.pk] in page and labels[cast.org_b.pk] in page
    assert "Alpha Trust" not in page and "Beta Trust" not in page
    # The evidence: the chart, the rules, the dates, the signal, and plainly when there are too few points.
    assert "Chart: a p chart" in page and "Making Data Count" in page
    assert f"First adopted change {month(18):%-d %b %Y}" in page
    assert f"points in a row above the baseline mean, from {month(18):%b %Y}" in page
    assert "Too few points: 5 after the change, 12 needed." in page
    assert "Sustained improvement" in page and "Too few points to judge" in page
    # No raw figure of any organisation's data: neither mean is shown.
    assert "40%" not in page and "60%" not in page and "Baseline mean" not in page


def test_an_organisation_without_data_is_left_out_and_the_page_says_when_nothing_has_data(client, cast, login):
    login(client, cast.national)
    page = client.get(reverse("evaluation:sustained")).content.decode()
    assert "No measure has data yet, so the question cannot be answered." in page


def test_queries_do_not_grow_with_organisations_or_measures(client, cast, login):
    url = reverse("evaluation:sustained")
    sustained_measure(cast.org_a)
    login(client, cast.evaluator)
    few = [count_queries(client, url, cold=cold)[0] for cold in (True, False)]
    for i in range(3):
        sustained_measure(cast.org_b, code=f"B{i}")
        too_few_measure(cast.org_a, code=f"A{i}")
    many = [count_queries(client, url, cold=cold) for cold in (True, False)]
    assert many[0][1].context["summary"]["measures"] == 7
    assert few == [n for n, _ in many]


def test_the_answer_counts_every_measure_while_the_table_shows_a_page(client, cast, login, monkeypatch):
    from evaluation import answers

    monkeypatch.setattr(answers, "SUSTAINED_PAGE_SIZE", 1)
    sustained_measure(cast.org_a)
    too_few_measure(cast.org_b)
    login(client, cast.evaluator)
    first = client.get(reverse("evaluation:sustained"))
    assert first.context["summary"]["measures"] == 2 and len(first.context["rows"]) == 1
    page = " ".join(first.content.decode().split())
    assert "(1 to 1 of 2)" in page and 'href="?page=2"' in page
    second = client.get(reverse("evaluation:sustained") + "?page=2")
    assert second.context["summary"]["measures"] == 2
    assert [r["measure"].pk for r in second.context["rows"]] != [r["measure"].pk for r in first.context["rows"]]
