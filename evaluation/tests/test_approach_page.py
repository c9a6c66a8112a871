"""Question 3, /evaluation/approach/: the approach feedback by part and round, suppressed, comments de-identified."""

import re
from datetime import date

from django.urls import reverse
from django_scopes import scopes_disabled

from evaluation import pseudonyms
from evaluation.models.feedback import PARTS, ApproachFeedback
from organisations.models import User

from .data import count_queries


def answers(cast, n: int, round_number: int = 1, organisation=None, **ratings):
    organisation = organisation or cast.org_a
    with scopes_disabled():
        for i in range(n):
            user = User.objects.create_user(
                email=f"r{round_number}-{organisation.pk}-{i}-{ApproachFeedback.objects.count()}@x.example"
            )
            ApproachFeedback.objects.create(
                collaborative=cast.collaborative,
                round_number=round_number,
                organisation=organisation,
                user=user,
                **({name: 3 for name, _ in PARTS} | ratings),
                helped="The coaching calls" if i == 0 else "",
            )


def started_a_year_ago(cast):
    with scopes_disabled():
        type(cast.collaborative).objects.filter(pk=cast.collaborative.pk).update(start_date=date(2024, 1, 1))


def test_each_part_by_round_with_small_counts_suppressed_and_comments_without_names(client, cast, login):
    started_a_year_ago(cast)
    answers(cast, 7, coaching=5, pdsa=0)  # 7 rated coaching very helpful; nobody used PDSA
    answers(cast, 2, pdsa=4, organisation=cast.org_b)  # 2 used PDSA: fewer than 5 answers
    login(client, cast.evaluator)
    response = client.get(reverse("evaluation:approach"))
    rows = {r["part"]: r for r in response.context["rows"]}
    first = {part: r["cells"][0] for part, r in rows.items()}
    # 9 coaching answers: 7 very helpful (published 5) of 9 who used it (published 10): 5 of 10 helpful.
    assert first["coaching"]["answers"] == "10" and first["coaching"]["helpful"] == "50%"
    assert dict(first["coaching"]["distribution"])["Very helpful"] == "5"
    assert dict(first["coaching"]["distribution"])["Neither helpful nor unhelpful"] == "*"
    assert first["pdsa"]["suppressed"] and first["pdsa"]["helpful"] == "*"
    page = response.content.decode()
    # Inside the sentence the labels lose only their first capital: months, names and acronyms keep theirs.
    # The other parts: 9 answers, none helpful (a count under 5), so their shares are * and coaching is alone.
    assert "only <strong>coaching from your QI coach</strong> had enough answers to show" in page
    month = "(January|February|March|April|May|June|July|August|September|October|November|December)"
    assert re.search(rf"In round \d+ \({month} \d{{4}}\), only", page)
    label = pseudonyms.enrolled_labels(cast.collaborative)[cast.org_a.pk]
    # Comments carry no organisation label: one organisation's comments in a round would count its people.
    assert "The coaching calls" in page and label not in page
    assert "Alpha Trust" not in page and "@x.example" not in page
    assert "approach-chart" in page and "Found it helpful or very helpful, by part and round" in page


def test_before_the_first_round_the_page_says_so(client, cast, login):
    login(client, cast.national)
    page = client.get(reverse("evaluation:approach")).content.decode()
    assert "The first survey round has not opened yet" in page


def test_queries_do_not_grow_with_answers_or_rounds(client, cast, login):
    started_a_year_ago(cast)
    url = reverse("evaluation:approach")
    answers(cast, 5)
    login(client, cast.evaluator)
    few = count_queries(client, url, cold=False)[0]
    answers(cast, 20, round_number=2, organisation=cast.org_b)
    answers(cast, 10, round_number=1)
    assert count_queries(client, url, cold=False)[0] == few


def test_a_part_whose_rounded_counts_leave_too_few_is_shown_as_a_star(client, cast, login):
    started_a_year_ago(cast)
    others = {name: 4 for name, _ in PARTS if name != "coaching"}  # five "helpful" answers each: 5 of 5
    for rating in (5, 4, 3, 2, 1):  # five answers, one of each: every rounded count is *
        answers(cast, 1, coaching=rating, **others)
    login(client, cast.evaluator)
    response = client.get(reverse("evaluation:approach"))
    coaching = next(r for r in response.context["rows"] if r["part"] == "coaching")["cells"][0]
    assert coaching["helpful"] == "*"
    assert response.context["answer"]["parts"] == len(PARTS) - 1  # the others: 5 answers, all "neither"


def test_the_share_helpful_is_the_rounded_count_who_found_it_helpful_over_the_rounded_count_who_used_it(
    client, cast, login
):
    """Not the rounded ratings added up with each `*` as 0: that said 100% for 5 of 9 and 0% for 3 of 9."""
    started_a_year_ago(cast)
    answers(cast, 5, measurement=4, pdsa=4, coaching=5)
    answers(cast, 2, measurement=3, pdsa=3, coaching=5)
    answers(cast, 2, measurement=2, pdsa=3, coaching=5)
    login(client, cast.evaluator)
    response = client.get(reverse("evaluation:approach"))
    first = {r["part"]: r["cells"][0] for r in response.context["rows"]}
    assert first["measurement"]["helpful"] == "50%"  # 5 of 9: published 5 of 10
    assert first["pdsa"]["helpful"] == "50%"
    assert first["coaching"]["helpful"] == "100%"  # 9 of 9: published 10 of 10
    answer = response.context["answer"]
    assert answer["most"] == (100, "Coaching from your QI coach") and answer["least"][0] == 50
    assert "least helpful (50%)" in response.content.decode()


def test_fewer_than_5_who_found_it_helpful_is_a_star_not_a_share(client, cast, login):
    started_a_year_ago(cast)
    answers(cast, 3, pdsa=5)
    answers(cast, 6, pdsa=3)
    login(client, cast.evaluator)
    response = client.get(reverse("evaluation:approach"))
    pdsa = next(r for r in response.context["rows"] if r["part"] == "pdsa")["cells"][0]
    assert pdsa["answers"] == "10" and pdsa["helpful"] == "*"  # 3 of 9 found it helpful: not "0%"


def test_parts_found_equally_helpful_are_not_called_most_and_least_helpful(client, cast, login):
    started_a_year_ago(cast)
    answers(cast, 5, **{name: 5 for name, _ in PARTS})
    login(client, cast.evaluator)
    page = client.get(reverse("evaluation:approach")).content.decode()
    assert "least helpful" not in page
    assert f"members found each of the {len(PARTS)} parts with enough answers to show equally helpful: 100%" in page
