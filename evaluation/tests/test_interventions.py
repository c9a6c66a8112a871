"""Question 2, /evaluation/interventions/: programme change ideas across organisations, and their exports."""

import csv
import io

from django.urls import reverse
from openpyxl import load_workbook

from evaluation import pseudonyms
from measures.tests.factories import make_measure
from qi_projects.models import Stage
from qi_projects.pdsa.tests.factories import change_idea, cycle

from .data import adopt, count_queries, fill, month, move, shifted, tracked


def adopted_with_sustained_measure(org, collaborative, code="EIP"):
    idea = change_idea(org, collaborative)  # a copy of the programme's "Evening clinics"
    measure = make_measure(org, code=code, improvement="increase", dimension="", reference_category="")
    tracked(measure, idea)
    fill(measure, {"all": shifted(40, 60)})
    move(idea, Stage.TESTING, month(10), from_stage=Stage.IDEA)
    adopt(idea, month(18))
    return idea


def abandoned(org, collaborative):
    idea = change_idea(org, collaborative)
    cycle(org, idea=idea)
    cycle(org, idea=idea)
    move(idea, Stage.TESTING, month(10), from_stage=Stage.IDEA)
    move(idea, Stage.ABANDONED, month(12))
    return idea


def test_each_programme_idea_counts_organisations_cycles_and_sustained_results(client, cast, login):
    adopted_with_sustained_measure(cast.org_a, cast.collaborative)
    abandoned(cast.org_b, cast.collaborative)
    labels = pseudonyms.enrolled_labels(cast.collaborative)
    login(client, cast.evaluator)
    response = client.get(reverse("evaluation:interventions"))
    reports = {r.element.text: r for r in response.context["reports"]}
    assert set(reports) == {"Evening clinics", "Text reminders in first languages", "Clinics in community venues"}
    evening = reports["Evening clinics"].counts
    assert evening == {
        "taken_up": 2,
        "tested": 2,
        "adopted": 1,
        "spread": 0,
        "abandoned": 1,
        "cycles": 2,
        "sustained": 1,
    }
    # Every copy of a programme theory carries all its ideas: the others were taken up, not tested.
    assert reports["Text reminders in first languages"].counts["tested"] == 0
    uses = {u.organisation: u for u in reports["Evening clinics"].uses}
    assert uses[labels[cast.org_a.pk]].furthest == "Adopted"
    assert uses[labels[cast.org_b.pk]].furthest == "Tested, then abandoned"
    page = " ".join(response.content.decode().split())
    assert "<strong>1</strong> has been adopted by at least one organisation" in page
    assert "<strong>1</strong> is followed by a sustained improvement" in page
    assert "EIP Started treatment within 2 weeks: <strong" in page
    assert "Alpha Trust" not in page and "Beta Trust" not in page


def test_the_csv_and_xlsx_hold_the_same_rows(client, cast, login):
    adopted_with_sustained_measure(cast.org_a, cast.collaborative)
    abandoned(cast.org_b, cast.collaborative)
    label_a = pseudonyms.enrolled_labels(cast.collaborative)[cast.org_a.pk]
    login(client, cast.national)
    body = b"".join(client.get(reverse("evaluation:interventions_csv")).streaming_content).decode()
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][:4] == ["programme_change_idea", "secondary_driver", "organisation", "furthest_stage"]
    wanted = ["Evening clinics", "Flexible appointments", label_a, "Adopted", "yes", "yes", "no", "no"]
    mine = [r for r in rows if r[:8] == wanted]
    assert len(mine) == 1 and mine[0][-4:] == ["EIP", "Started treatment within 2 weeks", "Sustained improvement", "no"]
    response = client.get(reverse("evaluation:interventions_xlsx"))
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = [["" if c is None else str(c) for c in row] for row in sheet.iter_rows(values_only=True)]
    assert cells == rows


def test_an_empty_programme_theory_says_so(client, cast, login):
    login(client, cast.evaluator)
    page = client.get(reverse("evaluation:interventions")).content.decode()
    assert "The programme change theory has no change ideas yet" in page


def test_queries_do_not_grow_with_organisations(client, cast, login):
    url = reverse("evaluation:interventions")
    adopted_with_sustained_measure(cast.org_a, cast.collaborative)
    login(client, cast.evaluator)
    few = [count_queries(client, url, cold=cold)[0] for cold in (True, False)]
    for i in range(3):
        adopted_with_sustained_measure(cast.org_b, cast.collaborative, code=f"B{i}")
        abandoned(cast.org_a, cast.collaborative)
    many = [count_queries(client, url, cold=cold)[0] for cold in (True, False)]
    assert few == many
