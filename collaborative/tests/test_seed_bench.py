"""seed_bench: the bench organisations' change ideas carry the programme lineage, deterministically and once."""

import pytest
from django.core.management import call_command
from django.db import transaction
from django_scopes import scopes_disabled

from collaborative.models import Collaborative
from evaluation import across, interventions
from qi_projects.models import ChangeTheoryElement, Kind, Stage
from qi_projects.pdsa.bench import PROGRAMME_IDEAS
from qi_projects.pdsa.models import ChangeIdeaMove

pytestmark = pytest.mark.django_db


def snapshot() -> list:
    with scopes_disabled():
        ideas = ChangeTheoryElement.objects.filter(kind=Kind.CHANGE_IDEA).order_by("organisation__slug", "position")
        rows = list(ideas.values_list("organisation__slug", "text", "source__text", "adapted", "stage"))
        return rows + [("moves", ChangeIdeaMove.objects.count())]


def test_bench_ideas_are_adapted_from_the_programme_change_theory_once(capsys):
    call_command("seed_bench", orgs=6, months=24, seed=1)
    first = snapshot()
    call_command("seed_bench", orgs=6, months=24, seed=1)
    assert snapshot() == first  # idempotent
    lineage = {(source is None, adapted) for _, _, source, adapted, _ in first[:-1]}
    assert lineage == {(False, False), (False, True), (True, False)}  # kept, adapted and local ideas
    assert {source for _, _, source, *_ in first[:-1]} - {None} <= set(PROGRAMME_IDEAS)
    stages = {stage for *_, stage in first[:-1]}
    assert Stage.ADOPTED in stages or Stage.SPREADING in stages
    assert first[-1] == ("moves", first[-1][1]) and first[-1][1] > 0

    collaborative = Collaborative.objects.get(slug="bench")
    report = interventions.report(collaborative)
    assert [r.element.text for r in report] == PROGRAMME_IDEAS
    assert sum(r.counts["taken_up"] for r in report) == sum(1 for row in first[:-1] if row[2] is not None)
    assert sum(r.counts["adopted"] for r in report) > 0
    assert any(u.measures for r in report for u in r.uses)  # the linked measures are judged
    # The series page's idea filter finds the measures that track or measure a bench idea.
    idea = report[0].element
    assert across.selected(collaborative, idea=idea.pk)


class Undo(Exception):
    pass


def test_bench_lineage_is_deterministic(capsys):
    try:
        with transaction.atomic():
            call_command("seed_bench", orgs=3, months=24, seed=1)
            first = snapshot()
            raise Undo
    except Undo:
        pass
    assert snapshot() == [("moves", 0)]  # undone
    call_command("seed_bench", orgs=3, months=24, seed=1)
    assert snapshot() == first
